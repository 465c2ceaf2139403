"""Float window kernels over NHWC: depthwise_conv_2d, max_pool_2d, average_pool_2d.

Vectorized over channels; channel blocks are the outermost loop so a block's filter taps stay
in registers. Each output row is split statically into a left border, an interior whose taps
need no bounds checks, and a right border; rows near the top and bottom take the checked path.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu.emitter import Function, activation, vty
from tflc.backends.cpu.graph import Node
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling, _conv_geometry, _interior, const_float


def _window(
    k: Kernel, lanes: int, node: Node, kh: int, kw: int, c: int, pixel, byte_channels=False
) -> None:
    """Loops over the output; `pixel(n, cb, count, oh, ow, ih0, iw0, checked)` emits one output
    vector of `count` channels starting at channel `cb`. Float: (batch, channel block, oh, ow),
    so a block's weights stay in registers across pixels, and a vector of channels is a whole
    cache line. `byte_channels` (int8): (batch, oh, ow, channel block), as NHWC lays them out,
    since a pass per block would use a quarter of each line it reads (MobileNetV2 int8: 15%
    faster)."""
    fn = k.fn
    x_t, y_t = node.inputs[0], node.outputs[0]
    sh, sw, dh, dw, h, w, oh, ow, pt, pl = _conv_geometry(node, x_t.shape, y_t.shape, kh, kw)
    oh_lo, oh_hi = _interior(oh, h, kh, sh, dh, pt)
    ow_lo, ow_hi = _interior(ow, w, kw, sw, dw, pl)
    batch = x_t.shape[0]
    full = c - c % lanes

    def channel_blocks(body) -> None:
        """body(cb, count) for every block of channels."""
        if full:
            with fn.loop(0, full, lanes) as cb:
                body(cb, lanes)
        if c % lanes:
            body(fn.idx(full), c % lanes)

    def row(n, ohv, checked_row: bool, cb=None, count=None):
        ih0 = fn.add(fn.mul(ohv, sh), -pt)
        spans = [(0, ow_lo, True), (ow_lo, ow_hi, False), (ow_hi, ow, True)]
        if checked_row:
            spans = [(0, ow, True)]
        for lo, hi, checked in spans:
            if hi <= lo:
                continue
            with fn.loop(lo, hi) as owv:
                iw0 = fn.add(fn.mul(owv, sw), -pl)
                args = (n, ohv, owv, ih0, iw0, checked)
                if cb is None:
                    channel_blocks(lambda cb, count, a=args: pixel(a[0], cb, count, *a[1:]))
                else:
                    pixel(n, cb, count, *args[1:])

    tb, te = k.parallel_range(oh)

    def rows(n, cb=None, count=None) -> None:
        with fn.loop(tb, te) as ohv:
            inside = fn.in_range(ohv, oh_lo, oh_hi)
            fn.if_else(
                inside,
                lambda: row(n, ohv, False, cb, count),
                lambda: row(n, ohv, True, cb, count),
            )

    with fn.loop(0, batch) as n:
        if byte_channels:
            rows(n)
        else:
            channel_blocks(lambda cb, count: rows(n, cb, count))


def _tap(fn: Function, checked: bool, ih: str, iw: str, h: int, w: int, acc: str, ty: str, body):
    """acc' = body(acc) where (ih, iw) is inside the image, else acc."""
    if not checked:
        return body(acc)
    cond = fn.op(f"arith.andi {fn.in_range(ih, 0, h)}, {fn.in_range(iw, 0, w)} : i1")
    return fn.if_else_value(cond, lambda: body(acc), acc, ty)


