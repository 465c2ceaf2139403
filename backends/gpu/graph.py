"""The dataflow graph the GPU backend schedules, read from a tfl module's `main` function.

Constants become numpy arrays, folded where the GPU would only re-do compile-time work:
`tfl.dequantize` of float16 or int8 weights, reshapes of constants. Reshape-like ops on
activations (`reshape`, `squeeze`, `expand_dims`) become aliases: no dispatch, the same arena
bytes. Quantized tensors are float32 here (`quantized.py`: int8 models compute in float).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from mlir import ir
from tflc.backends.gpu.quantized import (
    ActivationQuant,
    activation_quant,
    dequantize_constant,
    is_quantized,
)
from tflc.dialects.tfl import constant_value
from tflc.dialects.tfl_verifier import describe_location
from tflc.errors import TflcError

ALIAS_OPS = {"reshape", "squeeze", "expand_dims"}
# Ops whose value the static shapes give: always computed here, never dispatched.
SHAPE_OPS = {"shape", "rank"}
# Ops with several results -> their data operand: one `<op>_part` node per result (a
# dispatch each) when the other operands (axis, sizes) are constants.
MULTI_RESULT_OPS = {"split": 1, "split_v": 0, "unpack": 0, "topk_v2": 0}
# Element types the arena holds (runtime/gpu_arena.py: bool and integers as exact floats),
# as numpy names for the manifest.
ARENA_DTYPES = {
    "f32": "float32",
    "i1": "bool",
    "i8": "int8",
    "ui8": "uint8",
    "i16": "int16",
    "i32": "int32",
    "i64": "int64",
}


@dataclass
class Tensor:
    id: int
    shape: tuple[int, ...]
    dtype: str
    name: str = ""
    const: np.ndarray | None = None
    alias_of: int | None = None  # reshape-like: shares the storage of this tensor
    quant: ActivationQuant | None = None  # an int8 activation, held as its float value
    variable: bool = False  # a `tfl.variable`: state kept between calls, zeros at first

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


@dataclass
class Node:
    index: int
    op: str  # without the `tfl.` prefix
    attrs: dict[str, Any]
    inputs: list[int | None]
    outputs: list[int]
    where: str
    operation: ir.Operation | None = field(default=None, repr=False)


@dataclass
class Graph:
    tensors: list[Tensor]
    nodes: list[Node]
    inputs: list[int]
    outputs: list[int]

    @property
    def variables(self) -> list[int]:
        return [t.id for t in self.tensors if t.variable]

    def const(self, tid: int | None) -> np.ndarray | None:
        return None if tid is None else self.tensors[tid].const

    def consumers(self) -> dict[int, list[Node]]:
        users: dict[int, list[Node]] = {}
        for node in self.nodes:
            for t in node.inputs:
                if t is not None:
                    users.setdefault(t, []).append(node)
        return users

    def root(self, tid: int) -> int:
        """The tensor whose storage `tid` uses (following reshape aliases)."""
        while self.tensors[tid].alias_of is not None:
            tid = self.tensors[tid].alias_of
        return tid


def attr_value(attr: ir.Attribute) -> Any:
    for cls in (ir.BoolAttr, ir.IntegerAttr, ir.FloatAttr, ir.StringAttr):
        if isinstance(attr, cls):
            return cls(attr).value
    for cls in (ir.DenseI32ArrayAttr, ir.DenseI64ArrayAttr, ir.DenseF32ArrayAttr):
        if isinstance(attr, cls):
            return list(cls(attr))
    if isinstance(attr, ir.FlatSymbolRefAttr):
        return ir.FlatSymbolRefAttr(attr).value
    return str(attr)


def _functions(module: ir.Module) -> dict[str, ir.Operation]:
    return {
        ir.StringAttr(op.attributes["sym_name"]).value: op.operation
        for op in module.body.operations
        if op.operation.name == "func.func"
    }


def _main_function(module: ir.Module) -> ir.Operation:
    funcs = [op for op in module.body.operations if op.operation.name == "func.func"]
    for f in funcs:
        if ir.StringAttr(f.attributes["sym_name"]).value == "main":
            return f
    if not funcs:
        raise TflcError("module has no function", "gpu backend")
    return funcs[0]


def _shape_and_dtype(type_: ir.Type, where: str) -> tuple[tuple[int, ...], str]:
    if not isinstance(type_, ir.RankedTensorType):
        if str(type_) == "none":
            return (), "none"
        raise TflcError(f"unranked tensor type {type_} is not supported", where)
    shaped = ir.RankedTensorType(type_)
    if any(d < 0 for d in shaped.shape):
        raise TflcError(f"dynamic shape {type_} is not supported by the gpu target", where)
    return tuple(shaped.shape), str(shaped.element_type)


def build_graph(module: ir.Module) -> Graph:
    """The graph of `main`; constants folded, reshapes turned into aliases, recurrent ops
    expanded into steps (recurrent_steps.py)."""
    # recurrent_steps builds this module's Nodes: imported here, not at the top
    from tflc.backends.gpu.control_flow import CONTROL_OPS, GraphState, lower_control
    from tflc.backends.gpu.recurrent_steps import RECURRENT_OPS, expand, steppable

    func = _main_function(module)
    block = func.regions[0].blocks[0]
    tensors: list[Tensor] = []
    ids: dict[ir.Value, int] = {}

    def new_tensor(value: ir.Value, where: str, name: str = "", const=None) -> int:
        shape, dtype = _shape_and_dtype(value.type, where)
        t = Tensor(len(tensors), shape, dtype, name, const)
        if is_quantized(value.type):
            if const is not None:
                t.const, t.dtype = dequantize_constant(const, value.type), "f32"
            elif (q := activation_quant(value.type)) is not None:
                t.quant, t.dtype = q, "f32"
        tensors.append(t)
        ids[value] = t.id
        return t.id

    inputs = []
    for i, arg in enumerate(block.arguments):
        loc_name = describe_location(arg.location) or f"input_{i}"
        inputs.append(new_tensor(arg, "model input", loc_name))
    nodes: list[Node] = []

    def walk(block: ir.Block, args: list[int]) -> list[int]:
        """Reads `block` (main's, or a subgraph's: control_flow.py) with its arguments bound to
        `args`; returns the tensors it returns."""
        for a, t in zip(block.arguments, args, strict=True):
            ids[a] = t
        for op in block.operations:
            op = op.operation
            where = f"{describe_location(op.location) or '?'} ({op.name})"
            if op.name == "func.return":
                return [ids[v] for v in op.operands]
            read_op(op, where)
        return []

    def read_op(op: ir.Operation, where: str) -> None:
        if op.name == "tfl.no_value":
            ids[op.result] = -1
            return
        if op.name == "tfl.variable":
            tid = new_tensor(op.result, where, describe_location(op.location) or "")
            tensors[tid].variable = True
            return
        value = constant_value(op) if op.name != "tfl.pseudo_sparse_const" else _sparse(op, where)
        if value is not None:
            name = describe_location(op.location) or ""
            new_tensor(op.result, where, name, const=np.asarray(value))
            return
        ins = [ids[v] for v in op.operands]
        ins_or_none = [None if t == -1 else t for t in ins]
        if op.name in CONTROL_OPS:
            outs = [] if op.name == "tfl.call" else [new_tensor(r, where) for r in op.results]
            results = lower_control(op, where, ins, outs, state)
            for r, t in zip(op.results, results, strict=True):
                ids[r] = t
            return
        if op.name[4:] in SHAPE_OPS:
            shape, dtype = _shape_and_dtype(op.result.type, where)
            src = tensors[ins_or_none[0]].shape
            new_tensor(op.result, where, const=_shape_value(op.name[4:], src, dtype))
            return
        consts = [None if t is None else tensors[t].const for t in ins_or_none]
        folded = _fold(op.name[4:], consts, [_shape_and_dtype(r.type, where) for r in op.results])
        if folded is not None:
            new_tensor(op.result, where, const=folded)
            return
        outs = [new_tensor(r, where, describe_location(op.location) or "") for r in op.results]
        name = op.name[4:] if op.name.startswith("tfl.") else op.name
        attrs = {k: attr_value(op.attributes[k]) for k in op.attributes}
        if (name in ALIAS_OPS or name == "dequantize") and ins_or_none[0] is not None:
            src = tensors[ins_or_none[0]]
            if src.size == tensors[outs[0]].size and tensors[outs[0]].dtype == src.dtype:
                tensors[outs[0]].alias_of = src.id
                return
        if name in MULTI_RESULT_OPS and all(
            t is None or k == MULTI_RESULT_OPS[name] or tensors[t].const is not None
            for k, t in enumerate(ins_or_none)
        ):
            for k, out in enumerate(outs):
                part_attrs = {**attrs, "result": k}
                nodes.append(
                    Node(len(nodes), f"{name}_part", part_attrs, ins_or_none, [out], where, op)
                )
            return
        if name in RECURRENT_OPS and steppable(ins_or_none, outs, tensors):
            nodes.extend(expand(name, attrs, ins_or_none, outs, tensors, where, op, len(nodes)))
            return
        nodes.append(Node(len(nodes), name, attrs, ins_or_none, outs, where, op))

    state = GraphState(tensors, nodes, _functions(module), walk)
    outputs = walk(block, inputs)
    return Graph(tensors, nodes, inputs, outputs)


def _fold(op: str, consts: list, results: list) -> np.ndarray | None:
    """Compile-time value of an op whose inputs are all constants, for the ops that need it."""
    if not consts or any(c is None for c in consts[:1]):
        return None
    (shape, dtype) = results[0]
    if op == "dequantize" and consts[0].dtype.kind == "f":  # float16, or int8 dequantized
        return consts[0].astype(np.float32)
    if op in ALIAS_OPS:
        return consts[0].reshape(shape)
    if op == "densify":
        return consts[0]
    return None


def _shape_value(op: str, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """`shape` / `rank` of a tensor of static `shape`, as the op's result type."""
    value = np.array(shape) if op == "shape" else np.array(len(shape))
    return value.astype(ARENA_DTYPES[dtype])


