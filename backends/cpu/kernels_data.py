"""Data-movement kernels: copies, concatenation, resize, and index-table gathers.

Shapes are static, so the data-movement ops (runtime/op_traits.DATA_MOVEMENT: transpose, slices,
tile, gathers with constant indices, pads, splits, space/depth/batch rearrangements, fill...) are
all `out[i] = in[table[i]]` with the table the interpreter's own kernel gives at compile time
(runtime/kernels/gather_tables.py; a negative entry means the fill value). Concatenation copies
contiguous runs.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu.graph import Node
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling
from tflc.errors import TflcError
from tflc.runtime.kernels.gather_tables import gather_positions, operand_roles
from tflc.runtime.op_traits import DATA_MOVEMENT

# The data-movement ops of one data operand (pack has a kernel of its own below), and those of
# several (matrix_set_diag: the matrices and the diagonal).
TABLE_OPS = {op.lower() for op in DATA_MOVEMENT if len(operand_roles(op).data) == 1} - {"pack"}
MULTI_SOURCE_TABLE_OPS = (
    {op.lower() for op in DATA_MOVEMENT if not operand_roles(op).variadic_data}
    - TABLE_OPS
    - {"gather"}
)


def _tables(node: Node) -> list[np.ndarray]:
    """Where each output element comes from (-1: the fill value), from the interpreter's kernel
    (runtime/kernels/gather_tables.py); the integer operands are constants (graph.py)."""
    ins = node.inputs
    positions = gather_positions(
        node.op.upper(),
        [None if t is None else tuple(t.shape) for t in ins],
        [None if t is None or not t.is_const else np.asarray(t.value) for t in ins],
        [tuple(t.shape) for t in node.outputs],
        node.attrs,
    )
    return [p - 1 for p in positions]


def emit_table_gather(k: Kernel, t: Tiling, node: Node) -> None:
    fn = k.fn
    roles = operand_roles(node.op.upper())
    fill = roles.fill
    x_t = node.inputs[roles.data[0]]
    x = k.arg_tensor(x_t)
    pad_value = 0.0
    if fill is not None and fill < len(node.inputs) and node.inputs[fill] is not None:
        pad_value = float(np.asarray(node.inputs[fill].value).reshape(-1)[0])
    for y_t, table in zip(node.outputs, _tables(node), strict=True):
        if table.size != y_t.size:
            raise TflcError(
                f"{node.op} gives {table.size} elements where the graph declares {y_t.size} "
                f"(output shape {list(y_t.shape)})",
                node.where,
            )
        y = k.arg_tensor(y_t)
        elem = x[1].split("x")[-1].rstrip(">")
        tb = k.arg_const(table.astype(np.int32))
        with fn.loop(0, y_t.size) as o:
            j = fn.load(tb[0], tb[1], o)
            if (table < 0).any():
                neg = fn.op(f"arith.cmpi slt, {j}, {fn.i32(0)} : i32")
                jc = fn.op(f"arith.maxsi {j}, {fn.i32(0)} : i32")
                ji = fn.op(f"arith.index_cast {jc} : i32 to index")
                val = fn.load(x[0], x[1], ji)
                pv = fn.f32(pad_value) if elem == "f32" else fn._const(str(int(pad_value)), elem)
                val = fn.op(f"arith.select {neg}, {pv}, {val} : {elem}")
            else:
                ji = fn.op(f"arith.index_cast {j} : i32 to index")
                val = fn.load(x[0], x[1], ji)
            fn.store(val, y[0], y[1], o)


def emit_multi_source_gather(k: Kernel, t: Tiling, node: Node) -> None:
    """A data-movement op of several data operands: its table's positions run through the
    operands one after another, so each operand fills the output elements whose positions
    fall in its range (a pair of index tables per operand: where to, where from)."""
    fn = k.fn
    y_t = node.outputs[0]
    (table,) = _tables(node)
    if table.size != y_t.size or (table < 0).any():
        raise TflcError(f"{node.op} gives an unexpected table for {list(y_t.shape)}", node.where)
    y = k.arg_tensor(y_t)
    start = 0
    for i in operand_roles(node.op.upper()).data:
        x_t = node.inputs[i]
        picked = np.flatnonzero((table >= start) & (table < start + x_t.size))
        if picked.size:
            x = k.arg_tensor(x_t)
            dst = k.arg_const(picked.astype(np.int32))
            src = k.arg_const((table[picked] - start).astype(np.int32))
            with fn.loop(0, picked.size) as j:
                to = fn.op(f"arith.index_cast {fn.load(dst[0], dst[1], j)} : i32 to index")
                at = fn.op(f"arith.index_cast {fn.load(src[0], src[1], j)} : i32 to index")
                fn.store(fn.load(x[0], x[1], at), y[0], y[1], to)
        start += x_t.size


def _copy_run(k: Kernel, src, s_off: str, dst, d_off: str, n: int, elem: str) -> None:
    fn, v = k.fn, k.lanes
    if elem == "f32" and n >= v:
        main = n - n % v
        with fn.loop(0, main, v) as i:
            fn.vstore(fn.vload(src[0], src[1], fn.add(s_off, i)), dst[0], dst[1], fn.add(d_off, i))
        if n % v:
            xv = fn.vload_n(src[0], src[1], fn.add(s_off, main), n % v)
            fn.vstore_n(xv, dst[0], dst[1], fn.add(d_off, main), n % v)
        return
    with fn.loop(0, n) as i:
        fn.store(fn.load(src[0], src[1], fn.add(s_off, i)), dst[0], dst[1], fn.add(d_off, i))


def emit_copy(k: Kernel, t: Tiling, node: Node) -> None:
    x = k.arg_tensor(node.inputs[0])
    y = k.arg_tensor(node.outputs[0])
    elem = x[1].split("x")[-1].rstrip(">")
    zero = k.fn.idx(0)
    _copy_run(k, x, zero, y, zero, node.outputs[0].size, elem)


def emit_concatenation(k: Kernel, t: Tiling, node: Node) -> None:
    fn = k.fn
    y_t = node.outputs[0]
    rank = len(y_t.shape)
    axis = node.attr("axis", 0) % rank
    if node.attr("fused_activation_function", "NONE") != "NONE":
        raise TflcError("concatenation with a fused activation", node.where)
    outer = int(np.prod(y_t.shape[:axis], dtype=np.int64))
    out_run = int(np.prod(y_t.shape[axis:], dtype=np.int64))
    y = k.arg_tensor(y_t)
    elem = y[1].split("x")[-1].rstrip(">")
    ins = [
        (k.arg_tensor(x_t), int(np.prod(x_t.shape[axis:], dtype=np.int64))) for x_t in node.inputs
    ]
    with fn.loop(0, outer) as o:
        at = 0
        for x, run in ins:
            _copy_run(k, x, fn.mul(o, run), y, fn.add(fn.mul(o, out_run), at), run, elem)
            at += run


def emit_resize_bilinear(k: Kernel, t: Tiling, node: Node) -> None:
    fn, v = k.fn, t.lanes
    x_t, y_t = node.inputs[0], node.outputs[0]
    n, h, w, c = x_t.shape
    oh, ow = y_t.shape[1:3]
    align, half = node.attr("align_corners", False), node.attr("half_pixel_centers", False)

    def axis(out: int, size: int):
        scale = np.float32((size - 1) / (out - 1) if align and out > 1 else size / out)
        o = np.arange(out, dtype=np.float32)
        val = (o + np.float32(0.5)) * scale - np.float32(0.5) if half else o * scale
        lo = np.maximum(np.floor(val).astype(np.int64), 0)
        hi = np.minimum(np.ceil(val).astype(np.int64), size - 1)
        return lo.astype(np.int32), hi.astype(np.int32), (val - lo).astype(np.float32)

    y0, y1, dy = axis(oh, h)
    x0, x1, dx = axis(ow, w)
    x = k.arg_tensor(x_t)
    y = k.arg_tensor(y_t)
    tabs = [k.arg_const(a) for a in (y0, y1, dy, x0, x1, dx)]

    def get(i: int, iv: str, is_float: bool) -> str:
        val = fn.load(tabs[i][0], tabs[i][1], iv)
        return val if is_float else fn.op(f"arith.index_cast {val} : i32 to index")

    with fn.loop(0, n) as b, fn.loop(0, oh) as r:
        ya, yb, wy = get(0, r, False), get(1, r, False), get(2, r, True)
        with fn.loop(0, ow) as q:
            xa, xb, wx = get(3, q, False), get(4, q, False), get(5, q, True)
            vy, vx = fn.splat(wy), fn.splat(wx)
            one = fn.vf32(1.0)
            iy = fn.op(f"arith.subf {one}, {vy} : vector<{v}xf32>")
            ix = fn.op(f"arith.subf {one}, {vx} : vector<{v}xf32>")
            bases = [
                fn.mul(fn.lin([(b, h * w), (yy, w), (xx, 1)]), c)
                for yy, xx in ((ya, xa), (yb, xa), (ya, xb), (yb, xb))
            ]
            weights = [(iy, ix), (vy, ix), (iy, vx), (vy, vx)]
            out = fn.mul(fn.lin([(b, oh * ow), (r, ow), (q, 1)]), c)
            for c0 in range(0, c, v):
                count = min(v, c - c0)
                acc = None
                for base, (wa, wb) in zip(bases, weights, strict=True):
                    pv = fn.vload_n(x[0], x[1], fn.add(base, c0), count)
                    term = fn.op(f"arith.mulf {pv}, {wa} : vector<{v}xf32>")
                    term = fn.op(f"arith.mulf {term}, {wb} : vector<{v}xf32>")
                    acc = (
                        term
                        if acc is None
                        else fn.op(f"arith.addf {acc}, {term} : vector<{v}xf32>")
                    )
                fn.vstore_n(acc, y[0], y[1], fn.add(out, c0), count)
