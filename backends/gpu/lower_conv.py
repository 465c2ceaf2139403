"""Anchors that reduce: convolutions, fully connected, pools, reductions, reduce_window, softmax
and the channel normalizations.

One invocation computes one output element with `scf.for` loops over its window. Filters are
repacked at compile time so that neighbouring invocations (neighbouring output channels) read
neighbouring weights: conv filters OHWI -> HWIO, fully-connected [O, K] -> [K, O].
"""

from __future__ import annotations

import numpy as np
from tflc.backends.gpu.graph import Node
from tflc.backends.gpu.kernel_ir import KernelBuilder
from tflc.backends.gpu.lowering import (
    DATA_OPERANDS,
    REFUSALS,
    KernelContext,
    _strides,
    anchor,
    fused_activation,
)
from tflc.errors import TflcError
from tflc.runtime.kernels.geometry import conv_axis, mediapipe_transpose_conv_axis


def _window(b, out_y, out_x, ky, kx, geom):
    """Input coordinates of a window tap and whether they fall inside the input."""
    (sh, sw, dh, dw, pt, pl, h, w, need_check) = geom
    iy = b.add(b.sub(b.mul(out_y, sh), pt), b.mul(ky, dh))
    ix = b.add(b.sub(b.mul(out_x, sw), pl), b.mul(kx, dw))
    ok = b.and_(b.in_range(iy, h), b.in_range(ix, w)) if need_check else None
    return iy, ix, ok


def _geometry(node: Node, in_shape, out_shape, kh, kw, dilated=True):
    a = node.attrs
    sh, sw = a.get("stride_h", 1), a.get("stride_w", 1)
    dh = a.get("dilation_h_factor", 1) if dilated else 1
    dw = a.get("dilation_w_factor", 1) if dilated else 1
    h, w = in_shape[1], in_shape[2]
    padding = a.get("padding", "VALID")
    _, pt, pb = conv_axis(padding, h, kh, sh, dh)
    _, pl, pr = conv_axis(padding, w, kw, sw, dw)
    need_check = pt > 0 or pb > 0 or pl > 0 or pr > 0
    return (sh, sw, dh, dw, pt, pl, h, w, need_check)


def _taps(b: KernelBuilder, kh: int, kw: int, acc: list[str], geom, oy, ox, inner):
    """Loops over the window; `inner(iy, ix, ky, kx, *acc) -> new acc` at valid taps."""

    def over_ky(ky, *acc_y):
        def over_kx(kx, *acc_x):
            iy, ix, ok = _window(b, oy, ox, ky, kx, geom)
            if ok is None:
                return inner(iy, ix, ky, kx, *acc_x)
            return b.branch(ok, lambda: inner(iy, ix, ky, kx, *acc_x), lambda: list(acc_x))

        return b.loop(0, kw, list(acc_y), over_kx)

    return b.loop(0, kh, acc, over_ky)


def _bias(b: KernelBuilder, node: Node, ctx: KernelContext, oc: str) -> str:
    bias = node.inputs[2] if len(node.inputs) > 2 else None
    return b.f32(0.0) if bias is None else ctx.load(b, bias, oc)


