"""Float transpose convolution: `tfl.transpose_conv` and mediapipe's custom
`Convolution2DTransposeBias` (the same computation with the options in a raw struct).

Written as a gather over output pixels (no scatter, so threads split output rows freely):
out[oy, ox, :] = bias + sum over taps (ky, kx) with (oy + pad_t - ky) divisible by the stride
of x[iy, ix, :] @ w[:, ky, kx, :]. Vectorized over output channels; filters are packed
`[KH][KW][Cin][Cout padded]`.
"""

from __future__ import annotations

import struct

import numpy as np
from tflc.backends.cpu.emitter import activation, vty
from tflc.backends.cpu.graph import Node
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling, const_float
from tflc.errors import TflcError
from tflc.runtime.kernels.geometry import conv_axis, mediapipe_transpose_conv_axis


def _geometry(node: Node, filt=None):
    """(x, filter [Cout,KH,KW,Cin], bias or None, strides, pads, activation)."""
    if node.op == "transpose_conv":
        x_t, w_t = node.inputs[2], node.inputs[1]
        b_t = node.inputs[3] if len(node.inputs) > 3 else None
        filt = const_float(w_t) if filt is None else filt
        sh, sw = node.attr("stride_h", 1), node.attr("stride_w", 1)
        oh, ow = node.outputs[0].shape[1:3]
        padding = node.attr("padding", "SAME")
        # TFLite treats the transpose conv's output as a conv input to derive the padding.
        pt = conv_axis(padding, oh, filt.shape[1], sh).before
        pl = conv_axis(padding, ow, filt.shape[2], sw).before
        act = node.attr("fused_activation_function", "NONE")
        return x_t, filt, b_t, (sh, sw), (pt, pl), act
    raw = bytes(np.asarray(node.attr("custom_option")).astype(np.uint8).tolist())
    if len(raw) < 12:
        raise TflcError("Convolution2DTransposeBias options need 12 bytes", node.where)
    padding, sw, sh = struct.unpack_from("<3i", raw)
    x_t, w_t, b_t = node.inputs[0], node.inputs[1], node.inputs[2]
    filt = const_float(w_t)
    _, kh, kw, _ = filt.shape
    h, w = x_t.shape[1:3]
    pt = mediapipe_transpose_conv_axis(padding == 1, h, kh, sh).before
    pl = mediapipe_transpose_conv_axis(padding == 1, w, kw, sw).before
    return x_t, filt, b_t, (sh, sw), (pt, pl), "NONE"


def is_transpose_conv_custom(node: Node) -> bool:
    return node.op == "custom" and node.attr("custom_code") == "Convolution2DTransposeBias"


def emit_transpose_conv(k: Kernel, t: Tiling, node: Node, filt=None, rescale=None) -> None:
    """`filt` / `rescale`: filter values and output rescale of a dynamic-range transpose conv
    (see kernels_conv._Tile)."""
    if node.op == "custom" and not is_transpose_conv_custom(node):
        raise TflcError(f"custom op '{node.attr('custom_code')}' has no cpu kernel", node.where)
    x_t, filt, b_t, (sh, sw), (pt, pl), act = _geometry(node, filt)
    y_t = node.outputs[0]
    cout, kh, kw, cin = filt.shape
    n, h, w, _ = x_t.shape
    oh, ow = y_t.shape[1:3]
    fn, v = k.fn, t.lanes
    cpad = -(-cout // v) * v
    wp = np.zeros((kh, kw, cin, cpad), np.float32)
    wp[..., :cout] = filt.transpose(1, 2, 3, 0)
    bias = np.zeros(cpad, np.float32)
    if b_t is not None:
        bias[:cout] = const_float(b_t)
    x = k.arg_tensor(x_t)
    y = k.arg_tensor(y_t)
    wv = k.arg_const(wp)
    bv = k.arg_const(bias)
    k.flops += 2 * n * h * w * kh * kw * cin * cout
    tb, te = k.parallel_range(oh)

    def axis_tap(o: str, k_: int, s: int, pad: int, size: int) -> tuple[str, str]:
        """(valid, input index) of output coordinate `o` for filter tap `k_`."""
        tpos = fn.add(o, pad - k_)
        q = fn.op(f"arith.divsi {tpos}, {fn.idx(s)} : index") if s > 1 else tpos
        ok = fn.in_range(tpos, 0, (size - 1) * s + 1)
        if s > 1:
            r = fn.op(f"arith.remsi {tpos}, {fn.idx(s)} : index")
            div = fn.op(f"arith.cmpi eq, {r}, {fn.idx(0)} : index")
            ok = fn.op(f"arith.andi {ok}, {div} : i1")
        return ok, q

    with fn.loop(0, n) as b, fn.loop(tb, te) as oy, fn.loop(0, ow) as ox:
        ys = [axis_tap(oy, ky, sh, pt, h) for ky in range(kh)]
        xs = [axis_tap(ox, kx, sw, pl, w) for kx in range(kw)]
        out = fn.mul(fn.lin([(b, oh * ow), (oy, ow), (ox, 1)]), cout)
        for c0 in range(0, cout, v):
            count = min(v, cout - c0)
            bias_v = fn.vload(bv[0], bv[1], fn.idx(c0))
            acc = bias_v if rescale is None else fn.vf32(0.0)
            for ky, (vy, iy) in enumerate(ys):
                for kx, (vx, ix) in enumerate(xs):
                    cond = fn.op(f"arith.andi {vy}, {vx} : i1")

                    def tap(acc=acc, iy=iy, ix=ix, ky=ky, kx=kx, c0=c0):
                        base = fn.mul(fn.lin([(b, h * w), (iy, w), (ix, 1)]), cin)
                        wbase = ((ky * kw + kx) * cin) * cpad + c0
                        with fn.loop_carried(0, cin, 1, [acc], vty(v)) as (ci, cur, res):
                            xs_ = fn.splat(fn.load(x[0], x[1], fn.add(base, ci)))
                            wvec = fn.vload(wv[0], wv[1], fn.add(fn.mul(ci, cpad), wbase))
                            res[:] = [fn.fma(xs_, wvec, cur[0])]
                        return res[0]

                    acc = fn.if_else_value(cond, tap, acc, vty(v))
            if rescale is not None:
                acc = rescale(fn, acc, bias_v, fn.idx(c0), b)
            acc = activation(fn, acc, act, vty(v))
            fn.vstore_n(acc, y[0], y[1], fn.add(out, c0), count)
