"""Data-movement kernels: copies, concatenation, resize, and index-table gathers.

Shapes are static, so transpose, strided_slice, slice, tile, gather and gather_nd with constant
indices, depth_to_space, space_to_depth, pad, split, fill and the like are all `out[i] = in[table[i]]` with a
table computed at compile time by applying the op to `np.arange` (a negative entry means the pad
value). Concatenation copies contiguous runs.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu.graph import Node
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling
from tflc.errors import TflcError

TABLE_OPS = {
    "transpose",
    "strided_slice",
    "slice",
    "tile",
    "gather",
    "depth_to_space",
    "space_to_depth",
    "pad",
    "padv2",
    "mirror_pad",
    "split",
    "split_v",
    "reverse_v2",
    "broadcast_to",
    "unpack",
    "resize_nearest_neighbor",
    "gather_nd",
    "fill",
}


def _const(node: Node, i: int) -> np.ndarray:
    return np.asarray(node.inputs[i].value)  # constant: graph.COMPILE_TIME_OPERANDS


def _strided_slice(node: Node, src: np.ndarray) -> np.ndarray:
    begin, end, strides = (_const(node, i).reshape(-1).tolist() for i in (1, 2, 3))
    if node.attr("ellipsis_mask", 0) or node.attr("new_axis_mask", 0):
        raise TflcError("strided_slice with ellipsis or new_axis masks", node.where)
    slices = []
    for d in range(len(begin)):
        b = None if node.attr("begin_mask", 0) >> d & 1 else begin[d]
        e = None if node.attr("end_mask", 0) >> d & 1 else end[d]
        if node.attr("shrink_axis_mask", 0) >> d & 1:
            b = begin[d] % src.shape[d]
            slices.append(slice(b, b + 1, 1))
            continue
        if node.attr("offset", False) and e is not None:
            e = (b or 0) + e
        slices.append(slice(b, e, strides[d]))
    return src[tuple(slices)]


def _table(node: Node, src: np.ndarray, out_index: int) -> np.ndarray:
    op = node.op
    if op == "transpose":
        return np.transpose(src, _const(node, 1).reshape(-1).tolist())
    if op == "strided_slice":
        return _strided_slice(node, src)
    if op == "slice":
        begin, size = _const(node, 1).reshape(-1), _const(node, 2).reshape(-1)
        return src[
            tuple(
                slice(b, None if s < 0 else b + s)
                for b, s in zip(begin.tolist(), size.tolist(), strict=True)
            )
        ]
    if op == "tile":
        return np.tile(src, _const(node, 1).reshape(-1).tolist())
    if op == "gather":
        if node.attr("batch_dims", 0):
            raise TflcError("gather with batch_dims", node.where)
        return np.take(src, _const(node, 1), axis=node.attr("axis", 0))
    if op in ("depth_to_space", "space_to_depth"):
        b = node.attr("block_size")
        n, h, w, c = src.shape
        if op == "depth_to_space":
            return src.reshape(n, h, w, b, b, c // (b * b)).transpose(0, 1, 3, 2, 4, 5)
        return src.reshape(n, h // b, b, w // b, b, c).transpose(0, 1, 3, 2, 4, 5)
    if op in ("pad", "padv2"):
        return np.pad(src, _const(node, 1).reshape(-1, 2).tolist(), constant_values=-1)
    if op == "mirror_pad":
        mode = "reflect" if node.attr("mode", "REFLECT") == "REFLECT" else "symmetric"
        return np.pad(src, _const(node, 1).reshape(-1, 2).tolist(), mode=mode)
    if op == "split":
        axis = int(_const(node, 0).reshape(-1)[0])
        return np.split(src, len(node.outputs), axis=axis)[out_index]
    if op == "split_v":
        sizes = _const(node, 1).reshape(-1).tolist()
        axis = int(_const(node, 2).reshape(-1)[0]) % src.ndim
        if -1 in sizes:
            sizes[sizes.index(-1)] = src.shape[axis] - (sum(sizes) + 1)
        return np.split(src, np.cumsum(sizes)[:-1], axis=axis)[out_index]
    if op == "reverse_v2":
        return np.flip(src, tuple(_const(node, 1).reshape(-1).tolist()))
    if op == "broadcast_to":
        return np.broadcast_to(src, node.outputs[0].shape)
    if op == "unpack":
        return np.take(src, out_index, axis=node.attr("axis", 0))
    if op == "resize_nearest_neighbor":
        return _nearest(node, src)
    if op == "gather_nd":
        indices = _const(node, 1)
        return src[tuple(np.moveaxis(indices, -1, 0))]
    if op == "fill":  # the value operand, everywhere
        return np.broadcast_to(src.reshape(()), node.outputs[0].shape)
    raise NotImplementedError(op)


def _nearest(node: Node, src: np.ndarray) -> np.ndarray:
    n, h, w, c = src.shape
    oh, ow = node.outputs[0].shape[1:3]
    align, half = node.attr("align_corners", False), node.attr("half_pixel_centers", False)

    def coords(out: int, size: int) -> np.ndarray:
        scale = (size - 1) / (out - 1) if align and out > 1 else size / out
        o = np.arange(out, dtype=np.float32)
        v = (o + (0.5 if half else 0.0)) * np.float32(scale)
        # TFLite rounds halves away from zero (std::round); np.round would round them to even
        v = np.floor(v.astype(np.float64) + 0.5) if align else np.floor(v)
        return np.minimum(v.astype(np.int64), size - 1)

    return src[:, coords(oh, h)][:, :, coords(ow, w)]


def emit_table_gather(k: Kernel, t: Tiling, node: Node) -> None:
    fn = k.fn
    x_t = node.inputs[1] if node.op in ("split", "fill") else node.inputs[0]
    src = np.arange(x_t.size, dtype=np.int64).reshape(x_t.shape)
    x = k.arg_tensor(x_t)
    pad_value = 0.0
    if node.op == "padv2" and len(node.inputs) > 2 and node.inputs[2] is not None:
        pad_value = float(_const(node, 2).reshape(-1)[0])
    for i, y_t in enumerate(node.outputs):
        table = np.ascontiguousarray(_table(node, src, i)).reshape(-1)
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