@anchor("conv_2d")
def conv_2d(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    x, w = node.inputs[0], node.inputs[1]
    n_, h, w_, c = ctx.shape(x)
    o, kh, kw, i = ctx.shape(w)
    out_shape = ctx.shape(node.outputs[0])
    if c != i:
        raise TflcError(f"grouped conv_2d ({c} channels, filter depth {i})", node.where)
    if ctx.graph.const(w) is None:
        raise TflcError("conv_2d with a non-constant filter", node.where)
    _, xoff = ctx.addr(x)
    n, oy, ox, oc = coords
    geom = _geometry(node, ctx.shape(x), out_shape, kh, kw)
    lanes = ctx.lanes
    if ctx.split is None and not ctx.keep_layout:  # neighbours differ in oc: HWIO keeps their
        # weight reads adjacent
        woff = ctx.packed(w, "hwio", lambda f: f.transpose(1, 2, 3, 0))
        w_at = lambda tap, ic, j: b.add(b.mul(b.add(b.mul(tap, i), ic), o), b.add(oc, woff + j))  # noqa: E731
    else:  # neighbours differ in ic: the OHWI filter as it is
        _, woff = ctx.addr(w)
        step = kh * kw * i
        w_at = lambda tap, ic, j: b.add(  # noqa: E731
            b.add(b.mul(b.add(b.mul(oc, kh * kw), tap), i), ic), woff + j * step
        )

    def inner(iy, ix, ky, kx, *acc):
        in_base = b.add(b.mul(b.add(b.mul(b.add(b.mul(n, h), iy), w_), ix), c), xoff)
        tap = b.add(b.mul(ky, kw), kx)

        def over_ic(ic, *a):
            xv = b.load("arena", b.add(in_base, ic))
            return [
                b.fadd(a[j], b.fmul(xv, b.load("weights", w_at(tap, ic, j)))) for j in range(lanes)
            ]

        return ctx.kloop(b, i, list(acc), over_ic)

    accs = _taps(b, kh, kw, [b.f32(0.0)] * lanes, geom, oy, ox, inner)
    values = []
    for j, acc in enumerate(accs):
        oc_j = b.add(oc, j) if j else oc
        values.append(
            fused_activation(b, b.fadd(ctx.combine(b, acc), _bias(b, node, ctx, oc_j)), node)
        )
    return values if lanes > 1 else values[0]


@anchor("depthwise_conv_2d")
def depthwise_conv_2d(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    x, w = node.inputs[0], node.inputs[1]
    _, h, w_, c = ctx.shape(x)
    _, kh, kw, oc_count = ctx.shape(w)
    mult = max(oc_count // c, 1)
    _, xoff = ctx.addr(x)
    wbuf, woff = ctx.addr(w)
    n, oy, ox, oc = coords
    ic = oc if mult == 1 else b.div(oc, mult)
    geom = _geometry(node, ctx.shape(x), ctx.shape(node.outputs[0]), kh, kw)

    def inner(iy, ix, ky, kx, acc):
        xi = b.add(b.add(b.mul(b.add(b.mul(b.add(b.mul(n, h), iy), w_), ix), c), ic), xoff)
        wi = b.add(b.add(b.mul(b.add(b.mul(ky, kw), kx), oc_count), oc), woff)
        return [b.fadd(acc, b.fmul(b.load("arena", xi), b.load(wbuf, wi)))]

    (acc,) = _taps(b, kh, kw, [_bias(b, node, ctx, oc)], geom, oy, ox, inner)
    return fused_activation(b, acc, node)


@anchor("fully_connected")
def fully_connected(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    x, w = node.inputs[0], node.inputs[1]
    o, k = ctx.shape(w)
    out_shape = ctx.shape(node.outputs[0])
    flat = b.ravel(coords, _strides(out_shape))
    row, oc = b.div(flat, o), b.rem(flat, o)
    _, xoff = ctx.addr(x)
    x_base = b.add(b.mul(row, k), xoff)
    if ctx.graph.const(w) is not None and ctx.split is None and not ctx.keep_layout:
        woff = ctx.packed(w, "ko", lambda f: f.T)
        wbuf, w_index = "weights", lambda kk: b.add(b.add(b.mul(kk, o), oc), woff)
    else:
        wbuf, woff = ctx.addr(w)
        w_index = lambda kk: b.add(b.add(b.mul(oc, k), kk), woff)  # noqa: E731

    def over_k(kk, acc):
        return [b.fadd(acc, b.fmul(b.load("arena", b.add(x_base, kk)), b.load(wbuf, w_index(kk))))]

    (acc,) = ctx.kloop(b, k, [b.f32(0.0)], over_k)
    acc = b.fadd(ctx.combine(b, acc), _bias(b, node, ctx, oc))
    return fused_activation(b, acc, node)


@anchor("average_pool_2d", "max_pool_2d", "l2_pool_2d")
def pool_2d(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    x = node.inputs[0]
    _, h, w_, c = ctx.shape(x)
    kh, kw = node.attrs["filter_height"], node.attrs["filter_width"]
    _, xoff = ctx.addr(x)
    n, oy, ox, ch = coords
    geom = _geometry(node, ctx.shape(x), ctx.shape(node.outputs[0]), kh, kw, dilated=False)
    is_max = node.op == "max_pool_2d"

    def inner(iy, ix, ky, kx, acc, count):
        xi = b.add(b.add(b.mul(b.add(b.mul(b.add(b.mul(n, h), iy), w_), ix), c), ch), xoff)
        v = b.load("arena", xi)
        if node.op == "l2_pool_2d":
            v = b.fmul(v, v)
        nxt = b.fmax(acc, v) if is_max else b.fadd(acc, v)
        return [nxt, b.fadd(count, b.f32(1.0))]

    init = b.f32(-np.inf) if is_max else b.f32(0.0)
    acc, count = _taps(b, kh, kw, [init, b.f32(0.0)], geom, oy, ox, inner)
    value = acc if is_max else b.fdiv(acc, b.fmax(count, b.f32(1.0)))
    if node.op == "l2_pool_2d":  # the root of the window's mean square
        value = b.math("sqrt", value)
    return fused_activation(b, value, node)


REDUCTIONS = ("mean", "sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_any", "reduce_all")
DATA_OPERANDS.update({op: (0,) for op in REDUCTIONS})  # constant axes


@anchor(*REDUCTIONS)
def reduce(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    x = node.inputs[0]
    in_shape = ctx.shape(x)
    axes = ctx.graph.const(node.inputs[1])
    if axes is None:
        raise TflcError(f"{node.op} with non-constant axes", node.where)
    rank = len(in_shape)
    axes = sorted({int(a) % rank for a in np.asarray(axes).reshape(-1)})
    kept = [d for d in range(rank) if d not in axes]
    out_coords = coords
    keep_dims = len(ctx.shape(node.outputs[0])) == rank
    strides = _strides(in_shape)
    _, xoff = ctx.addr(x)
    kept_coords = [out_coords[d] for d in kept] if keep_dims else out_coords
    kept_coords = kept_coords[-len(kept) :] if kept else []
    base = b.ravel(kept_coords, [strides[d] for d in kept], xoff) if kept else b.index(xoff)
    red_shape = [in_shape[d] for d in axes]
    count = int(np.prod(red_shape, dtype=np.int64))
    combine = {
        "mean": b.fadd,
        "sum": b.fadd,
        "reduce_prod": b.fmul,
        "reduce_max": b.fmax,
        "reduce_min": b.fmin,
        "reduce_any": b.fmax,  # over bools held as 0 / 1
        "reduce_all": b.fmin,
    }[node.op]
    init = {"reduce_max": -np.inf, "reduce_min": np.inf, "reduce_prod": 1.0, "reduce_all": 1.0}
    init = init.get(node.op, 0.0)

    def over_r(r, acc):
        rc = b.unravel(r, red_shape)
        idx = b.add(base, b.ravel(rc, [strides[d] for d in axes]))
        return [combine(acc, b.load("arena", idx))]

    if node.op in ("mean", "sum"):
        (acc,) = ctx.kloop(b, count, [b.f32(init)], over_r)
        acc = ctx.combine(b, acc)
    else:
        (acc,) = b.loop(0, count, [b.f32(init)], over_r)
    return b.fdiv(acc, b.f32(float(count))) if node.op == "mean" else acc


# REDUCE_WINDOW's reduce functions (stablehlo_reduce.WINDOW_FUNCTIONS) on float32 values (bools held as 0 / 1: ALL and ANY are
# their minimum and maximum)
_WINDOW_COMBINE = {
    "ADD": "fadd",
    "MUL": "fmul",
    "MINIMUM": "fmin",
    "MAXIMUM": "fmax",
    "ALL": "fmin",
    "ANY": "fmax",
}
DATA_OPERANDS["reduce_window"] = (0, 1)  # constant window, strides and dilations


def _refuse_reduce_window(node: Node, graph) -> str | None:
    function = node.attrs.get("reduce_function")
    if function not in _WINDOW_COMBINE:
        return f"reduce function {function} is not supported"
    if graph.tensors[node.inputs[0]].dtype == "i1" and function in ("ADD", "MUL"):
        return f"{function} of bools (held as 0 / 1 floats, a sum would pass 1)"
    return None


REFUSALS["reduce_window"] = _refuse_reduce_window


@anchor("reduce_window")
def reduce_window(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    """Folds the output element's dilated window from the init value in row-major window
    order, as runtime/kernels/stablehlo_reduce.py does."""
    x, init = node.inputs[:2]
    window, strides, dilations = (
        [int(v) for v in np.asarray(ctx.graph.const(t)).reshape(-1)] for t in node.inputs[2:5]
    )
    in_strides = _strides(ctx.shape(x))
    _, xoff = ctx.addr(x)
    start = b.ravel(coords, [st * s for st, s in zip(in_strides, strides, strict=True)], xoff)
    combine = getattr(b, _WINDOW_COMBINE[node.attrs["reduce_function"]])
    steps = [st * d for st, d in zip(in_strides, dilations, strict=True)]

    def over_window(w, acc):
        idx = b.add(start, b.ravel(b.unravel(w, window), steps))
        return [combine(acc, b.load("arena", idx))]

    count = int(np.prod(window, dtype=np.int64))
    (acc,) = b.loop(0, count, [ctx.load(b, init, b.index(0))], over_window)
    return acc


@anchor("softmax", "log_softmax")
def softmax(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    """Each invocation recomputes its row's max and sum: rows are short (classes, channels)."""
    x = node.inputs[0]
    shape = ctx.shape(x)
    d = shape[-1]
    beta = b.f32(node.attrs.get("beta", 1.0))
    _, xoff = ctx.addr(x)
    flat = b.ravel(coords, _strides(shape))
    row_base = b.add(b.mul(b.div(flat, d), d), xoff)

    (mx,) = b.loop(
        0, d, [b.f32(-np.inf)], lambda j, m: [b.fmax(m, b.load("arena", b.add(row_base, j)))]
    )

    def over_sum(j, s):
        v = b.load("arena", b.add(row_base, j))
        return [b.fadd(s, b.math("exp", b.fmul(b.fsub(v, mx), beta)))]

    (total,) = b.loop(0, d, [b.f32(0.0)], over_sum)
    z = b.fmul(b.fsub(b.load("arena", b.add(flat, xoff)), mx), beta)
    if node.op == "log_softmax":
        return b.fsub(z, b.math("log", total))
    return b.fdiv(b.math("exp", z), total)


def _transpose_conv(b, node, ctx, coords, x, w, bias, stride, top_left, act: bool) -> str:
    """out[oy, ox] = sum over taps with (o + pad - k) a multiple of the stride of in * w."""
    _, h, w_, c = ctx.shape(x)
    o, kh, kw, i = ctx.shape(w)
    sh, sw = stride
    _, xoff = ctx.addr(x)
    wbuf, woff = ctx.addr(w)
    n, oy, ox, oc = coords

    def tap(ky, kx, acc):
        ty = b.sub(b.add(oy, top_left[0]), ky)
        tx = b.sub(b.add(ox, top_left[1]), kx)
        iy, ix = b.div(ty, sh), b.div(tx, sw)
        ok = b.and_(b.cmp("eq", b.rem(ty, sh), 0), b.cmp("eq", b.rem(tx, sw), 0))
        ok = b.and_(ok, b.and_(b.in_range(ty, h * sh), b.in_range(tx, w_ * sw)))

        def inside():
            in_base = b.add(b.mul(b.add(b.mul(b.add(b.mul(n, h), iy), w_), ix), c), xoff)
            w_base = b.add(b.mul(b.add(b.mul(b.add(b.mul(oc, kh), ky), kw), kx), i), woff)

            def over_ic(ic, a):
                xv = b.load("arena", b.add(in_base, ic))
                return [b.fadd(a, b.fmul(xv, b.load(wbuf, b.add(w_base, ic))))]

            return b.loop(0, i, [acc], over_ic)

        return b.branch(ok, inside, lambda: [acc])

    (acc,) = b.loop(
        0, kh, [b.f32(0.0)], lambda ky, a: b.loop(0, kw, [a], lambda kx, a2: tap(ky, kx, a2))
    )
    if bias is not None:
        acc = b.fadd(acc, ctx.load(b, bias, oc))
    return fused_activation(b, acc, node) if act else acc


@anchor("transpose_conv")
def transpose_conv(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    _, w, x = node.inputs[:3]
    bias = node.inputs[3] if len(node.inputs) > 3 else None
    out_shape = ctx.shape(node.outputs[0])
    _, kh, kw, _ = ctx.shape(w)
    a = node.attrs
    stride = (a.get("stride_h", 1), a.get("stride_w", 1))
    padding = a.get("padding", "SAME")
    # TFLite pads as the forward conv from the output back to the input.
    top = conv_axis(padding, out_shape[1], kh, stride[0]).before
    left = conv_axis(padding, out_shape[2], kw, stride[1]).before
    return _transpose_conv(b, node, ctx, coords, x, w, bias, stride, (top, left), True)


@anchor("custom:Convolution2DTransposeBias")
def conv_2d_transpose_bias(b: KernelBuilder, node: Node, ctx: KernelContext, coords) -> str:
    """mediapipe's transpose conv + bias; options: int32 padding (1 = SAME), stride_w, stride_h."""
    x, w, bias = node.inputs[:3]
    raw = np.array(ir_dense(node.operation.attributes["custom_option"]), dtype=np.uint8).tobytes()
    if len(raw) < 12:
        raise TflcError("custom options must hold padding and strides", node.where)
    padding, sw, sh = np.frombuffer(raw[:12], "<i4").tolist()
    _, kh, kw, _ = ctx.shape(w)
    _, h, w_, _ = ctx.shape(x)
    top = mediapipe_transpose_conv_axis(padding == 1, h, kh, sh).before
    left = mediapipe_transpose_conv_axis(padding == 1, w_, kw, sw).before
    return _transpose_conv(b, node, ctx, coords, x, w, bias, (sh, sw), (top, left), False)


def ir_dense(attr):
    from mlir import ir

    return np.array(ir.DenseElementsAttr(attr))


@anchor("batch_matmul")
def batch_matmul(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    x, y = node.inputs[:2]
    xs, ys, out = ctx.shape(x), ctx.shape(y), ctx.shape(node.outputs[0])
    adj_x, adj_y = node.attrs.get("adj_x", False), node.attrs.get("adj_y", False)
    k = xs[-2] if adj_x else xs[-1]
    batch, (m, n) = coords[:-2], coords[-2:]

    def base(shape, off):
        strides = _strides(shape)
        lead = len(out) - len(shape)
        full = [0] * lead + [
            0 if d == 1 else s for d, s in zip(shape[:-2], strides[:-2], strict=True)
        ]
        return b.ravel(batch, full[: len(batch)], off), strides[-2]

    xbuf, xoff = ctx.addr(x)
    ybuf, yoff = ctx.addr(y)
    xb, xrow = base(xs, xoff)
    yb, yrow = base(ys, yoff)

    def over_k(kk, acc):
        xi = b.add(xb, b.add(b.mul(kk, xrow), m) if adj_x else b.add(b.mul(m, xrow), kk))
        yi = b.add(yb, b.add(b.mul(n, yrow), kk) if adj_y else b.add(b.mul(kk, yrow), n))
        return [b.fadd(acc, b.fmul(b.load(xbuf, xi), b.load(ybuf, yi)))]

    (acc,) = b.loop(0, k, [b.f32(0.0)], over_k)
    return acc


@anchor("l2_normalization", "local_response_normalization")
def channel_normalization(b: KernelBuilder, node: Node, ctx: KernelContext, coords) -> str:
    """x / max(|row|, 1e-6) over the last axis, or x / (bias + alpha * sum of squares within
    `radius` channels) ** beta (the interpreter's kernels' formulas)."""
    x = node.inputs[0]
    shape = ctx.shape(x)
    d = shape[-1]
    _, xoff = ctx.addr(x)
    flat = b.ravel(coords, _strides(shape))
    row_base = b.add(b.mul(b.div(flat, d), d), xoff)
    value = b.load("arena", b.add(flat, xoff))

    def square(j):
        v = b.load("arena", b.add(row_base, j))
        return b.fmul(v, v)

    if node.op == "l2_normalization":
        (total,) = b.loop(0, d, [b.f32(0.0)], lambda j, s: [b.fadd(s, square(j))])
        norm = b.fmax(b.math("sqrt", total), b.f32(1e-6))
        return fused_activation(b, b.fdiv(value, norm), node)
    a = node.attrs
    radius = int(a.get("radius", 5))
    c = coords[-1]

    def window(k, s):
        j = b.sub(b.add(c, k), radius)
        inside = b.in_range(j, d)
        (sq,) = b.branch(inside, lambda: [square(j)], lambda: [b.f32(0.0)])
        return [b.fadd(s, sq)]

    (total,) = b.loop(0, 2 * radius + 1, [b.f32(0.0)], window)
    scaled = b.fadd(b.f32(a.get("bias", 1.0)), b.fmul(b.f32(a.get("alpha", 1.0)), total))
    return b.fdiv(value, b._op("f32", f"math.powf {scaled}, {b.f32(a.get('beta', 0.5))} : f32"))
