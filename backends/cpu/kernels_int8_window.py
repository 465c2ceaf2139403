"""int8 window kernels over NHWC: depthwise_conv_2d, average_pool_2d, max_pool_2d.

They reuse the float kernels' loop nest (`kernels_window._window`: channel blocks outermost,
interior pixels without bounds checks), with i32 accumulators. Depthwise takes its taps in
pairs through one i16 pair dot product on the raw inputs (the input zero point folded into the
initial accumulator, out-of-image taps reading the zero point) and requantizes per channel
with "neon" rounding, as LiteRT's optimized depthwise does; a depth multiplier gathers input
channels and takes the per-tap path. Average pooling divides rounding half away from zero, as
the interpreter does.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu import kernels_int8_common as q
from tflc.backends.cpu.graph import Node
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling, _conv_geometry
from tflc.backends.cpu.kernels_int8_dot import VPDPBUSD
from tflc.backends.cpu.kernels_int8_gemm import _bias, _weights, conv_multipliers
from tflc.backends.cpu.kernels_window import _tap, _window, clipped_window
from tflc.errors import TflcError


def emit_depthwise(k: Kernel, t: Tiling, node: Node) -> None:
    x_t, w_t, y_t = node.inputs[0], node.inputs[1], node.outputs[0]
    if x_t.dtype != "i8":
        raise TflcError(f"the cpu target has no {x_t.dtype} depthwise kernel", node.where)
    b_t = node.inputs[2] if len(node.inputs) > 2 else None
    filt = _weights(w_t)[0]  # [KH, KW, Cout]
    kh, kw, cout = filt.shape
    cin = x_t.shape[3]
    mult_ch = cout // cin
    sh, sw, dh, dw, h, w, oh, ow, pt, pl = _conv_geometry(node, x_t.shape, y_t.shape, kh, kw)
    fn, v = k.fn, t.lanes
    v32, v64 = q.vec(v, "i32"), q.vec(v, "i64")
    k.flops += 2 * y_t.size * kh * kw
    cpad = -(-cout // v) * v
    wpad = np.zeros((kh * kw, cpad), np.int32)
    wpad[:, :cout] = filt.reshape(kh * kw, cout)
    bpad = np.zeros(cpad, np.int32)
    bpad[:cout] = _bias(b_t, cout)
    wp, bp = k.arg_const(wpad), k.arg_const(bpad)
    # Taps go in pairs through one i16 pair dot product (vpmaddwd on x86) on the raw inputs;
    # the input zero point is folded into the initial accumulator, and taps outside the image
    # read the zero point, so they add nothing.
    # With vpdpbusd and a one-instruction byte interleave, the first taps go in fours through
    # it instead (inputs made unsigned, -128 * their weights in the initial accumulator, as
    # kernels_int8_dot.QuadDot): 27 instructions per 16 outputs of a 3x3 where pairs take 35,
    # MobileNetV2's depthwise layers 11-14% faster (Zen, AVX-512). Unmeasured without VBMI.
    n_taps = kh * kw
    quads = n_taps // 4 if t.u8s8_dot and t.byte_permute and mult_ch == 1 else 0
    pairs = -(-(n_taps - 4 * quads) // 2)
    wpairs = np.zeros((pairs * 2, cpad), np.int16)
    wpairs[: n_taps - 4 * quads] = wpad[4 * quads :]
    wpairs = wpairs.reshape(pairs, 2, cpad).transpose(0, 2, 1).reshape(-1)
    wquads = wpad[: 4 * quads].astype(np.int8).reshape(quads, 4, cpad).transpose(0, 2, 1)
    interior_init = bpad.astype(np.int64) - q.scale_zp(x_t)[1] * wpad.astype(np.int64).sum(0)
    interior_init -= 128 * wpad[: 4 * quads].astype(np.int64).sum(0)
    wpp, bpi = k.arg_const(wpairs), k.arg_const(interior_init.astype(np.int32))
    wqp = k.arg_const(wquads.reshape(-1)) if quads else None
    interleave = ", ".join(f"{i}, {i + v}" for i in range(v))
    mult, shift = conv_multipliers(x_t, w_t, y_t, cout)
    bound = int(np.max(np.abs(bpad[:cout]) + 255 * np.abs(wpad[:, :cout]).sum(axis=0)))
    zo = q.scale_zp(y_t)[1]
    tabs32 = q.i32_requant_tables(mult, shift, cpad, bound, zo, v)
    tabs = tabs32 if tabs32 is not None else q.neon_requant_tables(mult, shift, cpad)
    any_left = bool(np.any(tabs.get("left", 0)))
    tabs = {name: k.arg_const(a) for name, a in tabs.items()}
    x_zp = q.scale_zp(x_t)[1]
    lo, hi = q.out_clamp(node)
    x, y = k.arg_tensor(x_t), k.arg_tensor(y_t)
    zp_v = q.iconst(fn, x_zp, v32)
    # With a depth multiplier m, output channel c reads input channel c // m (gathered).
    src_ch = None
    if mult_ch != 1:
        chans = np.zeros(cpad, np.int32)
        chans[:cout] = np.arange(cout) // mult_ch
        src_ch = k.arg_const(chans)

    def load_input(pix: str, cb: str, count: int) -> str:
        if src_ch is None:
            return q.load_widened(fn, x[0], x[1], fn.add(fn.mul(pix, cin), cb), v, count)
        idx = fn.op(f"vector.load {src_ch[0]}[{cb}] : {src_ch[1]}, {v32}")
        m = fn.mask(count, v)
        z = fn._const("dense<0>", q.vec(v, "i8"))
        g = fn.op(
            f"vector.gather {x[0]}[{fn.mul(pix, cin)}] [{idx}], {m}, {z} : {x[1]}, "
            f"{v32}, vector<{v}xi1>, {q.vec(v, 'i8')} into {q.vec(v, 'i8')}"
        )
        return q.ext(fn, g, q.vec(v, "i8"), v32)

    zp_raw = q.iconst(fn, x_zp, q.vec(v, "i8"))

    def raw_tap(n, cb, count, ih0, iw0, tap: int, checked: bool) -> str:
        """A tap's raw inputs; outside the image they read as the zero point (no branch)."""
        ky, kx = divmod(tap, kw)
        ih, iw = fn.add(ih0, ky * dh), fn.add(iw0, kx * dw)
        if checked:
            ok = fn.op(f"arith.andi {fn.in_range(ih, 0, h)}, {fn.in_range(iw, 0, w)} : i1")
            ih = fn.op(
                f"arith.minsi {fn.op(f'arith.maxsi {ih}, {fn.idx(0)} : index')}, "
                f"{fn.idx(h - 1)} : index"
            )
            iw = fn.op(
                f"arith.minsi {fn.op(f'arith.maxsi {iw}, {fn.idx(0)} : index')}, "
                f"{fn.idx(w - 1)} : index"
            )
        pix = fn.lin([(n, h * w), (ih, w), (iw, 1)])
        raw = q.load_i8(fn, x[0], x[1], fn.add(fn.mul(pix, cin), cb), v, count)
        if checked:
            raw = fn.op(f"arith.select {ok}, {raw}, {zp_raw} : {q.vec(v, 'i8')}")
        return raw

    def quad(n, cb, count, ih0, iw0, checked: bool, qd: int, acc: str) -> str:
        """acc += four taps' products per channel: the taps' bytes interleaved per channel
        (one byte permute on AVX512-VBMI), sign bits flipped, one vpdpbusd."""
        v8, v2, v4 = q.vec(v, "i8"), q.vec(2 * v, "i8"), q.vec(4 * v, "i8")
        t = [raw_tap(n, cb, count, ih0, iw0, 4 * qd + j, checked) for j in range(4)]
        both = ", ".join(str(i) for i in range(2 * v))
        ab = fn.op(f"vector.shuffle {t[0]}, {t[1]} [{both}] : {v8}, {v8}")
        cd = fn.op(f"vector.shuffle {t[2]}, {t[3]} [{both}] : {v8}, {v8}")
        per_channel = ", ".join(str(j * v + c) for c in range(v) for j in range(4))
        x4 = fn.op(f"vector.shuffle {ab}, {cd} [{per_channel}] : {v2}, {v2}")
        u8 = q.binop(fn, "xori", x4, q.iconst(fn, -128, v4), v4)
        wv = fn.op(f"vector.load {wqp[0]}[{fn.add(fn.mul(cb, 4), qd * 4 * cpad)}] : {wqp[1]}, {v4}")
        return fn.op(
            f'llvm.call_intrinsic "{VPDPBUSD[v]}"({acc}, {u8}, {wv}) : ({v32}, {v4}, {v4}) -> {v32}'
        )

    def paired(n, cb, count, ih0, iw0, checked: bool) -> str:
        v8, v16b = q.vec(v, "i8"), q.vec(2 * v, "i8")
        v16, v32w = q.vec(2 * v, "i16"), q.vec(2 * v, "i32")
        even = ", ".join(str(2 * i) for i in range(v))
        odd = ", ".join(str(2 * i + 1) for i in range(v))
        acc = fn.op(f"vector.load {bpi[0]}[{cb}] : {bpi[1]}, {v32}")
        for qd in range(quads):
            acc = quad(n, cb, count, ih0, iw0, checked, qd, acc)
        for p in range(pairs):
            a = raw_tap(n, cb, count, ih0, iw0, 4 * quads + 2 * p, checked)
            if 4 * quads + 2 * p + 1 < n_taps:
                b = raw_tap(n, cb, count, ih0, iw0, 4 * quads + 2 * p + 1, checked)
                xy = fn.op(f"vector.shuffle {a}, {b} [{interleave}] : {v8}, {v8}")
                xy = q.ext(fn, xy, v16b, v16)
            else:
                # A lone last tap (its pair's weight is 0): each input sign-extended to i32
                # is the pair (x, sign bits), one vpmovsxbd instead of an interleave.
                xy = fn.op(f"vector.bitcast {q.ext(fn, a, v8, v32)} : {v32} to {v16}")
            xy = q.ext(fn, xy, v16, v32w)
            wi = fn.add(fn.mul(cb, 2), p * 2 * cpad)
            wv = fn.op(f"vector.load {wpp[0]}[{wi}] : {wpp[1]}, {v16}")
            prod = fn.op(f"arith.muli {xy}, {q.ext(fn, wv, v16, v32w)} : {v32w}")
            e = fn.op(f"vector.shuffle {prod}, {prod} [{even}] : {v32w}, {v32w}")
            o = fn.op(f"vector.shuffle {prod}, {prod} [{odd}] : {v32w}, {v32w}")
            acc = fn.op(f"arith.addi {acc}, {fn.op(f'arith.addi {e}, {o} : {v32}')} : {v32}")
        return acc

    def pixel(n, cb, count, ohv, owv, ih0, iw0, checked):
        if src_ch is None:
            finish(n, cb, count, ohv, owv, paired(n, cb, count, ih0, iw0, checked))
            return
        acc = fn.op(f"vector.load {bp[0]}[{cb}] : {bp[1]}, {v32}")
        for ky in range(kh):
            for kx in range(kw):
                ih = fn.add(ih0, ky * dh)
                iw = fn.add(iw0, kx * dw)

                def body(a, ih=ih, iw=iw, ky=ky, kx=kx):
                    pix = fn.lin([(n, h * w), (ih, w), (iw, 1)])
                    xv = fn.op(f"arith.subi {load_input(pix, cb, count)}, {zp_v} : {v32}")
                    wi = fn.add(cb, (ky * kw + kx) * cpad)
                    wv = fn.op(f"vector.load {wp[0]}[{wi}] : {wp[1]}, {v32}")
                    return fn.op(
                        f"arith.addi {a}, {fn.op(f'arith.muli {xv}, {wv} : {v32}')} : {v32}"
                    )

                acc = _tap(fn, checked, ih, iw, h, w, acc, v32, body)
        finish(n, cb, count, ohv, owv, acc)

    def finish(n, cb, count, ohv, owv, acc: str) -> None:
        if tabs32 is not None:
            r = q.requant_i32_vector(fn, acc, tabs, cb, v, zo)
            r = q.clamp(fn, r, lo, hi, v32)
        else:
            a64 = q.ext(fn, acc, v32, v64)
            r = q.requant_neon_vector(fn, a64, tabs, cb, v64, any_left)
            r = q.binop(fn, "addi", r, q.iconst(fn, zo, v64), v64)
            r = q.clamp(fn, r, lo, hi, v64)
            r = fn.op(f"arith.trunci {r} : {v64} to {v32}")
        out = fn.add(fn.mul(fn.lin([(n, oh * ow), (ohv, ow), (owv, 1)]), cout), cb)
        q.store_narrow(fn, r, v, y[0], y[1], out, count)

    _window(k, v, node, kh, kw, cout, pixel, byte_channels=True)


