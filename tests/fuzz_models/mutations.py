"""Seeded mutations of corpus models: raw byte edits and structured field edits.

A mutant is a pure function of (corpus, seed, index): `make_mutant` draws everything from
`np.random.default_rng([seed, index])`, so any mutant of a run can be rebuilt alone.

Raw mutations edit the file's bytes, mostly outside the constant buffers (where a flip only
changes a weight); structured ones read the model with the project's reader
(`runtime/tflite_model.read_model`), change one field and write it back with the project's
writer (`backends/tflite/flatbuffer_writer.write_model`).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import tflite
from tflc.backends.tflite.flatbuffer_writer import write_model
from tflc.runtime.tflite_model import Model, read_model
from tflc.runtime.tflite_schema import (
    BUILTIN_OPERATOR_CODES,
    SCALAR_DTYPES,
    TENSOR_TYPE_CODES,
    options_table,
)

INT32_EXTREMES = (0, -1, -(2**31), 2**31 - 1, 1, 2, 0x7FFF, 0x10000)
SHAPE_VALUES = (0, -1, -2, 1, 2, 3, 7, 255, 2**16, 2**20, 2**31 - 1)
SCALES = (0.0, -1.0, math.nan, math.inf, -math.inf, 1e-45, 1e-30, 1e30, 3.4e38)
ZERO_POINTS = (-(2**31), -129, -128, 127, 128, 255, 256, 32768, 2**31 - 1)


@dataclass(frozen=True)
class CorpusModel:
    name: str
    data: bytes
    # (start, end) of the bytes outside constant buffer data: tables, vectors, strings.
    structure: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Mutant:
    index: int
    model: str
    mutation: str  # what was changed, e.g. "option CONV_2D#0.stride_h=0"
    data: bytes


def corpus_model(name: str, data: bytes) -> CorpusModel:
    """`data` with the byte ranges that are not constant buffer payloads."""
    m = tflite.Model.GetRootAs(data, 0)
    spans = []
    for i in range(m.BuffersLength()):
        b = m.Buffers(i)
        if b.DataLength():
            start = b._tab.Vector(b._tab.Offset(4))
            spans.append((start, start + b.DataLength()))
    structure, pos = [], 0
    for start, end in sorted(spans):
        if start > pos:
            structure.append((pos, start))
        pos = max(pos, end)
    if pos < len(data):
        structure.append((pos, len(data)))
    return CorpusModel(name, data, tuple(structure))


def make_mutant(corpus: list[CorpusModel], seed: int, index: int) -> Mutant:
    """Mutant `index` of the run seeded `seed`."""
    rng = np.random.default_rng([seed, index])
    base = corpus[int(rng.integers(len(corpus)))]
    # Some structured edits cannot apply (no quantized tensor, no options): draw again.
    for _ in range(20):
        kind = _pick(rng, list(MUTATIONS))
        result = MUTATIONS[kind](rng, base)
        if result is not None:
            data, what = result
            return Mutant(index, base.name, f"{kind} {what}", data)
    return Mutant(index, base.name, "truncate (fallback)", base.data[: len(base.data) // 2])


def _pick(rng: np.random.Generator, items):
    return items[int(rng.integers(len(items)))]


# --- raw -------------------------------------------------------------------------------------


def _offset(rng: np.random.Generator, base: CorpusModel, align: int = 1) -> int:
    """A byte offset, four times in five among the structure bytes."""
    if base.structure and rng.random() < 0.8:
        lengths = np.array([e - s for s, e in base.structure], dtype=np.float64)
        start, end = base.structure[int(rng.choice(len(lengths), p=lengths / lengths.sum()))]
        offset = int(rng.integers(start, end))
    else:
        offset = int(rng.integers(8, len(base.data)))  # keep the header and identifier
    return min(max(8, offset - offset % align), len(base.data) - align)


def _bit_flips(rng, base):
    data = bytearray(base.data)
    flips = []
    for _ in range(int(rng.integers(1, 9))):
        pos, bit = _offset(rng, base), int(rng.integers(8))
        data[pos] ^= 1 << bit
        flips.append(f"{pos}.{bit}")
    return bytes(data), ",".join(flips)


def _byte_overwrite(rng, base):
    data = bytearray(base.data)
    pos = _offset(rng, base)
    run = rng.integers(0, 256, size=min(int(rng.integers(1, 17)), len(data) - pos))
    data[pos : pos + len(run)] = bytes(run.astype(np.uint8))
    return bytes(data), f"{len(run)}@{pos}"


def _truncate(rng, base):
    size = int(rng.integers(0, len(base.data)))
    return base.data[:size], f"to {size}"


def _int32_field(rng, base):
    data = bytearray(base.data)
    pos, value = _offset(rng, base, align=4), int(_pick(rng, INT32_EXTREMES))
    data[pos : pos + 4] = struct.pack("<i", value)
    return bytes(data), f"{value}@{pos}"


# --- structured ------------------------------------------------------------------------------


def _structured(edit: Callable[[np.random.Generator, Model], str | None]):
    """A mutation that reads the model, applies `edit` and writes the model back."""

    def mutate(rng, base):
        model = read_model(base.data)
        what = edit(rng, model)
        if what is None:
            return None
        try:
            return write_model(model), what
        except (struct.error, OverflowError, ValueError, KeyError):
            return None  # a value the schema cannot store: draw another mutation

    return mutate


def _tensor(rng, model: Model):
    si = int(rng.integers(len(model.subgraphs)))
    sg = model.subgraphs[si]
    if not sg.tensors:
        return None
    ti = int(rng.integers(len(sg.tensors)))
    return sg.tensors[ti], f"sg{si}.t{ti}"


def _tensor_where(rng, model: Model, want):
    """A tensor of any subgraph for which `want` holds, drawn uniformly, and its place."""
    found = [
        (si, ti, t)
        for si, sg in enumerate(model.subgraphs)
        for ti, t in enumerate(sg.tensors)
        if want(t)
    ]
    if not found:
        return None
    si, ti, t = found[int(rng.integers(len(found)))]
    return t, f"sg{si}.t{ti}"


def _operator(rng, model: Model, want=lambda op: True):
    ops = [
        (si, oi, op) for si, sg in enumerate(model.subgraphs) for oi, op in enumerate(sg.operators)
    ]
    ops = [x for x in ops if want(x[2])]
    if not ops:
        return None
    si, oi, op = ops[int(rng.integers(len(ops)))]
    return op, f"sg{si}.op{oi}({model.operator_name(op)})", model.subgraphs[si]


def _shape(rng, model):
    picked = _tensor(rng, model)
    if picked is None:
        return None
    t, where = picked
    choice = rng.random()
    if choice < 0.1 or not t.shape:
        t.shape = [*t.shape, int(_pick(rng, SHAPE_VALUES))]
    elif choice < 0.2:
        t.shape = t.shape[:-1]
    else:
        d = int(rng.integers(len(t.shape)))
        t.shape[d] = int(_pick(rng, (*SHAPE_VALUES, t.shape[d] + 1, t.shape[d] * 2)))
    return f"{where}.shape={t.shape}"


def _type(rng, model):
    picked = _tensor(rng, model)
    if picked is None:
        return None
    t, where = picked
    t.type = _pick(rng, sorted(TENSOR_TYPE_CODES))
    return f"{where}.type={t.type}"


def _operand(rng, model):
    picked = _operator(rng, model, lambda op: op.inputs or op.outputs)
    if picked is None:
        return None
    op, where, sg = picked
    n = len(sg.tensors)
    field = "inputs" if op.inputs and (not op.outputs or rng.random() < 0.7) else "outputs"
    indices = getattr(op, field)
    k = int(rng.integers(len(indices)))
    indices[k] = int(_pick(rng, (-1, -2, n, n + 7, 2**31 - 1, int(rng.integers(n)))))
    return f"{where}.{field}[{k}]={indices[k]}"


def _option_value(rng, field, old):
    if field.enum:
        return _pick(rng, [*sorted(field.enum.values()), 99, -1])
    if field.scalar == "Bool":
        return not old
    if field.scalar.startswith("Float"):
        return float(_pick(rng, (0.0, -1.0, math.nan, math.inf, 1e30, 1e-30)))
    info = np.iinfo(SCALAR_DTYPES[field.scalar])
    candidates = [0, -1, 1, 2, 3, 100, 2**16, info.max, info.min]
    return int(np.clip(_pick(rng, candidates), info.min, info.max))


def _option(rng, model):
    picked = _operator(rng, model, lambda op: op.builtin_options or op.builtin_options_2)
    if picked is None:
        return None
    op, where, _ = picked
    name, values = op.builtin_options or op.builtin_options_2
    fields = [f for f in options_table(name).fields if f.kind != "string"]
    if not fields:
        return None
    f = _pick(rng, fields)
    if f.kind == "vector":
        items = list(values.get(f.name) or [])
        if items and rng.random() < 0.7:
            info = np.iinfo(SCALAR_DTYPES[f.scalar]) if f.scalar != "Float32" else None
            k = int(rng.integers(len(items)))
            items[k] = int(_pick(rng, (0, -1, info.max, info.min))) if info else math.nan
        else:
            items = items[:-1] if items else [int(_pick(rng, INT32_EXTREMES))]
        values[f.name] = items
    else:
        values[f.name] = _option_value(rng, f, values.get(f.name, f.default))
    return f"{where}.{f.name}={values[f.name]}"


def _quantization(rng, model):
    picked = _tensor_where(
        rng, model, lambda t: t.quantization is not None and t.quantization.scale
    )
    if picked is None:
        return None
    t, where = picked
    q = t.quantization
    choice = int(rng.integers(4))
    if choice == 0:
        q.scale[int(rng.integers(len(q.scale)))] = float(_pick(rng, SCALES))
        return f"{where}.scale={q.scale[:4]}"
    if choice == 1 and q.zero_point:
        q.zero_point[int(rng.integers(len(q.zero_point)))] = int(_pick(rng, ZERO_POINTS))
        return f"{where}.zero_point={q.zero_point[:4]}"
    if choice == 2:
        q.quantized_dimension = int(_pick(rng, (-1, 1, 3, 5, 2**31 - 1)))
        return f"{where}.quantized_dimension={q.quantized_dimension}"
    q.scale = q.scale[:-1] if len(q.scale) > 1 else q.scale * 3
    return f"{where}.scales={len(q.scale)}"


def _buffer(rng, model):
    picked = _tensor_where(rng, model, lambda t: len(model.buffer_data(t)))
    if picked is None:
        return None
    t, where = picked
    data = bytearray(model.buffers[t.buffer])
    where += ".buffer"
    choice = rng.random()
    if t.type in ("INT32", "INT64") and choice < 0.6:
        # Shape, axis, padding and index operands: one element set to an extreme.
        dtype = np.int32 if t.type == "INT32" else np.int64
        values = np.frombuffer(bytes(data), dtype).copy()
        k = int(rng.integers(len(values)))
        values[k] = _pick(rng, (0, -1, -(2**31), 2**31 - 1, 2**16, 14848, int(values[k]) * 1000))
        data = bytearray(values.tobytes())
        what = f"{where}[{k}]={values[k]}"
    elif choice < 0.75:
        cut = int(rng.integers(1, len(data) + 1))
        data = data[:-cut]
        what = f"{where} -{cut} bytes"
    elif choice < 0.85:
        extra = int(rng.integers(1, 64))
        data += bytes(extra)
        what = f"{where} +{extra} bytes"
    else:
        data = bytearray(rng.integers(0, 256, size=len(data)).astype(np.uint8).tobytes())
        what = f"{where} random bytes"
    model.buffers[t.buffer] = bytes(data)
    return what


def _opcode(rng, model):
    choice = rng.random()
    if choice < 0.4 and len(model.operator_codes) > 1:
        picked = _operator(rng, model)
        if picked is None:
            return None
        op, where, _ = picked
        op.opcode_index = int(rng.integers(len(model.operator_codes)))
        return f"{where}.opcode_index={op.opcode_index}"
    if not model.operator_codes:
        return None
    ci = int(rng.integers(len(model.operator_codes)))
    code = model.operator_codes[ci]
    if choice < 0.9:
        code.builtin_code = int(_pick(rng, sorted(BUILTIN_OPERATOR_CODES.values())))
        code.deprecated_builtin_code = min(code.builtin_code, 127)
        return f"code{ci}.builtin={code.name}"
    code.version = int(_pick(rng, (0, -1, 99, 2**31 - 1)))
    return f"code{ci}.version={code.version}"


def _graph(rng, model):
    si = int(rng.integers(len(model.subgraphs)))
    sg = model.subgraphs[si]
    choice = rng.random()
    if choice < 0.4 and sg.operators:
        oi = int(rng.integers(len(sg.operators)))
        name = model.operator_name(sg.operators.pop(oi))
        return f"sg{si}: removed op{oi}({name})"
    if choice < 0.6 and sg.operators:
        oi = int(rng.integers(len(sg.operators)))
        op = sg.operators[oi]
        op.inputs, op.outputs = list(op.outputs), list(op.inputs)
        return f"sg{si}.op{oi}: inputs and outputs swapped"
    field = "inputs" if rng.random() < 0.5 else "outputs"
    indices = getattr(sg, field)
    if indices and rng.random() < 0.5:
        indices.pop(int(rng.integers(len(indices))))
    else:
        indices.append(int(rng.integers(max(len(sg.tensors), 1))))
    return f"sg{si}.{field}={indices[:8]}"


MUTATIONS = {
    "bitflip": _bit_flips,
    "bytes": _byte_overwrite,
    "truncate": _truncate,
    "int32": _int32_field,
    "shape": _structured(_shape),
    "type": _structured(_type),
    "operand": _structured(_operand),
    "option": _structured(_option),
    "quant": _structured(_quantization),
    "buffer": _structured(_buffer),
    "opcode": _structured(_opcode),
    "graph": _structured(_graph),
}
