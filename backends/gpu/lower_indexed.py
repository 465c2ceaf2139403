"""Anchors that read indices or scalars at run time, or scan along an axis: `fill`, `range`,
`broadcast_args`, `one_hot`, `gather` / `gather_nd` / `embedding_lookup` with run-time indices,
`dynamic_update_slice`, `arg_max` / `arg_min`, `topk_v2`, `cumsum` and the segment reductions.

Indices are exact float values in the arena (runtime/gpu_arena.py), truncated to i32 here and
clamped into the indexed dimension: LiteRT stops with an error on an index out of range, where
a shader may not read outside its tensor.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.gpu.graph import Node
from tflc.backends.gpu.kernel_ir import KernelBuilder
from tflc.backends.gpu.lower_moves import move
from tflc.backends.gpu.lowering import (
    DATA_OPERANDS,
    REFUSALS,
    KernelContext,
    _strides,
    anchor,
)

# every operand may be computed at run time (shapes are static: `fill`'s dims and `range`'s
# limit only repeat the output shape)
DATA_OPERANDS.update(
    {
        op: None
        for op in (
            "fill",
            "range",
            "one_hot",
            "gather",
            "gather_nd",
            "embedding_lookup",
            "dynamic_update_slice",
            "segment_sum",
            "unsorted_segment_sum",
            "unsorted_segment_prod",
            "unsorted_segment_max",
            "unsorted_segment_min",
            "broadcast_args",
        )
    }
)
# constant axes, and topk_v2's constant k
DATA_OPERANDS.update({"arg_max": (0,), "arg_min": (0,), "cumsum": (0,), "topk_v2_part": (0,)})


def _index(b: KernelBuilder, value: str, size: int) -> str:
    """An index held as a float, in i32, clamped to `[0, size)`."""
    return b.imin(b.imax(b.to_index(value), b.index(0)), b.index(size - 1))


def _load_at(b: KernelBuilder, ctx: KernelContext, tid: int, coords: list[str]) -> str:
    buffer, base = ctx.addr(tid)
    return b.load(buffer, b.ravel(coords, _strides(ctx.shape(tid)), base))


def _scalar(b: KernelBuilder, ctx: KernelContext, tid: int) -> str:
    return ctx.load(b, tid, b.index(0))


@anchor("fill")
def fill(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    return _scalar(b, ctx, node.inputs[1])


@anchor("range")
def range_(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    start, delta = _scalar(b, ctx, node.inputs[0]), _scalar(b, ctx, node.inputs[2])
    return b.fadd(start, b.fmul(b.to_f32(coords[0]), delta))


@anchor("broadcast_args")
def broadcast_args(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    """Dimension i of the broadcast shape: the other shape's where one is 1 (or absent)."""
    rank = ctx.shape(node.outputs[0])[0]

    def dim(tid: int) -> str:
        n = ctx.shape(tid)[0]
        k = b.sub(coords[0], rank - n)
        value = ctx.load(b, tid, b.imax(k, b.index(0)))
        return b.select(b.cmp("sge", k, 0), value, b.f32(1.0))

    x, y = dim(node.inputs[0]), dim(node.inputs[1])
    return b.select(b.fcmp("oeq", x, b.f32(1.0)), y, x)