def emit_depthwise(k: Kernel, t: Tiling, node: Node, filt=None, rescale=None) -> None:
    """`filt` / `rescale`: filter values and output rescale of a dynamic-range depthwise conv
    (see kernels_conv._Tile)."""
    x_t, w_t, y_t = node.inputs[0], node.inputs[1], node.outputs[0]
    b_t = node.inputs[2] if len(node.inputs) > 2 else None
    filt = (const_float(w_t) if filt is None else filt)[0]  # [KH, KW, Cout]
    kh, kw, cout = filt.shape
    cin = x_t.shape[3]
    mult = cout // cin
    act = node.attr("fused_activation_function", "NONE")
    bias = const_float(b_t) if b_t is not None else np.zeros(cout, np.float32)
    sh, sw, dh, dw, h, w, oh, ow, pt, pl = _conv_geometry(node, x_t.shape, y_t.shape, kh, kw)
    k.flops += 2 * y_t.size * kh * kw
    fn = k.fn
    v = t.lanes
    x = k.arg_tensor(x_t)
    y = k.arg_tensor(y_t)
    if mult != 1:
        # Output channel c reads input channel c // mult: expand the input's channels by
        # gathering through the weights' layout instead (scalar path, rare in practice).
        wf = k.arg_const(filt.reshape(-1))
        bf = k.arg_const(bias)
        with fn.loop(0, x_t.shape[0]) as n, fn.loop(0, oh) as ohv, fn.loop(0, ow) as owv:
            with fn.loop(0, cout) as co:
                ci = fn.op(f"arith.divui {co}, {fn.idx(mult)} : index")
                bias_s = fn.load(bf[0], bf[1], co)
                acc = bias_s if rescale is None else fn.f32(0.0)
                ih0 = fn.add(fn.mul(ohv, sh), -pt)
                iw0 = fn.add(fn.mul(owv, sw), -pl)
                for ky in range(kh):
                    for kx in range(kw):
                        ih = fn.add(ih0, ky * dh)
                        iw = fn.add(iw0, kx * dw)

                        def body(a, ih=ih, iw=iw, ky=ky, kx=kx):
                            pix = fn.lin([(n, h * w), (ih, w), (iw, 1)])
                            xv = fn.load(x[0], x[1], fn.add(fn.mul(pix, cin), ci))
                            wv = fn.load(wf[0], wf[1], fn.add(co, (ky * kw + kx) * cout))
                            p = fn.op(f"arith.mulf {xv}, {wv} : f32")
                            return fn.op(f"arith.addf {a}, {p} : f32")

                        acc = _tap(fn, True, ih, iw, h, w, acc, "f32", body)
                if rescale is not None:
                    acc = rescale(fn, acc, bias_s, co, n, "f32")
                acc = activation(fn, acc, act, "f32")
                out = fn.add(fn.mul(fn.lin([(n, oh * ow), (ohv, ow), (owv, 1)]), cout), co)
                fn.store(acc, y[0], y[1], out)
        return
    cpad = -(-cout // v) * v
    wpad = np.zeros((kh * kw, cpad), np.float32)
    wpad[:, :cout] = filt.reshape(kh * kw, cout)
    bpad = np.zeros(cpad, np.float32)
    bpad[:cout] = bias
    wp = k.arg_const(wpad)
    bp = k.arg_const(bpad)

    def pixel(n, cb, count, ohv, owv, ih0, iw0, checked):
        bias_v = fn.vload(bp[0], bp[1], cb)
        acc = bias_v if rescale is None else fn.vf32(0.0)
        for ky in range(kh):
            for kx in range(kw):
                ih = fn.add(ih0, ky * dh)
                iw = fn.add(iw0, kx * dw)

                def body(a, ih=ih, iw=iw, ky=ky, kx=kx):
                    pix = fn.lin([(n, h * w), (ih, w), (iw, 1)])
                    xv = fn.vload_n(x[0], x[1], fn.add(fn.mul(pix, cin), cb), count)
                    wv = fn.vload(wp[0], wp[1], fn.add(cb, (ky * kw + kx) * cpad))
                    return fn.fma(xv, wv, a)

                acc = _tap(fn, checked, ih, iw, h, w, acc, vty(v), body)
        if rescale is not None:
            acc = rescale(fn, acc, bias_v, cb, n)
        acc = activation(fn, acc, act, vty(v))
        out = fn.add(fn.mul(fn.lin([(n, oh * ow), (ohv, ow), (owv, 1)]), cout), cb)
        fn.vstore_n(acc, y[0], y[1], out, count)

    _window(k, v, node, kh, kw, cout, pixel)


def clipped_window(fn: Function, n, ih0, iw0, k_hw, hw, init: str, ty: str, fold):
    """Folds `fold(acc, pixel index)` over a pooling window clipped to the image, in row
    order; returns (acc, the number of pixels folded as an index)."""
    (kh, kw), (h, w) = k_hw, hw
    hs = fn.op(f"arith.maxsi {ih0}, {fn.idx(0)} : index")
    he = fn.op(f"arith.minsi {fn.add(ih0, kh)}, {fn.idx(h)} : index")
    ws = fn.op(f"arith.maxsi {iw0}, {fn.idx(0)} : index")
    we = fn.op(f"arith.minsi {fn.add(iw0, kw)}, {fn.idx(w)} : index")
    with fn.loop_carried(hs, he, 1, [init], ty) as (ih, a1, r1):
        with fn.loop_carried(ws, we, 1, a1, ty) as (iw, a2, r2):
            r2[:] = [fold(a2[0], fn.lin([(n, h * w), (ih, w), (iw, 1)]))]
        r1[:] = r2
    rows = fn.op(f"arith.subi {he}, {hs} : index")
    cols = fn.op(f"arith.subi {we}, {ws} : index")
    return r1[0], fn.op(f"arith.muli {rows}, {cols} : index")


def emit_pool(k: Kernel, t: Tiling, node: Node) -> None:
    x_t, y_t = node.inputs[0], node.outputs[0]
    kh, kw = node.attr("filter_height"), node.attr("filter_width")
    is_max = node.op == "max_pool_2d"
    act = node.attr("fused_activation_function", "NONE")
    sh, sw, dh, dw, h, w, oh, ow, pt, pl = _conv_geometry(node, x_t.shape, y_t.shape, kh, kw)
    c = x_t.shape[3]
    fn = k.fn
    v = t.lanes
    x = k.arg_tensor(x_t)
    y = k.arg_tensor(y_t)
    l2 = node.op == "l2_pool_2d"  # the mean of the squares, then its square root

    def squared(xv: str) -> str:
        return fn.op(f"arith.mulf {xv}, {xv} : {vty(v)}") if l2 else xv

    def root(mean: str) -> str:
        return fn.op(f"math.sqrt {mean} : {vty(v)}") if l2 else mean

    def big_pixel(n, cb, count, ohv, owv, ih0, iw0, checked):
        """Large windows (global pooling): loops over the clipped window, no unrolling."""
        op = "arith.maximumf" if is_max else "arith.addf"

        def fold(acc: str, pixel: str) -> str:
            xv = squared(fn.vload_n(x[0], x[1], fn.add(fn.mul(pixel, c), cb), count))
            return fn.op(f"{op} {acc}, {xv} : {vty(v)}")

        init = fn.vf32(-np.inf if is_max else 0.0)
        acc, cnt = clipped_window(fn, n, ih0, iw0, (kh, kw), (h, w), init, vty(v), fold)
        if not is_max:
            cnt = fn.op(f"arith.index_cast {cnt} : index to i32")
            cnt = fn.splat(fn.op(f"arith.sitofp {cnt} : i32 to f32"))
            acc = root(fn.op(f"arith.divf {acc}, {cnt} : {vty(v)}"))
        acc = activation(fn, acc, act, vty(v))
        out = fn.add(fn.mul(fn.lin([(n, oh * ow), (ohv, ow), (owv, 1)]), c), cb)
        fn.vstore_n(acc, y[0], y[1], out, count)

    def pixel(n, cb, count, ohv, owv, ih0, iw0, checked):
        if kh * kw > 16:
            big_pixel(n, cb, count, ohv, owv, ih0, iw0, checked)
            return
        acc = fn.vf32(-np.inf if is_max else 0.0)
        for ky in range(kh):
            for kx in range(kw):
                ih = fn.add(ih0, ky)
                iw = fn.add(iw0, kx)

                def body(a, ih=ih, iw=iw):
                    pix = fn.lin([(n, h * w), (ih, w), (iw, 1)])
                    xv = squared(fn.vload_n(x[0], x[1], fn.add(fn.mul(pix, c), cb), count))
                    op = "arith.maximumf" if is_max else "arith.addf"
                    return fn.op(f"{op} {a}, {xv} : {vty(v)}")

                acc = _tap(fn, checked, ih, iw, h, w, acc, vty(v), body)
        if not is_max:
            if checked:
                hs = fn.op(f"arith.maxsi {ih0}, {fn.idx(0)} : index")
                he = fn.op(f"arith.minsi {fn.add(ih0, kh)}, {fn.idx(h)} : index")
                ws = fn.op(f"arith.maxsi {iw0}, {fn.idx(0)} : index")
                we = fn.op(f"arith.minsi {fn.add(iw0, kw)}, {fn.idx(w)} : index")
                dh_ = fn.op(f"arith.subi {he}, {hs} : index")
                dw_ = fn.op(f"arith.subi {we}, {ws} : index")
                cnt = fn.op(f"arith.muli {dh_}, {dw_} : index")
                cnt = fn.op(f"arith.index_cast {cnt} : index to i32")
                cnt = fn.op(f"arith.sitofp {cnt} : i32 to f32")
                cnt = fn.splat(cnt)
            else:
                cnt = fn.vf32(float(kh * kw))
            acc = root(fn.op(f"arith.divf {acc}, {cnt} : {vty(v)}"))
        acc = activation(fn, acc, act, vty(v))
        out = fn.add(fn.mul(fn.lin([(n, oh * ow), (ohv, ow), (owv, 1)]), c), cb)
        fn.vstore_n(acc, y[0], y[1], out, count)

    _window(k, v, node, kh, kw, c, pixel)
