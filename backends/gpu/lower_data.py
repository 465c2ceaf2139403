"""Anchors that move data: pad, concatenation, resizes, slices, transposes, depth/space moves.

Slices and transposes are affine gathers: the input index of an output element is
`base + sum(coord * stride)`, derived at compile time by applying the op to an index array.
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


def _affine(index: np.ndarray) -> tuple[int, list[int]] | None:
    """`(base, strides)` with `index[c] == base + c . strides`, or None if not affine."""
    if index.size == 0:
        return None
    base = int(index.reshape(-1)[0])
    strides = []
    for d, size in enumerate(index.shape):
        if size == 1:
            strides.append(0)
            continue
        probe = [0] * index.ndim
        probe[d] = 1
        strides.append(int(index[tuple(probe)]) - base)
    grid = np.indices(index.shape).reshape(index.ndim, -1)
    expect = base + np.tensordot(np.asarray(strides), grid, axes=1).reshape(index.shape)
    return (base, strides) if np.array_equal(expect, index) else None


def _index_map(node: Node, ctx: KernelContext) -> np.ndarray:
    """Applies the data-movement op to an array of flat input indices."""
    shape = ctx.shape(node.inputs[0])
    idx = np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.int64).reshape(shape)
    if node.op == "transpose":
        return idx.transpose(_const(ctx, node, 1, "permutation").astype(np.int64))
    if node.op == "slice":
        begin = _const(ctx, node, 1, "begin").astype(np.int64)
        size = _const(ctx, node, 2, "size").astype(np.int64)
        sl = tuple(
            slice(int(s), int(s) + (int(z) if z >= 0 else d - int(s)))
            for s, z, d in zip(begin, size, shape, strict=True)
        )
        return idx[sl]
    if node.op == "strided_slice":
        return _strided_slice(idx, node, ctx)
    if node.op == "split_part":  # one result of tfl.split / tfl.split_v (graph.py)
        axis, begin = node.attrs["axis"], node.attrs["begin"]
        size = ctx.shape(node.outputs[0])[axis]
        return np.take(idx, np.arange(begin, begin + size), axis=axis)
    if node.op == "tile":
        return np.tile(idx, _const(ctx, node, 1, "multiples").astype(np.int64).tolist())
    if node.op == "gather":
        if node.attrs.get("batch_dims", 0):
            raise TflcError("gather with batch_dims", node.where)
        indices = _const(ctx, node, 1, "indices").astype(np.int64)
        return np.take(idx, indices, axis=node.attrs.get("axis", 0))
    raise TflcError(f"no index map for {node.op}", node.where)


def _strided_slice(idx: np.ndarray, node: Node, ctx: KernelContext) -> np.ndarray:
    a = node.attrs
    if a.get("ellipsis_mask", 0) or a.get("new_axis_mask", 0):
        raise TflcError("strided_slice with ellipsis or new-axis masks", node.where)
    begin = _const(ctx, node, 1, "begin").astype(np.int64)
    end = _const(ctx, node, 2, "end").astype(np.int64)
    strides = _const(ctx, node, 3, "strides").astype(np.int64)
    sl: list = []
    for d in range(len(begin)):
        if a.get("shrink_axis_mask", 0) >> d & 1:
            sl.append(int(begin[d]))
            continue
        s = None if a.get("begin_mask", 0) >> d & 1 else int(begin[d])
        e = None if a.get("end_mask", 0) >> d & 1 else int(end[d])
        if a.get("offset", False) and e is not None and s is not None:
            e = s + e
        sl.append(slice(s, e, int(strides[d])))
    return idx[tuple(sl)]


@anchor("transpose", "slice", "strided_slice", "split_part", "tile", "gather")
def gather(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    """Affine when the index map is (`base + coords . strides`), else through an index table
    in the weights buffer (float32 holds every index below 2**24 exactly)."""
    out_shape = ctx.shape(node.outputs[0])
    index = _index_map(node, ctx).reshape(out_shape)
    buffer, offset = ctx.addr(node.inputs[0])
    affine = _affine(index)
    if affine is not None:
        base, strides = affine
        return b.load(buffer, b.ravel(coords, strides, base + offset))
    if index.size and index.max() >= 1 << 24:
        raise TflcError(f"{node.op} over more than 2**24 elements", node.where)
    table = ctx.weights.offset((node.outputs[0], "index"), index.astype(np.float32))
    at = b.to_index(b.load("weights", b.ravel(coords, _strides(out_shape), table)))
    return b.load(buffer, b.add(at, offset) if offset else at)


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