@anchor("one_hot")
def one_hot(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    axis = node.attrs.get("axis", -1) % len(coords)
    index = _load_at(b, ctx, node.inputs[0], coords[:axis] + coords[axis + 1 :])
    hot = b.fcmp("oeq", index, b.to_f32(coords[axis]))
    on, off = _scalar(b, ctx, node.inputs[2]), _scalar(b, ctx, node.inputs[3])
    return b.select(hot, on, off)


@anchor("gather", "embedding_lookup")
def gather(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    """Constant indices: an index map (`lower_moves`); run-time ones are read here."""
    params, indices = node.inputs[:2] if node.op == "gather" else node.inputs[1::-1]
    if node.op == "gather" and ctx.graph.const(indices) is not None:
        return move(b, node, ctx, coords)
    shape, rank = ctx.shape(params), len(ctx.shape(indices))
    axis = node.attrs.get("axis", 0) % len(shape)
    batch = node.attrs.get("batch_dims", 0) % (rank + 1) if rank else 0
    picked = coords[axis : axis + rank - batch]
    at = _index(b, _load_at(b, ctx, indices, coords[:batch] + picked), shape[axis])
    return _load_at(b, ctx, params, coords[:axis] + [at] + coords[axis + rank - batch :])


@anchor("gather_nd")
def gather_nd(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    params, indices = node.inputs
    if ctx.graph.const(indices) is not None:
        return move(b, node, ctx, coords)
    shape, idx_shape = ctx.shape(params), ctx.shape(indices)
    depth, lead = idx_shape[-1], len(idx_shape) - 1
    at = [
        _index(b, _load_at(b, ctx, indices, coords[:lead] + [b.index(j)]), shape[j])
        for j in range(depth)
    ]
    return _load_at(b, ctx, params, at + coords[lead:])


@anchor("dynamic_update_slice")
def dynamic_update_slice(b: KernelBuilder, node: Node, ctx: KernelContext, coords) -> str:
    x, update, start = node.inputs
    shape, size = ctx.shape(x), ctx.shape(update)
    inside, local = None, []
    for d, (c, dim, u) in enumerate(zip(coords, shape, size, strict=True)):
        s = b.imin(b.imax(b.to_index(ctx.load(b, start, b.index(d))), b.index(0)), dim - u)
        rel = b.sub(c, s)
        local.append(rel)
        ok = b.in_range(rel, u)
        inside = ok if inside is None else b.and_(inside, ok)
    if inside is None:  # a scalar
        return _load_at(b, ctx, update, [])
    (value,) = b.branch(
        inside, lambda: [_load_at(b, ctx, update, local)], lambda: [_load_at(b, ctx, x, coords)]
    )
    return value


@anchor("arg_max", "arg_min")
def arg_max(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    """The first index of the largest (smallest) value along the axis."""
    x = node.inputs[0]
    shape = ctx.shape(x)
    axis = int(np.asarray(ctx.graph.const(node.inputs[1])).reshape(-1)[0]) % len(shape)
    at = lambda k: _load_at(b, ctx, x, coords[:axis] + [k] + coords[axis:])  # noqa: E731
    better = "ogt" if node.op == "arg_max" else "olt"

    def step(k, best, best_k):
        v = at(k)
        wins = b.fcmp(better, v, best)
        return [b.select(wins, v, best), b.select(wins, b.to_f32(k), best_k)]

    _, index = b.loop(1, shape[axis], [at(b.index(0)), b.f32(0.0)], step)
    return index


@anchor("topk_v2_part")
def topk_v2(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    """Output j of a row: the element whose rank (larger values first, ties by index, as the
    interpreter's stable sort) is j; result 0 its value, result 1 its index. Each invocation
    ranks the whole row (rows are short: classes, candidates)."""
    x = node.inputs[0]
    shape = ctx.shape(x)
    n = shape[-1]
    _, xoff = ctx.addr(x)
    row = b.ravel(coords[:-1], _strides(shape)[:-1], xoff) if len(shape) > 1 else b.index(xoff)
    at = lambda i: b.load("arena", b.add(row, i))  # noqa: E731
    j = coords[-1]

    def candidate(i, value, index):
        v = at(i)

        def before(m, rank):
            w = at(m)
            ahead = b.or_(b.fcmp("ogt", w, v), b.and_(b.fcmp("oeq", w, v), b.cmp("slt", m, i)))
            return [b.fadd(rank, b.select(ahead, b.f32(1.0), b.f32(0.0)))]

        (rank,) = b.loop(0, n, [b.f32(0.0)], before)
        mine = b.fcmp("oeq", rank, b.to_f32(j))
        return [b.select(mine, v, value), b.select(mine, b.to_f32(i), index)]

    value, index = b.loop(0, n, [b.f32(0.0), b.f32(0.0)], candidate)
    return index if node.attrs.get("result", 0) else value


@anchor("cumsum")
def cumsum(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    x = node.inputs[0]
    shape = ctx.shape(x)
    axis = int(np.asarray(ctx.graph.const(node.inputs[1])).reshape(-1)[0]) % max(len(shape), 1)
    exclusive, reverse = node.attrs.get("exclusive", False), node.attrs.get("reverse", False)
    predicate = ("sgt" if exclusive else "sge") if reverse else ("slt" if exclusive else "sle")
    c = coords[axis]

    def step(k, acc):
        v = _load_at(b, ctx, x, coords[:axis] + [k] + coords[axis + 1 :])
        return [b.fadd(acc, b.select(b.cmp(predicate, k, c), v, b.f32(0.0)))]

    (total,) = b.loop(0, shape[axis], [b.f32(0.0)], step)
    return total


SEGMENT_REDUCTIONS = {  # op -> (combine, identity: the value of an empty segment)
    "segment_sum": ("fadd", 0.0),
    "unsorted_segment_sum": ("fadd", 0.0),
    "unsorted_segment_prod": ("fmul", 1.0),
    "unsorted_segment_max": ("fmax", None),
    "unsorted_segment_min": ("fmin", None),
}


def _identity(node: Node, ctx: KernelContext) -> float:
    """The interpreter's value of an empty segment: the output type's lowest (highest)."""
    combine, identity = SEGMENT_REDUCTIONS[node.op]
    if identity is not None:
        return identity
    dtype = ctx.graph.tensors[node.outputs[0]].dtype
    info = np.finfo(np.float32) if dtype == "f32" else np.iinfo(np.int32)
    return float(info.min if combine == "fmax" else info.max)


def _refuse_int_segment_min(node: Node, graph) -> str | None:
    if graph.tensors[node.outputs[0]].dtype != "f32":
        return "an empty segment's int32 maximum 2**31 - 1 is not a float32"
    return None


REFUSALS["unsorted_segment_min"] = _refuse_int_segment_min


@anchor(*SEGMENT_REDUCTIONS)
def segment_reduce(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    data, ids = node.inputs[:2]
    rows = ctx.graph.tensors[ids].size
    inner = ctx.shape(data)[len(ctx.shape(ids)) :]
    row_size = int(np.prod(inner, dtype=np.int64))
    combine, _ = SEGMENT_REDUCTIONS[node.op]
    identity = b.f32(_identity(node, ctx))
    segment = b.to_f32(coords[0])
    data_buffer, data_base = ctx.addr(data)
    offset = b.ravel(coords[1:], _strides(inner), data_base)

    def step(r, acc):
        mine = b.fcmp("oeq", ctx.load(b, ids, r), segment)
        v = b.load(data_buffer, b.add(offset, b.mul(r, row_size)))
        return [b.select(mine, getattr(b, combine)(acc, v), acc)]

    (value,) = b.loop(0, rows, [identity], step)
    return value
