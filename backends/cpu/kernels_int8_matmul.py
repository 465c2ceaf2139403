"""int8 batch_matmul (both operands activations) and transpose_conv, as the interpreter does
them: exact int32 sums of zero-point-adjusted products, then TFLite's requantization.

batch_matmul uses the reference rounding and no clamp beyond the int8 range; transpose_conv
requantizes channels in blocks of 8 with "neon" rounding and the rest with the reference one,
as LiteRT's optimized kernel does. Both are scalar loops: they are small in the corpus.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu import kernels_int8_common as q
from tflc.backends.cpu.graph import Node
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling, batch_matmul_rows
from tflc.backends.cpu.kernels_int8_gemm import _bias, _weights, conv_multipliers
from tflc.errors import TflcError
from tflc.runtime.kernels.geometry import conv_axis
from tflc.runtime.kernels.quant_math import quantize_multiplier


def emit_batch_matmul(k: Kernel, t: Tiling, node: Node) -> None:
    fn = k.fn
    x_t, y_t, o_t = node.inputs[0], node.inputs[1], node.outputs[0]
    if x_t.dtype != "i8" or y_t.dtype != "i8" or o_t.dtype != "i8":
        raise TflcError("batch_matmul int8 needs int8 operands and output", node.where)
    (xs, xz), (ys, yz), (os_, oz) = q.scale_zp(x_t), q.scale_zp(y_t), q.scale_zp(o_t)
    xs, ys, os_ = (float(np.float32(s)) for s in (xs, ys, os_))
    mult, shift = (
        int(v) for v in quantize_multiplier(np.float64(xs) * np.float64(ys) / np.float64(os_))
    )
    x, y, out = k.arg_tensor(x_t), k.arg_tensor(y_t), k.arg_tensor(o_t)
    with batch_matmul_rows(k, node) as rows:
        row, xrow, y0, n, depth = rows.row, rows.x_row, rows.y0, rows.n, rows.depth
        xs_k, ys_k, ys_j = rows.xs_k, rows.ys_k, rows.ys_j
        with fn.loop(0, n) as j:
            ycol = fn.add(y0, fn.mul(j, ys_j))
            with fn.loop_carried(0, depth, 1, [fn.i32(0)], "i32") as (kk, acc, res):
                a = fn.load(x[0], x[1], fn.add(xrow, fn.mul(kk, xs_k)))
                b = fn.load(y[0], y[1], fn.add(ycol, fn.mul(kk, ys_k)))
                a = fn.op(f"arith.subi {fn.op(f'arith.extsi {a} : i8 to i32')}, {fn.i32(xz)} : i32")
                b = fn.op(f"arith.subi {fn.op(f'arith.extsi {b} : i8 to i32')}, {fn.i32(yz)} : i32")
                res[:] = [
                    fn.op(f"arith.addi {acc[0]}, {fn.op(f'arith.muli {a}, {b} : i32')} : i32")
                ]
            r = fn.op(f"arith.extsi {res[0]} : i32 to i64")
            r = q.mbqm(fn, r, mult, shift, "i64", "tflite")
            r = q.clamp(
                fn, fn.op(f"arith.addi {r}, {q.iconst(fn, oz, 'i64')} : i64"), -128, 127, "i64"
            )
            fn.store(
                fn.op(f"arith.trunci {r} : i64 to i8"), out[0], out[1], fn.add(fn.mul(row, n), j)
            )


def emit_transpose_conv(k: Kernel, t: Tiling, node: Node) -> None:
    fn = k.fn
    w_t, x_t, y_t = node.inputs[1], node.inputs[2], node.outputs[0]
    b_t = node.inputs[3] if len(node.inputs) > 3 else None
    if x_t.dtype != "i8":
        raise TflcError(f"transpose_conv {x_t.dtype} on the cpu target", node.where)
    filt = _weights(w_t)  # [O, KH, KW, C]
    o_ch, kh, kw, c = filt.shape
    n, h, w, _ = x_t.shape
    _, oh, ow, _ = y_t.shape
    sh, sw = node.attr("stride_h", 1), node.attr("stride_w", 1)
    # TFLite derives the padding by treating the output as the input of a conv.
    padding = node.attr("padding", "SAME")
    top = conv_axis(padding, oh, kh, sh).before
    left = conv_axis(padding, ow, kw, sw).before
    mult, shift = conv_multipliers(x_t, w_t, y_t, o_ch)
    mult, shift = np.broadcast_to(mult, (o_ch,)), np.broadcast_to(shift, (o_ch,))
    x_zp, zo = q.scale_zp(x_t)[1], q.scale_zp(y_t)[1]
    lo, hi = q.out_clamp(node)
    x, y = k.arg_tensor(x_t), k.arg_tensor(y_t)
    wk = k.arg_const(filt.astype(np.int32).reshape(-1))
    bias = k.arg_const(_bias(b_t, o_ch).astype(np.int32))
    k.flops += 2 * n * h * w * kh * kw * c * o_ch
    vec = o_ch // 8 * 8
    tb, te = k.parallel_range(oh)
    with fn.loop(0, n) as b, fn.loop(tb, te) as oy, fn.loop(0, ow) as ox:
        for o in range(o_ch):
            acc = fn.load(bias[0], bias[1], fn.idx(o))
            for ky in range(kh):
                ny = fn.add(oy, top - ky)
                for kx in range(kw):
                    nx = fn.add(ox, left - kx)
                    iy = fn.op(f"arith.divsi {ny}, {fn.idx(sh)} : index")
                    ix = fn.op(f"arith.divsi {nx}, {fn.idx(sw)} : index")
                    ok = fn.op(
                        f"arith.andi {fn.in_range(ny, 0, h * sh)}, "
                        f"{fn.in_range(nx, 0, w * sw)} : i1"
                    )
                    ry = fn.op(f"arith.remsi {ny}, {fn.idx(sh)} : index")
                    rx = fn.op(f"arith.remsi {nx}, {fn.idx(sw)} : index")
                    on = fn.op(f"arith.ori {ry}, {rx} : index")
                    on = fn.op(f"arith.cmpi eq, {on}, {fn.idx(0)} : index")
                    ok = fn.op(f"arith.andi {ok}, {on} : i1")

                    def tap(a, iy=iy, ix=ix, ky=ky, kx=kx, o=o):
                        base = fn.mul(fn.lin([(b, h * w), (iy, w), (ix, 1)]), c)
                        w0 = ((o * kh + ky) * kw + kx) * c
                        with fn.loop_carried(0, c, 1, [a], "i32") as (ci, ac, res):
                            xv = fn.op(
                                f"arith.extsi {fn.load(x[0], x[1], fn.add(base, ci))} : i8 to i32"
                            )
                            xv = fn.op(f"arith.subi {xv}, {fn.i32(x_zp)} : i32")
                            wv = fn.load(wk[0], wk[1], fn.add(ci, w0))
                            p = fn.op(f"arith.muli {xv}, {wv} : i32")
                            res[:] = [fn.op(f"arith.addi {ac[0]}, {p} : i32")]
                        return res[0]

                    acc = fn.if_else_value(ok, lambda a=acc, tap=tap: tap(a), acc, "i32")
            r = fn.op(f"arith.extsi {acc} : i32 to i64")
            rounding = "neon" if o < vec else "tflite"
            r = q.mbqm(fn, r, int(mult[o]), int(shift[o]), "i64", rounding)
            r = q.clamp(
                fn, fn.op(f"arith.addi {r}, {q.iconst(fn, zo, 'i64')} : i64"), lo, hi, "i64"
            )
            idx = fn.add(fn.mul(fn.lin([(b, oh * ow), (oy, ow), (ox, 1)]), o_ch), o)
            fn.store(fn.op(f"arith.trunci {r} : i64 to i8"), y[0], y[1], idx)