def _sparse(op: ir.Operation, where: str) -> np.ndarray:
    """The dense value of a `tfl.pseudo_sparse_const` (TFLite's sparsity format, no blocks)."""
    values = np.array(ir.DenseElementsAttr(op.attributes["value"])).reshape(-1)
    shape, _ = _shape_and_dtype(op.result.type, where)
    order = list(ir.DenseI32ArrayAttr(op.attributes["traversal_order"]))
    if len(list(ir.DenseI32ArrayAttr(op.attributes["block_map"]))) or order != sorted(order):
        raise TflcError("block-sparse or reordered sparse constants are not supported", where)
    dims = []
    for meta in ir.ArrayAttr(op.attributes["dim_metadata"]):
        d = ir.DictAttr(meta)
        if ir.IntegerAttr(d["format"]).value == 0:
            dims.append(("dense", ir.IntegerAttr(d["dense_size"]).value, None, None))
        else:
            seg = np.array(list(ir.DenseI32ArrayAttr(d["segments"])))
            idx = np.array(list(ir.DenseI32ArrayAttr(d["indices"])))
            dims.append(("sparse", 0, seg, idx))
    # Walk level by level: `pos` is each entry's position within its level, `coords` its index.
    pos = np.zeros(1, np.int64)
    coords = np.zeros((1, 0), np.int64)
    for kind, size, seg, idx in dims:
        if kind == "dense":
            pos = (pos[:, None] * size + np.arange(size)).reshape(-1)
            coords = np.repeat(coords, size, axis=0)
            coords = np.concatenate(
                [coords, np.tile(np.arange(size), len(coords) // size)[:, None]], 1
            )
        else:
            counts = seg[pos + 1] - seg[pos]
            new_pos = np.concatenate([np.arange(seg[p], seg[p + 1]) for p in pos])
            coords = np.concatenate([np.repeat(coords, counts, axis=0), idx[new_pos][:, None]], 1)
            pos = new_pos
    dense = np.zeros(shape, values.dtype)
    dense[tuple(coords.T)] = values[pos]
    return dense
