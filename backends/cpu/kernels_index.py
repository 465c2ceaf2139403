"""Kernels that compute along one axis or with indices: arg_max / arg_min, cumsum, one_hot,
gather and dynamic_update_slice with run-time indices.

Axes and depths are constants (graph.COMPILE_TIME_OPERANDS), so every loop bound is static.
Values are float32 or integers, loaded and compared in their own type (kernels_typed).
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu.graph import Node, numpy_dtype
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


def emit_embedding_lookup(k: Kernel, t: Tiling, node: Node) -> None:
    """Rows of the table (operand 1) at the ids (operand 0): gather along axis 0. A quantized
    table read into float rows (the hybrid form) is refused rather than left undequantized."""
    ids_t, table_t, y_t = node.inputs[0], node.inputs[1], node.outputs[0]
    if table_t.dtype != y_t.dtype:
        raise TflcError(f"'embedding_lookup' of a {table_t.dtype} table to {y_t.dtype}", node.where)
    emit_gather(k, t, Node("gather", [table_t, ids_t], node.outputs, {"axis": 0}, node.where))


def emit_topk(k: Kernel, t: Tiling, node: Node) -> None:
    """The k largest values of each last-axis row, largest first, equal values in index order
    (the interpreter's stable sort). Pick s is the best element ranked after pick s - 1: no
    scratch, k passes over the row."""
    fn = k.fn
    x_t, y_t, i_t = node.inputs[0], node.outputs[0], node.outputs[1]
    ty, kind = value_type(x_t, node)
    idx_ty, idx_kind = value_type(i_t, node)
    if kind not in ("float", "int") or idx_kind != "int":
        raise TflcError(f"'topk_v2' of {x_t.dtype} to {i_t.dtype} indices", node.where)
    n, picks = x_t.shape[-1], y_t.shape[-1]
    if _const_int(node, 1) != picks or picks > n:
        raise TflcError(f"'topk_v2' with k={_const_int(node, 1)} for {picks} outputs", node.where)
    rows = x_t.size // max(n, 1)
    top = (
        fn.f32(np.inf)
        if kind == "float"
        else fn._const(str(np.iinfo(numpy_dtype(x_t.dtype)).max), ty)
    )
    lt, eq, gt = (
        (f"arith.cmpf {p}" for p in ("olt", "oeq", "ogt"))
        if kind == "float"
        else (f"arith.cmpi {p}" for p in ("slt", "eq", "sgt"))
    )
    x, y, ix = k.arg_tensor(x_t), k.arg_tensor(y_t), k.arg_tensor(i_t)
    false = fn._const("0", "i1")
    with fn.loop(0, rows) as r:
        base = fn.mul(r, n)
        init = [top, fn.idx(-1)]
        with fn.loop_carried(0, picks, 1, init, [ty, "index"]) as (s, prev, picked):
            start = [top, fn.idx(0), false]
            with fn.loop_carried(0, n, 1, start, [ty, "index", "i1"]) as (j, best, res):
                v = fn.load(x[0], x[1], fn.add(base, j))
                below = fn.op(f"{lt}, {v}, {prev[0]} : {ty}")
                tied = fn.op(f"{eq}, {v}, {prev[0]} : {ty}")
                later = fn.op(f"arith.cmpi sgt, {j}, {prev[1]} : index")
                ranked_after = fn.op(
                    f"arith.ori {below}, {fn.op(f'arith.andi {tied}, {later} : i1')} : i1"
                )
                first = fn.op(f"arith.xori {best[2]}, {fn.true()} : i1")
                larger = fn.op(f"{gt}, {v}, {best[0]} : {ty}")
                take = fn.op(
                    f"arith.andi {ranked_after}, {fn.op(f'arith.ori {first}, {larger} : i1')} : i1"
                )
                res[:] = [
                    fn.op(f"arith.select {take}, {v}, {best[0]} : {ty}"),
                    fn.op(f"arith.select {take}, {j}, {best[1]} : index"),
                    fn.op(f"arith.ori {best[2]}, {take} : i1"),
                ]
            out = fn.add(fn.mul(r, picks), s)
            fn.store(res[0], y[0], y[1], out)
            fn.store(fn.op(f"arith.index_cast {res[1]} : index to {idx_ty}"), ix[0], ix[1], out)
            picked[:] = [res[0], res[1]]


def emit_bucketize(k: Kernel, t: Tiling, node: Node) -> None:
    """The number of boundaries not above x (std::upper_bound over the sorted boundaries, as
    the interpreter's searchsorted side="right"), compared in double as the interpreter does."""
    fn = k.fn
    x_t, y_t = node.inputs[0], node.outputs[0]
    ty, kind = value_type(x_t, node)
    out_ty, out_kind = value_type(y_t, node)
    if kind not in ("float", "int") or out_kind != "int":
        raise TflcError(f"'bucketize' of {x_t.dtype} to {y_t.dtype}", node.where)
    bounds = np.asarray(node.attr("boundaries", []), np.float64)
    x, y = k.arg_tensor(x_t), k.arg_tensor(y_t)
    table = k.arg_const(bounds.astype(np.float32)) if bounds.size else None  # float32 options
    with fn.loop(0, x_t.size) as i:
        v = fn.load(x[0], x[1], i)
        v = fn.op(
            f"arith.extf {v} : f32 to f64" if kind == "float" else f"arith.sitofp {v} : {ty} to f64"
        )
        count: str = fn._const("0", out_ty)
        if table is not None:
            one = fn._const("1", out_ty)
            with fn.loop_carried(0, bounds.size, 1, [count], out_ty) as (b, acc, res):
                bound = fn.op(f"arith.extf {fn.load(table[0], table[1], b)} : f32 to f64")
                # not below the bound (a NaN counts every one: upper_bound's end)
                past = fn.op(f"arith.cmpf uge, {v}, {bound} : f64")
                res[:] = [
                    fn.op(
                        f"arith.select {past}, {fn.op(f'arith.addi {acc[0]}, {one} : {out_ty}')}, {acc[0]} : {out_ty}"
                    )
                ]
            count = res[0]
        fn.store(count, y[0], y[1], i)


def emit_broadcast_args(k: Kernel, t: Tiling, node: Node) -> None:
    """The broadcast of two shapes known only at run time (constant ones fold at compile
    time): dims aligned at the end, a missing dim is 1, and a 1 takes the other's size."""
    fn = k.fn
    a_t, b_t, y_t = node.inputs[0], node.inputs[1], node.outputs[0]
    ty, kind = value_type(y_t, node)
    if kind != "int" or {a_t.dtype, b_t.dtype} != {y_t.dtype}:
        raise TflcError(f"'broadcast_args' of {a_t.dtype} and {b_t.dtype}", node.where)
    a, b, y = tensor_arg(k, a_t), tensor_arg(k, b_t), k.arg_tensor(y_t)
    rank = y_t.size
    one = fn._const("1", ty)
    for d in range(rank):
        dims = []
        for m, size in ((a, a_t.size), (b, b_t.size)):
            j = d - (rank - size)
            dims.append(fn.load(m[0], m[1], fn.idx(j)) if j >= 0 else one)
        a_is_one = fn.op(f"arith.cmpi eq, {dims[0]}, {one} : {ty}")
        fn.store(
            fn.op(f"arith.select {a_is_one}, {dims[1]}, {dims[0]} : {ty}"), y[0], y[1], fn.idx(d)
        )


def emit_hashtable_lookup(k: Kernel, t: Tiling, node: Node) -> None:
    """Rows of `values` whose key equals each lookup (the first such key: the interpreter's
    searchsorted over the sorted keys), a zero row and a 0 hit where no key does."""
    fn = k.fn
    look_t, keys_t, values_t = node.inputs
    out_t, hits_t = node.outputs
    if look_t.dtype != "i32" or keys_t.dtype != "i32" or out_t.dtype != values_t.dtype:
        raise TflcError(f"'hashtable_lookup' of {look_t.dtype} keys", node.where)
    row = values_t.size // max(keys_t.size, 1)
    look, keys = tensor_arg(k, look_t), tensor_arg(k, keys_t)
    values, out, hits = tensor_arg(k, values_t), k.arg_tensor(out_t), k.arg_tensor(hits_t)
    elem = out[1].split("x")[-1].rstrip(">")
    zero = fn.f32(0.0) if elem == "f32" else fn._const("0", elem)
    false = fn._const("0", "i1")
    with fn.loop(0, look_t.size) as i:
        wanted = fn.load(look[0], look[1], i)
        with fn.loop_carried(0, keys_t.size, 1, [false, fn.idx(0)], ["i1", "index"]) as (
            j,
            acc,
            res,
        ):
            equal = fn.op(f"arith.cmpi eq, {fn.load(keys[0], keys[1], j)}, {wanted} : i32")
            take = fn.op(
                f"arith.andi {equal}, {fn.op(f'arith.xori {acc[0]}, {fn.true()} : i1')} : i1"
            )
            res[:] = [
                fn.op(f"arith.ori {acc[0]}, {take} : i1"),
                fn.op(f"arith.select {take}, {j}, {acc[1]} : index"),
            ]
        found, at = res
        fn.store(fn.op(f"arith.extui {found} : i1 to i8"), hits[0], hits[1], i)
        with fn.loop(0, row) as e:
            v = fn.load(values[0], values[1], fn.add(fn.mul(at, row), e))
            v = fn.op(f"arith.select {found}, {v}, {zero} : {elem}")
            fn.store(v, out[0], out[1], fn.add(fn.mul(i, row), e))
