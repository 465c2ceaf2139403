"""Kernels that compute along one axis or with indices: arg_max / arg_min, cumsum, one_hot,
gather and dynamic_update_slice with run-time indices.

Axes and depths are constants (graph.COMPILE_TIME_OPERANDS), so every loop bound is static.
Values are float32 or integers, loaded and compared in their own type (kernels_typed).
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu.graph import Node
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling
from tflc.backends.cpu.kernels_typed import load_value, store_value, tensor_arg, value_type
from tflc.errors import TflcError


def _axis_split(shape: tuple[int, ...], axis: int) -> tuple[int, int, int]:
    """(elements before, along, after) `axis` of `shape`."""
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    return outer, shape[axis], int(np.prod(shape[axis + 1 :], dtype=np.int64))


def _const_int(node: Node, i: int) -> int:
    return int(np.asarray(node.inputs[i].value).reshape(-1)[0])


def emit_arg_extreme(k: Kernel, t: Tiling, node: Node) -> None:
    """The index of the first largest (arg_max) or smallest (arg_min) value along the axis, as
    TFLite's strict comparison keeps the first of equal values."""
    fn = k.fn
    x_t, y_t = node.inputs[0], node.outputs[0]
    ty, kind = value_type(x_t, node)
    out_ty, out_kind = value_type(y_t, node)
    if kind == "bool" or out_kind != "int":
        raise TflcError(f"'{node.op}' of {x_t.dtype} to {y_t.dtype}", node.where)
    outer, n, inner = _axis_split(x_t.shape, _const_int(node, 1) % len(x_t.shape))
    if kind == "float":
        pred = "ogt" if node.op == "arg_max" else "olt"
        cmp = f"arith.cmpf {pred}"
    else:
        pred = "gt" if node.op == "arg_max" else "lt"
        cmp = f"arith.cmpi {'s' if kind == 'int' else 'u'}{pred}"
    x = k.arg_tensor(x_t)
    y = k.arg_tensor(y_t)
    with fn.loop(0, outer) as o, fn.loop(0, inner) as i:
        base = fn.add(fn.mul(o, n * inner), i)
        first = load_value(fn, x, base, x_t)
        with fn.loop_carried(1, n, 1, [first, fn.idx(0)], [ty, "index"]) as (j, acc, res):
            v = load_value(fn, x, fn.add(base, fn.mul(j, inner)), x_t)
            better = fn.op(f"{cmp}, {v}, {acc[0]} : {ty}")
            best = fn.op(f"arith.select {better}, {v}, {acc[0]} : {ty}")
            at = fn.op(f"arith.select {better}, {j}, {acc[1]} : index")
            res[:] = [best, at]
        index = fn.op(f"arith.index_cast {res[1]} : index to {out_ty}")
        fn.store(index, y[0], y[1], fn.add(fn.mul(o, inner), i))


def emit_cumsum(k: Kernel, t: Tiling, node: Node) -> None:
    """Running sums along the axis in order (reversed with `reverse`), one addition per step as
    TFLite's kernel adds; `exclusive` stores the sum before adding."""
    fn = k.fn
    x_t, y_t = node.inputs[0], node.outputs[0]
    ty, kind = value_type(x_t, node)
    if kind not in ("float", "int"):
        raise TflcError(f"'cumsum' of {x_t.dtype}", node.where)
    outer, n, inner = _axis_split(x_t.shape, _const_int(node, 1) % len(x_t.shape))
    reverse, exclusive = node.attr("reverse", False), node.attr("exclusive", False)
    add = "arith.addf" if kind == "float" else "arith.addi"
    zero = fn.f32(0.0) if kind == "float" else fn._const("0", ty)
    x = k.arg_tensor(x_t)
    y = k.arg_tensor(y_t)
    with fn.loop(0, outer) as o, fn.loop(0, inner) as i:
        base = fn.add(fn.mul(o, n * inner), i)
        with fn.loop_carried(0, n, 1, [zero], ty) as (j, acc, res):
            pos = fn.op(f"arith.subi {fn.idx(n - 1)}, {j} : index") if reverse else j
            at = fn.add(base, fn.mul(pos, inner))
            total = fn.op(f"{add} {acc[0]}, {fn.load(x[0], x[1], at)} : {ty}")
            fn.store(acc[0] if exclusive else total, y[0], y[1], at)
            res[:] = [total]