def emit_pool(k: Kernel, t: Tiling, node: Node) -> None:
    x_t, y_t = node.inputs[0], node.outputs[0]
    if x_t.dtype != "i8":
        raise TflcError(f"the cpu target has no {x_t.dtype} pooling kernel", node.where)
    if q.scale_zp(x_t) != q.scale_zp(y_t):
        raise TflcError("int8 pooling with rescaling is not supported", node.where)
    kh, kw = node.attr("filter_height"), node.attr("filter_width")
    is_max = node.op == "max_pool_2d"
    sh, sw, dh, dw, h, w, oh, ow, pt, pl = _conv_geometry(node, x_t.shape, y_t.shape, kh, kw)
    c = x_t.shape[3]
    fn, v = k.fn, t.lanes
    v32 = q.vec(v, "i32")
    x, y = k.arg_tensor(x_t), k.arg_tensor(y_t)
    lo, hi = q.out_clamp(node)

    def pixel(n, cb, count, ohv, owv, ih0, iw0, checked):
        op = "arith.maxsi" if is_max else "arith.addi"

        def fold(acc: str, pix: str) -> str:
            xv = q.load_widened(fn, x[0], x[1], fn.add(fn.mul(pix, c), cb), v, count)
            return fn.op(f"{op} {acc}, {xv} : {v32}")

        init = q.iconst(fn, -128 if is_max else 0, v32)
        acc, cnt = clipped_window(fn, n, ih0, iw0, (kh, kw), (h, w), init, v32, fold)
        if not is_max:
            cnt = fn.op(f"arith.index_cast {cnt} : index to i32")
            cnt = fn.op(f"vector.broadcast {cnt} : i32 to {v32}")
            half = fn.op(f"arith.divsi {cnt}, {q.iconst(fn, 2, v32)} : {v32}")
            pos = fn.op(f"arith.cmpi sgt, {acc}, {q.iconst(fn, 0, v32)} : {v32}")
            up = fn.op(f"arith.addi {acc}, {half} : {v32}")
            down = fn.op(f"arith.subi {acc}, {half} : {v32}")
            num = fn.op(f"arith.select {pos}, {up}, {down} : vector<{v}xi1>, {v32}")
            acc = fn.op(f"arith.divsi {num}, {cnt} : {v32}")
        acc = q.clamp(fn, acc, lo, hi, v32)
        out = fn.add(fn.mul(fn.lin([(n, oh * ow), (ohv, ow), (owv, 1)]), c), cb)
        q.store_narrow(fn, acc, v, y[0], y[1], out, count)

    _window(k, v, node, kh, kw, c, pixel, byte_channels=True)
