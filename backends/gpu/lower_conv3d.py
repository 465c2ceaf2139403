"""3-D convolutions, float: `conv_3d` (NDHWC input, DHWIO filter, grouped when the input has a
multiple of the filter's channels) and `conv_3d_transpose` (filter DHWOI), one output element
per invocation. Padding and output sizes are geometry.conv_axis's, as the interpreter's kernels
read them; a transposed convolution gathers: output o takes input i where i * stride + tap *
dilation == o + padding.
"""

from __future__ import annotations

from tflc.backends.gpu.graph import Node
from tflc.backends.gpu.kernel_ir import KernelBuilder
from tflc.backends.gpu.lowering import (
    DATA_OPERANDS,
    KernelContext,
    _strides,
    anchor,
    fused_activation,
)
from tflc.runtime.kernels.geometry import conv_axis

DATA_OPERANDS["conv_3d"] = (0, 1, 2)
DATA_OPERANDS["conv_3d_transpose"] = None  # its output shape operand repeats the static one


def _steps(node: Node) -> tuple[list[int], list[int]]:
    a = node.attrs
    strides = [a.get(f"stride_{d}", 1) or 1 for d in "dhw"]
    dilations = [a.get(f"dilation_{d}_factor", 1) or 1 for d in "dhw"]
    return strides, dilations


def _bias(b: KernelBuilder, ctx: KernelContext, node: Node, k: int, oc: str) -> str:
    bias = node.inputs[k] if len(node.inputs) > k else None
    return b.f32(0.0) if bias is None else ctx.load(b, bias, oc)


def _taps(b: KernelBuilder, kernel: list[int], init: str, body) -> str:
    """Sums `body(tap coordinates, acc)` over every tap of the 3-D window."""
    count = kernel[0] * kernel[1] * kernel[2]
    (total,) = b.loop(0, count, [init], lambda r, acc: [body(b.unravel(r, kernel), acc)])
    return total


def _inside(b: KernelBuilder, coords: list[str], sizes: list[int]) -> str:
    ok = b.in_range(coords[0], sizes[0])
    for c, size in zip(coords[1:], sizes[1:], strict=True):
        ok = b.and_(ok, b.in_range(c, size))
    return ok


@anchor("conv_3d")
def conv_3d(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    x, w = node.inputs[:2]
    shape, (kd, kh, kw, cin, cout) = ctx.shape(x), ctx.shape(w)
    strides, dilations = _steps(node)
    padding = node.attrs.get("padding", "SAME")
    geo = [
        conv_axis(padding, n, k, s, d)
        for n, k, s, d in zip(shape[1:4], (kd, kh, kw), strides, dilations, strict=True)
    ]
    n, od, oh, ow, oc = coords
    group_base = b.mul(b.div(oc, cout // (shape[4] // cin)), cin)
    x_strides, w_strides = _strides(shape), _strides(ctx.shape(w))

    def tap(t: list[str], acc: str) -> str:
        at = [
            b.add(b.sub(b.mul(o, s), g[1]), b.mul(k, d))
            for o, s, g, k, d in zip((od, oh, ow), strides, geo, t, dilations, strict=True)
        ]

        def channels() -> list[str]:
            x_row = b.ravel([n, *at, group_base], x_strides)
            w_row = b.ravel([*t, b.index(0), oc], w_strides)

            def step(ic, s):
                v = ctx.load(b, x, b.add(x_row, ic))
                return [b.fadd(s, b.fmul(v, ctx.load(b, w, b.add(w_row, b.mul(ic, cout)))))]

            return b.loop(0, cin, [acc], step)

        (value,) = b.branch(_inside(b, at, list(shape[1:4])), channels, lambda: [acc])
        return value

    total = _taps(b, [kd, kh, kw], _bias(b, ctx, node, 2, oc), tap)
    return fused_activation(b, total, node)


@anchor("conv_3d_transpose")
def conv_3d_transpose(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    w, x = node.inputs[1:3]
    out_shape, shape = ctx.shape(node.outputs[0]), ctx.shape(x)
    kd, kh, kw, cout, cin = ctx.shape(w)
    strides, dilations = _steps(node)
    padding = node.attrs.get("padding", "SAME")
    pads = [
        conv_axis(padding, n, k, s, d)[1]
        for n, k, s, d in zip(out_shape[1:4], (kd, kh, kw), strides, dilations, strict=True)
    ]
    n, od, oh, ow, oc = coords
    x_strides, w_strides = _strides(shape), _strides(ctx.shape(w))

    def tap(t: list[str], acc: str) -> str:
        span = [
            b.sub(b.add(o, p), b.mul(k, d))
            for o, p, k, d in zip((od, oh, ow), pads, t, dilations, strict=True)
        ]
        at = [b.div(v, s) for v, s in zip(span, strides, strict=True)]
        ok = _inside(b, at, list(shape[1:4]))
        for v, s in zip(span, strides, strict=True):  # on the stride grid, not before it
            ok = b.and_(b.and_(ok, b.cmp("sge", v, 0)), b.cmp("eq", b.rem(v, s), 0))

        def channels() -> list[str]:
            x_row = b.ravel([n, *at, b.index(0)], x_strides)
            w_row = b.ravel([*t, oc, b.index(0)], w_strides)

            def step(ic, s):
                v = ctx.load(b, x, b.add(x_row, ic))
                return [b.fadd(s, b.fmul(v, ctx.load(b, w, b.add(w_row, ic))))]

            return b.loop(0, cin, [acc], step)

        (value,) = b.branch(ok, channels, lambda: [acc])
        return value

    total = _taps(b, [kd, kh, kw], _bias(b, ctx, node, 3, oc), tap)
    return fused_activation(b, total, node)  # LiteRT clamps the transpose's output too
