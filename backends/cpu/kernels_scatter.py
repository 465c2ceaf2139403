"""Kernels that write where index values say: segment reductions, scatter_nd, sparse_to_dense.

The output is first filled (the reduction's identity, zeros, the default value), then each row
of the data is combined into, or stored at, the output row its indices name. Indices are read
at run time (constant indices are constant operands), so a loop's step index works too; a row
whose index falls outside the output is skipped, where LiteRT stops with an error (as
kernels_index.emit_gather gives zeros). Shapes come from the graph's static output shapes.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu.emitter import Function
from tflc.backends.cpu.graph import Node, Tensor, numpy_dtype
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling
from tflc.backends.cpu.kernels_typed import tensor_arg, value_type
from tflc.errors import TflcError
from tflc.runtime.kernels.slicing import SEGMENT_REDUCTIONS, segment_identity

SEGMENT_OPS = {op.lower() for op in SEGMENT_REDUCTIONS}
_COMBINE = {  # reduction -> (float op, signed integer op)
    "sum": ("arith.addf", "arith.addi"),
    "prod": ("arith.mulf", "arith.muli"),
    "max": ("arith.maximumf", "arith.maxsi"),
    "min": ("arith.minimumf", "arith.minsi"),
}


def _numeric(node: Node, t: Tensor) -> tuple[str, str]:
    ty, kind = value_type(t, node)
    if kind not in ("float", "int"):
        raise TflcError(f"the cpu target has no {t.dtype} kernel for '{node.op}'", node.where)
    return ty, kind


def _index_operand(node: Node, t: Tensor) -> None:
    if t.dtype not in ("i32", "i64"):
        raise TflcError(f"'{node.op}' with {t.dtype} indices", node.where)


def _literal(fn: Function, value, ty: str, kind: str) -> str:
    return fn.f32(float(value)) if kind == "float" else fn._const(str(int(value)), ty)


def _fill(fn: Function, y: tuple[str, str], size: int, value: str) -> None:
    with fn.loop(0, size) as i:
        fn.store(value, y[0], y[1], i)


def _row_offset(fn, idx, idx_t: Tensor, row: str, depth: int, dims, inner: int):
    """(flat offset of the output row named by indices[row, :depth], whether it is inside)."""
    offset: str | int = 0
    inside = fn.true()
    stride = inner
    for d in reversed(range(depth)):
        raw = fn.load(idx[0], idx[1], fn.add(fn.mul(row, depth), d))
        at = fn.op(f"arith.index_cast {raw} : {idx_t.dtype} to index")
        inside = fn.op(f"arith.andi {inside}, {fn.in_range(at, 0, dims[d])} : i1")
        offset = fn.add(offset, fn.mul(at, stride))
        stride *= dims[d]
    return (offset if isinstance(offset, str) else fn.idx(offset)), inside


def emit_segment(k: Kernel, t: Tiling, node: Node) -> None:
    """segment_sum / unsorted_segment_{sum,prod,max,min}: out[ids[r]] (op)= data[r], rows in
    order, over the output filled with the reduction's identity (runtime/kernels/slicing)."""
    fn = k.fn
    x_t, ids_t, y_t = node.inputs[0], node.inputs[1], node.outputs[0]
    ty, kind = _numeric(node, x_t)
    if value_type(y_t, node) != (ty, kind):
        raise TflcError(f"'{node.op}' of {x_t.dtype} to {y_t.dtype}", node.where)
    _index_operand(node, ids_t)
    reduction = SEGMENT_REDUCTIONS[node.op.upper()]
    rows = ids_t.size
    inner = int(np.prod(y_t.shape[1:], dtype=np.int64))
    if rows * inner != x_t.size:
        raise TflcError(
            f"segment ids of shape {list(ids_t.shape)} do not lead the data", node.where
        )
    x, ids, y = tensor_arg(k, x_t), tensor_arg(k, ids_t), k.arg_tensor(y_t)
    identity = segment_identity(reduction, numpy_dtype(x_t.dtype))
    _fill(fn, y, y_t.size, _literal(fn, identity, ty, kind))
    combine = _COMBINE[reduction][0 if kind == "float" else 1]
    with fn.loop(0, rows) as r:
        dst, inside = _row_offset(fn, ids, ids_t, r, 1, y_t.shape, inner)

        def accumulate(r=r, dst=dst) -> None:
            with fn.loop(0, inner) as e:
                at = fn.add(dst, e)
                v = fn.load(x[0], x[1], fn.add(fn.mul(r, inner), e))
                acc = fn.load(y[0], y[1], at)
                fn.store(fn.op(f"{combine} {acc}, {v} : {ty}"), y[0], y[1], at)

        fn.if_else(inside, accumulate)


