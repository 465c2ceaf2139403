"""int8 resize_bilinear: TFLite's ResizeBilinearInteger with 10-bit fixed-point coordinates
(weights and source rows/columns computed at compile time), rounding half away from zero."""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu.graph import Node
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling
from tflc.errors import TflcError

ONE = 1 << 10


def _trunc_div(a: np.ndarray, b: int) -> np.ndarray:
    return np.sign(a) * (np.abs(a) // b)


def _axis(n_out: int, n_in: int, align: bool, half: bool):
    scale = (ONE * n_in + n_out // 2) // n_out
    if align and n_out > 1:
        scale = (ONE * (n_in - 1) + (n_out - 1) // 2) // (n_out - 1)
    s = np.arange(n_out, dtype=np.int64) * scale + (scale // 2 - (1 << 9) if half else 0)
    lo = np.maximum(_trunc_div(s, ONE), 0)
    hi = np.minimum(_trunc_div(s + ONE - 1, ONE), n_in - 1)
    frac = s - ONE * lo
    return lo.astype(np.int32), hi.astype(np.int32), frac.astype(np.int32)


def emit_resize_bilinear(k: Kernel, t: Tiling, node: Node) -> None:
    fn = k.fn
    x_t, y_t = node.inputs[0], node.outputs[0]
    if x_t.dtype != "i8" or x_t.scale[0] != y_t.scale[0] or x_t.zero_point[0] != y_t.zero_point[0]:
        raise TflcError("int8 resize_bilinear with rescaling", node.where)
    n, h, w, c = x_t.shape
    oh, ow = y_t.shape[1:3]
    align, half = node.attr("align_corners", False), node.attr("half_pixel_centers", False)
    tabs = [k.arg_const(a) for a in (*_axis(oh, h, align, half), *_axis(ow, w, align, half))]
    x, y = k.arg_tensor(x_t), k.arg_tensor(y_t)

    def get(i: int, iv: str, as_index: bool) -> str:
        v = fn.load(tabs[i][0], tabs[i][1], iv)
        if as_index:
            return fn.op(f"arith.index_cast {v} : i32 to index")
        return fn.op(f"arith.extsi {v} : i32 to i64")

    one = fn._const(str(ONE), "i64")
    with fn.loop(0, n) as b, fn.loop(0, oh) as r:
        ya, yb, fy = get(0, r, True), get(1, r, True), get(2, r, False)
        gy = fn.op(f"arith.subi {one}, {fy} : i64")
        with fn.loop(0, ow) as col:
            xa, xb, fx = get(3, col, True), get(4, col, True), get(5, col, False)
            gx = fn.op(f"arith.subi {one}, {fx} : i64")
            bases = [
                fn.mul(fn.lin([(b, h * w), (yy, w), (xx, 1)]), c)
                for yy, xx in ((ya, xa), (yb, xa), (ya, xb), (yb, xb))
            ]
            weights = [
                fn.op(f"arith.muli {p} : i64")
                for p in (f"{gy}, {gx}", f"{fy}, {gx}", f"{gy}, {fx}", f"{fy}, {fx}")
            ]
            out = fn.mul(fn.lin([(b, oh * ow), (r, ow), (col, 1)]), c)
            with fn.loop(0, c) as ch:
                acc = fn._const("0", "i64")
                for base, wgt in zip(bases, weights, strict=True):
                    v = fn.op(f"arith.extsi {fn.load(x[0], x[1], fn.add(base, ch))} : i8 to i64")
                    acc = fn.op(f"arith.addi {acc}, {fn.op(f'arith.muli {v}, {wgt} : i64')} : i64")
                pos = fn.op(f"arith.cmpi sgt, {acc}, {fn._const('0', 'i64')} : i64")
                rnd = fn.op(
                    f"arith.select {pos}, {fn._const(str(1 << 19), 'i64')}, "
                    f"{fn._const(str(-(1 << 19)), 'i64')} : i64"
                )
                acc = fn.op(f"arith.addi {acc}, {rnd} : i64")
                acc = fn.op(f"arith.divsi {acc}, {fn._const(str(1 << 20), 'i64')} : i64")
                fn.store(fn.op(f"arith.trunci {acc} : i64 to i8"), y[0], y[1], fn.add(out, ch))