def emit_one_hot(k: Kernel, t: Tiling, node: Node) -> None:
    """out[..., d, ...] = on_value where indices[...] == d, else off_value (`axis` places d)."""
    fn = k.fn
    idx_t, y_t = node.inputs[0], node.outputs[0]
    idx_ty, idx_kind = value_type(idx_t, node)
    if idx_kind != "int":
        raise TflcError(f"'one_hot' with {idx_t.dtype} indices", node.where)
    depth = _const_int(node, 1)
    axis = node.attr("axis", -1)
    axis = len(idx_t.shape) if axis == -1 else axis
    outer, inner = _axis_split((*idx_t.shape[:axis], 1, *idx_t.shape[axis:]), axis)[::2]
    indices = k.arg_tensor(idx_t)
    on, off = tensor_arg(k, node.inputs[2]), tensor_arg(k, node.inputs[3])
    y = k.arg_tensor(y_t)
    value_type(y_t, node)  # refuses quantized outputs
    zero = fn.idx(0)
    on_v = load_value(fn, on, zero, node.inputs[2])
    off_v = load_value(fn, off, zero, node.inputs[3])
    with fn.loop(0, outer) as o, fn.loop(0, inner) as i:
        index = fn.load(indices[0], indices[1], fn.add(fn.mul(o, inner), i))
        with fn.loop(0, depth) as d:
            hit = fn.op(
                f"arith.cmpi eq, {index}, {fn.op(f'arith.index_cast {d} : index to {idx_ty}')} : {idx_ty}"
            )
            v = fn.op(f"arith.select {hit}, {on_v}, {off_v} : {value_type(y_t, node)[0]}")
            store_value(fn, v, y, fn.add(fn.mul(fn.add(fn.mul(o, depth), d), inner), i), y_t)


def emit_gather(k: Kernel, t: Tiling, node: Node) -> None:
    """`gather` along an axis with indices known only at run time (a loop's step index); with
    constant indices it is an index table (kernels_data). An index out of range, where LiteRT
    stops with an error, gives zeros, as on the mcu target."""
    if node.inputs[1].is_const:
        from tflc.backends.cpu.kernels_data import emit_table_gather

        emit_table_gather(k, t, node)
        return
    fn = k.fn
    x_t, idx_t, y_t = node.inputs[0], node.inputs[1], node.outputs[0]
    if node.attr("batch_dims", 0):
        raise TflcError("gather with batch_dims and run-time indices", node.where)
    if idx_t.dtype not in ("i32", "i64"):
        raise TflcError(f"gather with {idx_t.dtype} indices", node.where)
    outer, n, inner = _axis_split(x_t.shape, node.attr("axis", 0) % len(x_t.shape))
    x, idx, y = k.arg_tensor(x_t), k.arg_tensor(idx_t), k.arg_tensor(y_t)
    elem = x[1].split("x")[-1].rstrip(">")
    zero = fn.f32(0.0) if elem == "f32" else fn._const("0", elem)
    with fn.loop(0, outer) as o, fn.loop(0, idx_t.size) as j:
        raw = fn.load(idx[0], idx[1], j)
        at = fn.op(f"arith.index_cast {raw} : {idx_t.dtype} to index")
        inside = fn.in_range(at, 0, n)
        safe = fn.op(f"arith.select {inside}, {at}, {fn.idx(0)} : index")
        src = fn.mul(fn.add(fn.mul(o, n), safe), inner)
        dst = fn.mul(fn.add(fn.mul(o, idx_t.size), j), inner)
        with fn.loop(0, inner) as e:
            v = fn.load(x[0], x[1], fn.add(src, e))
            v = fn.op(f"arith.select {inside}, {v}, {zero} : {elem}")
            fn.store(v, y[0], y[1], fn.add(dst, e))


def emit_dynamic_update_slice(k: Kernel, t: Tiling, node: Node) -> None:
    """The operand copied, then the update written at starts known at run time (a recurrent
    loop's step), each clamped to [0, dim - update dim] as TFLite clamps them."""
    fn = k.fn
    x_t, u_t, s_t, y_t = node.inputs[0], node.inputs[1], node.inputs[2], node.outputs[0]
    if s_t.dtype not in ("i32", "i64"):
        raise TflcError(f"dynamic_update_slice with {s_t.dtype} starts", node.where)
    x, u, y = k.arg_tensor(x_t), tensor_arg(k, u_t), k.arg_tensor(y_t)
    starts = tensor_arg(k, s_t)
    with fn.loop(0, x_t.size) as i:
        fn.store(fn.load(x[0], x[1], i), y[0], y[1], i)
    shape, update = list(x_t.shape), list(u_t.shape)
    strides = [int(np.prod(shape[d + 1 :], dtype=np.int64)) for d in range(len(shape))]
    base: str | int = 0
    for d, (dim, size) in enumerate(zip(shape, update, strict=True)):
        raw = fn.load(starts[0], starts[1], fn.idx(d))
        at = fn.op(f"arith.index_cast {raw} : {s_t.dtype} to index")
        at = fn.op(f"arith.maxsi {at}, {fn.idx(0)} : index")
        at = fn.op(f"arith.minsi {at}, {fn.idx(dim - size)} : index")
        base = fn.add(base, fn.mul(at, strides[d]))
    u_strides = [int(np.prod(update[d + 1 :], dtype=np.int64)) for d in range(len(update))]
    ivs: list[str] = []

    def nest(level: int) -> None:
        if level < len(update):
            with fn.loop(0, update[level]) as iv:
                ivs.append(iv)
                nest(level + 1)
                ivs.pop()
            return
        src = fn.lin(list(zip(ivs, u_strides, strict=True)))
        dst = fn.add(base, fn.lin(list(zip(ivs, strides, strict=True))))
        fn.store(fn.load(u[0], u[1], src), y[0], y[1], dst)

    nest(0)