def emit_scatter_nd(k: Kernel, t: Tiling, node: Node) -> None:
    """scatter_nd: zeros, then each update slice added at indices[j] (duplicates add up)."""
    fn = k.fn
    idx_t, u_t, y_t = node.inputs[0], node.inputs[1], node.outputs[0]
    ty, kind = _numeric(node, u_t)
    _index_operand(node, idx_t)
    depth = idx_t.shape[-1] if idx_t.shape else 1
    rows = idx_t.size // max(depth, 1)
    inner = int(np.prod(y_t.shape[depth:], dtype=np.int64))
    if rows * inner != u_t.size:
        raise TflcError(f"scatter_nd updates of shape {list(u_t.shape)}", node.where)
    idx, u, y = tensor_arg(k, idx_t), tensor_arg(k, u_t), k.arg_tensor(y_t)
    _fill(fn, y, y_t.size, _literal(fn, 0, ty, kind))
    add = "arith.addf" if kind == "float" else "arith.addi"
    with fn.loop(0, rows) as j:
        dst, inside = _row_offset(fn, idx, idx_t, j, depth, y_t.shape, inner)

        def scatter(j=j, dst=dst) -> None:
            with fn.loop(0, inner) as e:
                at = fn.add(dst, e)
                v = fn.load(u[0], u[1], fn.add(fn.mul(j, inner), e))
                fn.store(fn.op(f"{add} {fn.load(y[0], y[1], at)}, {v} : {ty}"), y[0], y[1], at)

        fn.if_else(inside, scatter)


def emit_sparse_to_dense(k: Kernel, t: Tiling, node: Node) -> None:
    """sparse_to_dense: the default value everywhere, then values[j] (or the one value) stored
    at indices[j] in order (a later duplicate wins); fewer index columns than output dims name
    whole sub-blocks, as the interpreter's kernel assigns them."""
    fn = k.fn
    idx_t, v_t, d_t, y_t = node.inputs[0], node.inputs[2], node.inputs[3], node.outputs[0]
    ty, kind = _numeric(node, v_t)
    _index_operand(node, idx_t)
    rows = idx_t.shape[0] if idx_t.shape else 1
    depth = idx_t.size // max(rows, 1)
    if depth > len(y_t.shape) or v_t.size not in (1, rows):
        raise TflcError(f"sparse_to_dense indices of shape {list(idx_t.shape)}", node.where)
    inner = int(np.prod(y_t.shape[depth:], dtype=np.int64))
    idx, values, y = tensor_arg(k, idx_t), tensor_arg(k, v_t), k.arg_tensor(y_t)
    default = tensor_arg(k, d_t)
    _fill(fn, y, y_t.size, fn.load(default[0], default[1], fn.idx(0)))
    with fn.loop(0, rows) as j:
        dst, inside = _row_offset(fn, idx, idx_t, j, depth, y_t.shape, inner)

        def store(j=j, dst=dst) -> None:
            v = fn.load(values[0], values[1], j if v_t.size > 1 else fn.idx(0))
            with fn.loop(0, inner) as e:
                fn.store(v, y[0], y[1], fn.add(dst, e))

        fn.if_else(inside, store)
