"""The CPU backend's view of a tfl function: tensors with static shapes, nodes, constants.

`extract_graph` reads `func @main` of a tfl module into plain Python objects, folds what is
known at compile time (dequantize of float16 or int8 weights, densify) into constants, and
checks that every op has a kernel *before* any code is generated: an unsupported op raises a
`TflcError` naming the op and its location. `tfl.while` / `tfl.if` subgraphs become nodes
between control-flow markers, a `tfl.call`'s callee is inlined (control_flow.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from mlir import ir
from mlir.dialects import quant
from tflc.dialects.tfl import attribute_value, constant_value
from tflc.dialects.tfl_ops import ops_by_mlir_name
from tflc.dialects.tfl_verifier import describe_location
from tflc.errors import TflcError
from tflc.runtime.kernels.gather_tables import operand_roles
from tflc.runtime.op_traits import DATA_MOVEMENT, WEIGHTED_OPERANDS

_NUMPY_TYPES = {
    "f32": np.float32,
    "f16": np.float16,
    "i32": np.int32,
    "i64": np.int64,
    "i8": np.int8,
    "ui8": np.uint8,
    "i16": np.int16,
    "i1": np.bool_,
    "complex<f32>": np.complex64,  # stored as (real, imaginary) float32 pairs
}


@dataclass
class Tensor:
    index: int
    shape: tuple[int, ...]
    dtype: str  # "f32", "i32", ... (storage type for quantized tensors)
    value: np.ndarray | None = None  # constants
    scale: np.ndarray | None = None  # quantization (per tensor or per axis)
    zero_point: np.ndarray | None = None
    axis: int | None = None
    name: str = ""
    variable: bool = (
        False  # a `tfl.variable`: recurrent state in the state region, kept between runs
    )

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        return self.size * np.dtype(_NUMPY_TYPES[self.dtype]).itemsize

    @property
    def is_const(self) -> bool:
        return self.value is not None


@dataclass
class Node:
    op: str  # "conv_2d" (tfl. prefix dropped)
    inputs: list[Tensor | None]
    outputs: list[Tensor]
    attrs: dict[str, object]
    where: str  # location, for errors

    def attr(self, name: str, default=None):
        return self.attrs.get(name, default)


@dataclass
class Graph:
    inputs: list[Tensor]
    outputs: list[Tensor]
    nodes: list[Node]
    tensors: list[Tensor] = field(default_factory=list)


def numpy_dtype(dtype: str) -> np.dtype:
    return np.dtype(_NUMPY_TYPES[dtype])


def tensor_descriptor(t: Tensor, name: str | None = None) -> dict[str, object]:
    """A model input/output as the manifest and `.inputs` / `.outputs` describe it."""
    d: dict[str, object] = {
        "name": t.name if name is None else name,
        "shape": list(t.shape),
        "dtype": str(numpy_dtype(t.dtype)),
        "bytes": t.nbytes,
    }
    if t.scale is not None:
        d["quantization"] = {"scale": t.scale.tolist(), "zero_point": t.zero_point.tolist()}
    return d


class _Builder:
    def __init__(self):
        self.tensors: list[Tensor] = []
        self.by_value: dict[ir.Value, Tensor] = {}

    def tensor(self, value: ir.Value, where: str) -> Tensor:
        t = self.by_value.get(value)
        if t is not None:
            return t
        ty = value.type
        if not isinstance(ty, ir.RankedTensorType):
            raise TflcError(f"the cpu target needs ranked tensors, got {ty}", where)
        shaped = ir.RankedTensorType(ty)
        if not shaped.has_static_shape:
            raise TflcError(f"the cpu target needs static shapes, got {ty}", where)
        elem = shaped.element_type
        t = Tensor(len(self.tensors), tuple(shaped.shape), "f32")
        if isinstance(elem, quant.QuantizedType):
            q = quant.QuantizedType(elem)
            t.dtype = {8: "i8", 16: "i16", 32: "i32", 64: "i64"}[q.storage_type_integral_width]
            if not q.is_signed:
                t.dtype = "ui8"
            if isinstance(elem, quant.UniformQuantizedPerAxisType):
                pa = quant.UniformQuantizedPerAxisType(elem)
                t.scale = np.array(pa.scales, np.float64)
                t.zero_point = np.array(pa.zero_points, np.int64)
                t.axis = pa.quantized_dimension
            else:
                u = quant.UniformQuantizedType(elem)
                t.scale = np.array([u.scale], np.float64)
                t.zero_point = np.array([u.zero_point], np.int64)
        else:
            name = str(elem)
            if name not in _NUMPY_TYPES:
                raise TflcError(f"the cpu target does not support element type {name}", where)
            t.dtype = name
        self.tensors.append(t)
        self.by_value[value] = t
        return t


def dequantized(t: Tensor) -> np.ndarray:
    """The float32 value of a constant (float16 or quantized storage)."""
    v = t.value
    if t.scale is None:
        return v.astype(np.float32)
    shape = [1] * v.ndim
    if t.axis is not None:
        shape[t.axis] = -1
    scale = t.scale.reshape(shape)
    zp = t.zero_point.reshape(shape)
    return ((v.astype(np.float64) - zp) * scale).astype(np.float32)


# Operands the cpu kernels read while generating code (weights packed into panels, axes and
# slice specs turned into loops and index tables): checked once here, so kernels read `.value`.
def _table_operands(op: str) -> tuple[int, ...]:
    roles = operand_roles(op)
    return roles.integer if roles.fill is None else (*roles.integer, roles.fill)


COMPILE_TIME_OPERANDS: dict[str, tuple[int, ...]] = {
    **{op.lower(): (w, b) for op, (_, w, b, _) in WEIGHTED_OPERANDS.items()},
    "custom:Convolution2DTransposeBias": (1, 2),
    **dict.fromkeys(("mean", "sum", "reduce_max", "reduce_min", "reduce_prod"), (1,)),
    **dict.fromkeys(("arg_max", "arg_min", "cumsum", "one_hot", "topk_v2"), (1,)),
    **dict.fromkeys(("reduce_all", "reduce_any"), (1,)),
    "range": (0, 1, 2),
    "conv_3d": (1, 2),  # filter, bias
    "rfft2d": (1,),  # fft_length
    "conv_3d_transpose": (0, 1, 3),  # output shape, filter, bias
    # data movement: the integer operands and the fill value make the gather table (gather
    # also takes indices known only at run time: kernels_index.emit_gather)
    **{op.lower(): _table_operands(op) for op in DATA_MOVEMENT - {"GATHER"}},
}


def _check_compile_time_operands(key: str, ins: list[Tensor | None], where: str) -> None:
    for i in COMPILE_TIME_OPERANDS.get(key, ()):
        if i < len(ins) and ins[i] is not None and not ins[i].is_const:
            raise TflcError(
                f"the cpu target needs operand {i} of '{key}' to be a constant (it computes with "
                "its values at compile time)",
                where,
            )


def extract_graph(module, supported: set[str]) -> Graph:
    """The graph of `@main`; raises on the first op without a kernel (before any codegen)."""
    funcs = [op.operation for op in module.body.operations if op.operation.name == "func.func"]
    # The entry is @main, else the first function (subgraph 0 of a .tflite).
    main = next((f for f in funcs if f.attributes["sym_name"].value == "main"), None)
    main = main or (funcs[0] if funcs else None)
    if main is None:
        raise TflcError("the module has no function to compile", "<module>")
    b = _Builder()
    block = main.regions[0].blocks[0]
    inputs = [b.tensor(a, "@main argument") for a in block.arguments]
    for i, (t, a) in enumerate(zip(inputs, block.arguments, strict=True)):
        t.name = describe_location(a.location) or f"input{i}"
    nodes: list[Node] = []
    by_name = {f.attributes["sym_name"].value: f for f in funcs}
    outputs = _extract_block(block, b, nodes, supported, by_name)
    return Graph(inputs, outputs, nodes, b.tensors)


def _extract_block(block, b: _Builder, nodes: list[Node], supported, funcs) -> list[Tensor]:
    """Appends the nodes of `block` to `nodes`; returns the tensors it returns."""
    from tflc.backends.cpu import compile_time  # it runs on this module's Node
    from tflc.backends.cpu.control_flow import extract_call, extract_if, extract_while
    from tflc.backends.loop_shapes import carried_shape_problem

    outputs: list[Tensor] = []
    for op in block.operations:
        op = op.operation
        name = op.name
        where = f"'{name}' at {describe_location(op.location) or '<unknown>'}"
        if name == "func.return":
            outputs = [b.tensor(v, where) for v in op.operands]
            continue
        if name in ("tfl.pseudo_const", "tfl.pseudo_qconst"):
            t = b.tensor(op.results[0], where)
            t.value = np.ascontiguousarray(constant_value(op)).reshape(t.shape)
            continue
        if name == "tfl.pseudo_sparse_const":
            t = b.tensor(op.results[0], where)
            t.value = _densify(op, t.shape, where)
            continue
        if name == "tfl.variable":  # no kernel: its bytes live in the state region
            b.tensor(op.results[0], where).variable = True
            continue
        if name == "tfl.no_value":
            b.by_value[op.results[0]] = None
            continue
        if name == "tfl.while" and (problem := carried_shape_problem(op)):
            raise TflcError(problem, where)
        ins = [b.by_value.get(v) if v in b.by_value else b.tensor(v, where) for v in op.operands]
        outs = [b.tensor(r, where) for r in op.results]
        for t in outs:
            t.name = describe_location(op.location)
        attrs = {a: attribute_value(op.attributes[a]) for a in op.attributes}
        short = name.removeprefix("tfl.")
        if short == "densify":
            if not ins[0].is_const:
                raise TflcError(
                    "the cpu target densifies sparse constants only (TFLite's densify takes a "
                    "sparse constant; this operand is computed at run time)",
                    where,
                )
            outs[0].value = ins[0].value
            continue
        if short == "dequantize" and ins[0].is_const:
            outs[0].value = dequantized(ins[0]).reshape(outs[0].shape)
            continue
        key = short
        if short == "custom" and "custom_code" in op.attributes:
            key = f"custom:{ir.StringAttr(op.attributes['custom_code']).value}"
        if key not in supported:
            what = f"'{name}'"
            if short == "custom" and "custom_code" in op.attributes:
                what += f" (custom op '{ir.StringAttr(op.attributes['custom_code']).value}')"
            raise TflcError(f"the cpu target cannot compile {what}: no kernel for it yet", where)
        if short in ("if", "while", "call"):
            extract = {"if": extract_if, "while": extract_while, "call": extract_call}[short]
            extract(op, ins, outs, b, nodes, supported, funcs, where)
            continue
        node = Node(short, ins, outs, attrs, where)
        if compile_time.foldable(node):
            try:
                compile_time.fold(node, ops_by_mlir_name()[name].opcode)
            except (ValueError, IndexError, TypeError, ArithmeticError, TflcError) as e:
                raise TflcError(f"cannot compute '{name}' at compile time: {e}", where) from None
            continue
        _check_compile_time_operands(key, ins, where)
        nodes.append(node)
    return outputs


def _densify(op: ir.Operation, shape: tuple[int, ...], where: str) -> np.ndarray:
    """The dense value of a `tfl.pseudo_sparse_const` (TFLite sparsity, no blocks)."""
    order = list(op.attributes["traversal_order"])
    if list(op.attributes["block_map"]) or order != list(range(len(shape))):
        raise TflcError("block-sparse constants are not supported by the cpu target", where)
    values = np.asarray(op.attributes["value"]).reshape(-1)
    dims = []
    for d in op.attributes["dim_metadata"]:
        fmt = ir.IntegerAttr(d["format"]).value
        if fmt == 0:
            dims.append((0, ir.IntegerAttr(d["dense_size"]).value, None, None))
        else:
            dims.append((1, 0, list(d["segments"]), list(d["indices"])))
    dense = np.zeros(shape, values.dtype)

    def walk(level: int, pos: int, coords: tuple[int, ...]) -> None:
        if level == len(dims):
            dense[coords] = values[pos]
            return
        fmt, size, segments, indices = dims[level]
        if fmt == 0:
            for i in range(size):
                walk(level + 1, pos * size + i, (*coords, i))
        else:
            for j in range(segments[pos], segments[pos + 1]):
                walk(level + 1, j, (*coords, indices[j]))

    walk(0, 0, ())
    return dense
