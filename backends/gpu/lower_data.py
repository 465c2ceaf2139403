"""Anchors that move data with index arithmetic of their own: pad, concatenation, resizes,
depth/space moves, and the copies of control flow's carried and branch results. Slices, transposes, gathers and the other pure moves are `lower_moves.py`'s
(index maps from the interpreter's kernels).
"""

from __future__ import annotations

import numpy as np
from tflc.backends.gpu.graph import Node
from tflc.backends.gpu.kernel_ir import KernelBuilder
from tflc.backends.gpu.lowering import KernelContext, _strides, anchor, fused_activation
from tflc.errors import TflcError


def _const(ctx: KernelContext, node: Node, i: int, what: str) -> np.ndarray:
    value = ctx.graph.const(node.inputs[i] if i < len(node.inputs) else None)
    if value is None:
        raise TflcError(f"{node.op} needs a constant {what}", node.where)
    return np.asarray(value)


@anchor("copy")  # control_flow.py's: a tensor into another of its shape
def copy(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    shape = ctx.shape(node.outputs[0])
    return ctx.load(b, node.inputs[0], b.ravel(coords, _strides(shape)) if shape else b.index(0))


@anchor("pad", "padv2")
def pad(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    x = node.inputs[0]
    shape = ctx.shape(x)
    pads = _const(ctx, node, 1, "padding").reshape(-1, 2)
    fill = 0.0
    if node.op == "padv2" and len(node.inputs) > 2 and node.inputs[2] is not None:
        fill = float(_const(ctx, node, 2, "constant value").reshape(-1)[0])
    ins, oks = [], []
    for c, (before, _), size in zip(coords, pads, shape, strict=True):
        ic = b.sub(c, int(before)) if before else c
        ins.append(ic)
        if before or _:
            oks.append(b.in_range(ic, size))
    if not oks:
        return ctx.load_broadcast(b, x, ins, shape)
    ok = oks[0]
    for other in oks[1:]:
        ok = b.and_(ok, other)
    buffer, base = ctx.addr(x)
    strides = _strides(shape)
    (value,) = b.branch(
        ok, lambda: [b.load(buffer, b.ravel(ins, strides, base))], lambda: [b.f32(fill)]
    )
    return value


@anchor("concatenation")
def concatenation(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    out_shape = ctx.shape(node.outputs[0])
    axis = node.attrs.get("axis", 0) % len(out_shape)
    parts = [t for t in node.inputs if t is not None]
    c = coords[axis]

    def pick(k: int, start: int) -> list[str]:
        t = parts[k]
        size = ctx.shape(t)[axis]
        local = list(coords)
        local[axis] = b.sub(c, start) if start else c
        buffer, base = ctx.addr(t)
        load = lambda: [b.load(buffer, b.ravel(local, _strides(ctx.shape(t)), base))]  # noqa: E731
        if k == len(parts) - 1:
            return load()
        return b.branch(b.cmp("slt", c, start + size), load, lambda: pick(k + 1, start + size))

    (value,) = pick(0, 0)
    return fused_activation(b, value, node)


def _resize_sizes(ctx: KernelContext, node: Node):
    _, h, w, _ = ctx.shape(node.inputs[0])
    _, oh, ow, _ = ctx.shape(node.outputs[0])
    align = node.attrs.get("align_corners", False)

    def scale(i, o):
        return (i - 1) / (o - 1) if align and o > 1 else i / o

    return h, w, oh, ow, scale(h, oh), scale(w, ow)


@anchor("resize_bilinear")
def resize_bilinear(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    x = node.inputs[0]
    h, w, _, _, sy, sx = _resize_sizes(ctx, node)
    c = ctx.shape(x)[3]
    half = node.attrs.get("half_pixel_centers", False)
    n, oy, ox, ch = coords

    def source(o, s, size):
        f = b.to_f32(o)
        f = (
            b.fsub(b.fmul(b.fadd(f, b.f32(0.5)), b.f32(s)), b.f32(0.5))
            if half
            else b.fmul(f, b.f32(s))
        )
        lo = b.imax(b.to_index(b.math("floor", f)), b.index(0))
        hi = b.imin(b.to_index(b.math("ceil", f)), b.index(size - 1))
        return f, lo, hi, b.fsub(f, b.to_f32(lo))

    _, y0, y1, dy = source(oy, sy, h)
    _, x0, x1, dx = source(ox, sx, w)
    buffer, base = ctx.addr(x)

    def at(yy, xx):
        return b.load(buffer, b.ravel([n, yy, xx, ch], [h * w * c, w * c, c, 1], base))

    one = b.f32(1.0)
    top = b.fadd(b.fmul(at(y0, x0), b.fsub(one, dx)), b.fmul(at(y0, x1), dx))
    bottom = b.fadd(b.fmul(at(y1, x0), b.fsub(one, dx)), b.fmul(at(y1, x1), dx))
    return b.fadd(b.fmul(top, b.fsub(one, dy)), b.fmul(bottom, dy))


@anchor("resize_nearest_neighbor")
def resize_nearest(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    x = node.inputs[0]
    h, w, _, _, sy, sx = _resize_sizes(ctx, node)
    c = ctx.shape(x)[3]
    half = node.attrs.get("half_pixel_centers", False)
    align = node.attrs.get("align_corners", False)
    n, oy, ox, ch = coords

    def source(o, s, size):
        f = b.to_f32(o)
        f = b.fadd(f, b.f32(0.5)) if half else f
        f = b.fmul(f, b.f32(s))
        f = b.math("floor", b.fadd(f, b.f32(0.5))) if align else b.math("floor", f)
        return b.imin(b.imax(b.to_index(f), b.index(0)), b.index(size - 1))

    yy, xx = source(oy, sy, h), source(ox, sx, w)
    buffer, base = ctx.addr(x)
    return b.load(buffer, b.ravel([n, yy, xx, ch], [h * w * c, w * c, c, 1], base))


@anchor("depth_to_space", "space_to_depth")
def depth_space(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    bs = node.attrs["block_size"]
    _, h, w, c = ctx.shape(node.inputs[0])
    n, y, x, ch = coords
    if (
        node.op == "depth_to_space"
    ):  # out[n, y, x, ch] = in[n, y/bs, x/bs, (y%bs*bs + x%bs)*C' + ch]
        oc = c // (bs * bs)
        block = b.add(b.mul(b.rem(y, bs), bs), b.rem(x, bs))
        src = [n, b.div(y, bs), b.div(x, bs), b.add(b.mul(block, oc), ch)]
    else:  # out[n, y, x, ch] = in[n, y*bs + (ch/C)/bs, x*bs + (ch/C)%bs, ch%C]
        block = b.div(ch, c)
        src = [
            n,
            b.add(b.mul(y, bs), b.div(block, bs)),
            b.add(b.mul(x, bs), b.rem(block, bs)),
            b.rem(ch, c),
        ]
    buffer, base = ctx.addr(node.inputs[0])
    return b.load(buffer, b.ravel(src, [h * w * c, w * c, c, 1], base))
