"""A .tflite's whole table tree, read by LiteRT's own generated schema, not by tflc's reader.

`ai_edge_litert.schema_py_generated` is flatc's Python output for the schema LiteRT ships
(object API: `ModelT` unpacks every field of every table). `model_tree` turns that into plain
values that compare with `==`, so a field tflc's reader or writer drops shows up even when
tflc's reader does not model it (tests/flatbuffer_fields.py compares what tflc models).

Index fields are replaced by what they point at, so two files that number their tensors,
buffers or operator codes differently compare equal: tensor indices (operator inputs, outputs
and intermediates, subgraph inputs and outputs, signature tensor maps) become the tensor, a
tensor's or metadata's buffer index its bytes, an operator's opcode index its operator code.
A subgraph's tensor list becomes a sorted list of tensors (unreferenced ones included).

Equal meanings in different spellings compare equal: builtin options equal to their table's
defaults and absent options; an empty quantization table and none; an operator code's
builtin_code and its deprecated_builtin_code (the larger is the op); an empty vector and an
absent one. `has_rank` is compared where it means something, on tensors of shape []: a
non-empty shape states the rank (TensorFlow's converter writes has_rank for every ranked
tensor, older converters for none).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

schema = pytest.importorskip("ai_edge_litert.schema_py_generated")


def model_tree(data: bytes) -> dict[str, Any]:
    model = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
    buffers = [_bytes(b.data) for b in model.buffers or []]
    codes = [_operator_code(c) for c in model.operatorCodes or []]
    subgraphs, tensors_of = [], []
    for sg in model.subgraphs or []:
        tensors = [_tensor(t, buffers) for t in sg.tensors or []]
        tensors_of.append(tensors)
        subgraphs.append(
            {
                **_fields(sg, skip=("tensors", "inputs", "outputs", "operators")),
                "tensors": sorted(tensors, key=repr),
                "inputs": _tensor_refs(sg.inputs, tensors),
                "outputs": _tensor_refs(sg.outputs, tensors),
                "operators": [_operator(op, codes, tensors) for op in sg.operators or []],
            }
        )
    signatures = []
    for s in model.signatureDefs or []:

        def tensor_map(maps, tensors=tensors_of[s.subgraphIndex]):
            return [
                {**_fields(m, skip=("tensorIndex",)), "tensor": tensors[m.tensorIndex]}
                for m in maps or []
            ]

        signatures.append(
            {
                **_fields(s, skip=("inputs", "outputs")),
                "inputs": tensor_map(s.inputs),
                "outputs": tensor_map(s.outputs),
            }
        )
    skip = ("operatorCodes", "subgraphs", "buffers", "metadataBuffer", "metadata", "signatureDefs")
    return {
        **_fields(model, skip=skip),
        "operatorCodes": sorted(codes, key=repr),
        "subgraphs": subgraphs,
        "metadataBuffer": [buffers[i] for i in _ints(model.metadataBuffer)],
        "metadata": [
            {**_fields(m, skip=("buffer",)), "buffer": buffers[m.buffer]}
            for m in model.metadata or []
        ],
        "signatureDefs": signatures,
    }


def plain(value: Any) -> Any:
    """Generated objects as {"table": class name, field: value}, arrays and lists as tuples."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    # An empty vector and an absent one read the same through the schema's accessors (length
    # 0), in LiteRT as in tflc; flatc's object API alone tells them apart.
    if isinstance(value, np.ndarray):
        return tuple(value.tolist()) or None
    if isinstance(value, (list, tuple)):
        return tuple(plain(v) for v in value) or None
    if isinstance(value, np.generic):
        return value.item()
    return {"table": type(value).__name__, **_fields(value)}


def first_difference(a: Any, b: Any, path: str = "model") -> str | None:
    """Where two trees first differ, as a path and the two values (None when equal)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            where = first_difference(a.get(key), b.get(key), f"{path}.{key}")
            if where:
                return where
        return None
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            where = first_difference(x, y, f"{path}[{i}]")
            if where:
                return where
        return None
    if a != b:
        return f"{path}: {_short(a)} != {_short(b)}"
    return None


def _fields(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: plain(v) for k, v in vars(obj).items() if k not in skip}


def _tensor(t: Any, buffers: list[bytes]) -> dict[str, Any]:
    data = buffers[t.buffer] if 0 <= t.buffer < len(buffers) else ("missing buffer", t.buffer)
    fields = {**_fields(t, skip=("buffer",)), "buffer": data}
    if fields["shape"]:  # a shape states its rank: has_rank tells a scalar from unknown rank
        fields["hasRank"] = True
    q = fields["quantization"]
    if q is not None and q["scale"]:
        # Known loss: min/max beside a scale are calibration statistics LiteRT does not read,
        # and MLIR's quant types hold scale and zero point only (TensorFlow's importer drops
        # them as well). Without a scale they are compared.
        q["min"] = q["max"] = None
    if q is not None and not any(v for k, v in q.items() if k != "table"):
        fields["quantization"] = None  # an empty table is no quantization
    return fields


def _operator_code(code: Any) -> dict[str, Any]:
    fields = plain(code)
    # The schema's rule: the op is the larger of the two codes (files from before builtin_code
    # existed set only deprecated_builtin_code).
    fields["builtinCode"] = max(fields["builtinCode"], fields["deprecatedBuiltinCode"])
    return fields


def _tensor_refs(indices: Any, tensors: list[dict]) -> list[Any]:
    return [None if i == -1 else tensors[i] for i in _ints(indices)]


def _operator(op: Any, codes: list[dict], tensors: list[dict]) -> dict[str, Any]:
    fields = _fields(op, skip=("opcodeIndex", "inputs", "outputs", "intermediates"))
    for union in ("builtinOptions", "builtinOptions2"):
        options = getattr(op, union)
        if options is not None and _fields(options) == _fields(type(options)()):
            fields[union], fields[union + "Type"] = None, 0  # the defaults, written or not
    return {
        **fields,
        "opcode": codes[op.opcodeIndex],
        "inputs": _tensor_refs(op.inputs, tensors),
        "outputs": _tensor_refs(op.outputs, tensors),
        "intermediates": _tensor_refs(op.intermediates, tensors),
    }


def _ints(values: Any) -> list[int]:
    return [] if values is None else [int(v) for v in values]


def _bytes(data: Any) -> bytes:
    return b"" if data is None else bytes(np.asarray(data, dtype=np.uint8))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."
