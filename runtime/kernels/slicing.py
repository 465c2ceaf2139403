"""Indexing ops: slice, strided_slice, gather(_nd), scatter_nd, pad family, top-k, segments."""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.node import Node, is_quantized, scale_zp


def _ints(a) -> list[int]:
    return [int(v) for v in np.asarray(a).reshape(-1)]


@kernel("SLICE")
def slice_(node: Node, x: np.ndarray, begin: np.ndarray, size: np.ndarray):
    b, s = _ints(begin), _ints(size)
    if len(b) != x.ndim or len(s) != x.ndim:
        raise node.error(f"begin {b} / size {s} do not fit a rank-{x.ndim} input")
    index = []
    for d, (start, n) in enumerate(zip(b, s, strict=True)):
        stop = x.shape[d] if n == -1 else start + n
        if start < 0 or stop > x.shape[d] or stop < start:
            raise node.error(f"slice [{start}, {stop}) is out of range for dimension {d}")
        index.append(slice(start, stop))
    return np.array(x[tuple(index)])


@kernel("STRIDED_SLICE")
def strided_slice(node: Node, x, begin, end, strides=None):
    o = node.options
    b, e = _ints(begin), _ints(end)
    s = _ints(strides) if strides is not None else [1] * len(b)
    begin_mask, end_mask = o.get("begin_mask", 0), o.get("end_mask", 0)
    ellipsis_mask, new_axis_mask = o.get("ellipsis_mask", 0), o.get("new_axis_mask", 0)
    shrink_mask, offset = o.get("shrink_axis_mask", 0), o.get("offset", False)
    if 0 in s:
        raise node.error("strides must be non-zero")
    index: list = []
    dim = 0  # the input dimension the next spec applies to (for range checks)
    for i in range(len(b)):
        bit = 1 << i
        if ellipsis_mask & bit:
            index.append(Ellipsis)
            dim = x.ndim - (len(b) - i - 1)
            continue
        if new_axis_mask & bit:
            index.append(None)
            continue
        if shrink_mask & bit:
            size = x.shape[dim] if dim < x.ndim else 1
            k = b[i] + size if b[i] < 0 else b[i]
            if not 0 <= k < size:
                raise node.error(f"index {b[i]} is out of range for dimension {dim}")
            index.append(k)
        else:
            start = None if begin_mask & bit else b[i]
            stop = None if end_mask & bit else (b[i] + e[i] if offset else e[i])
            index.append(slice(start, stop, s[i]))
        dim += 1
    return np.array(x[tuple(index)])


@kernel("GATHER")
def gather(node: Node, params: np.ndarray, indices: np.ndarray):
    axis = node.options.get("axis", 0) % max(params.ndim, 1)
    batch_dims = node.options.get("batch_dims", 0)
    if batch_dims < 0:
        batch_dims += indices.ndim
    idx = indices.astype(np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= params.shape[axis]):
        raise node.error(f"gather index out of range [0, {params.shape[axis]})")
    if batch_dims == 0:
        return np.take(params, idx, axis=axis)
    batch = params.shape[:batch_dims]
    nb = int(np.prod(batch))
    p = params.reshape((nb,) + params.shape[batch_dims:])
    ii = idx.reshape((nb,) + idx.shape[batch_dims:])
    outs = [np.take(p[k], ii[k], axis=axis - batch_dims) for k in range(nb)]
    return np.stack(outs).reshape(batch + outs[0].shape) if outs else np.zeros(0, params.dtype)


@kernel("GATHER_ND")
def gather_nd(node: Node, params: np.ndarray, indices: np.ndarray):
    idx = indices.astype(np.int64)
    k = idx.shape[-1]
    if k > params.ndim:
        raise node.error(f"index depth {k} exceeds the params rank {params.ndim}")
    bounds = np.asarray(params.shape[:k])
    if idx.size and (np.any(idx < 0) or np.any(idx >= bounds)):
        raise node.error("gather_nd index out of range")
    return params[tuple(np.moveaxis(idx, -1, 0))]


@kernel("SCATTER_ND")
def scatter_nd(node: Node, indices: np.ndarray, updates: np.ndarray, shape: np.ndarray):
    out = np.zeros(_ints(shape), dtype=updates.dtype)
    idx = indices.astype(np.int64)
    k = idx.shape[-1]
    if idx.size and (np.any(idx < 0) or np.any(idx >= np.asarray(out.shape[:k]))):
        raise node.error("scatter_nd index out of range")
    np.add.at(out, tuple(np.moveaxis(idx, -1, 0)), updates)
    return out


def _paddings(node: Node, x: np.ndarray, paddings: np.ndarray) -> list[tuple[int, int]]:
    p = np.asarray(paddings).reshape(-1, 2)
    if p.shape[0] != x.ndim or np.any(p < 0):
        raise node.error(f"paddings {p.tolist()} do not fit a rank-{x.ndim} input")
    return [(int(a), int(b)) for a, b in p]


@kernel("PAD", "PADV2")
def pad(node: Node, x: np.ndarray, paddings: np.ndarray, value: np.ndarray | None = None):
    pads = _paddings(node, x, paddings)
    if value is not None:
        fill = value.reshape(())
    elif is_quantized(node.input(0)) and x.dtype != np.int32:
        fill = scale_zp(node.output())[1]  # zero in the quantized domain
    else:
        fill = 0
    return np.pad(x, pads, constant_values=fill)


@kernel("MIRROR_PAD")
def mirror_pad(node: Node, x: np.ndarray, paddings: np.ndarray):
    pads = _paddings(node, x, paddings)
    mode = "reflect" if node.options.get("mode", "REFLECT") == "REFLECT" else "symmetric"
    return np.pad(x, pads, mode=mode)


@kernel("TOPK_V2")
def topk_v2(node: Node, x: np.ndarray, k: np.ndarray):
    kk = int(np.asarray(k).reshape(()))
    if not 0 <= kk <= x.shape[-1]:
        raise node.error(f"k={kk} is out of range for a last dimension of {x.shape[-1]}")
    order = np.argsort(-x.astype(np.float64), axis=-1, kind="stable")[..., :kk]
    return np.take_along_axis(x, order, axis=-1), order.astype(node.out_dtype(1))


@kernel("DYNAMIC_UPDATE_SLICE")
def dynamic_update_slice(node: Node, x: np.ndarray, update: np.ndarray, start: np.ndarray):
    out = np.array(x, copy=True)
    starts = [
        min(max(int(s), 0), dim - u)
        for s, dim, u in zip(_ints(start), x.shape, update.shape, strict=True)
    ]
    out[tuple(slice(s, s + u) for s, u in zip(starts, update.shape, strict=True))] = update
    return out


@kernel("EMBEDDING_LOOKUP")
def embedding_lookup(node: Node, ids: np.ndarray, table: np.ndarray):
    idx = ids.astype(np.int64)
    if idx.size and (idx.min() < 0 or idx.max() >= table.shape[0]):
        raise node.error(f"embedding id out of range [0, {table.shape[0]})")
    rows = table[idx]
    if node.output().type == "FLOAT32" and table.dtype != np.float32:
        s, zp = scale_zp(node.input(1))
        return ((rows.astype(np.float32) - zp) * np.float32(s)).astype(np.float32)
    return rows


def _segments(node: Node, data, ids, num, reduce, init):
    if data.shape[: ids.ndim] != ids.shape:
        raise node.error(
            f"segment ids of shape {list(ids.shape)} do not lead data of shape {list(data.shape)}"
        )
    seg = ids.astype(np.int64).reshape(-1)
    out = np.full((num,) + data.shape[1:], init, dtype=data.dtype)
    if seg.size and (seg.min() < 0 or seg.max() >= num):
        raise node.error(f"segment id out of range [0, {num})")
    reduce.at(out, seg, data.reshape((seg.size,) + data.shape[ids.ndim :]))
    return out


# SEGMENT_SUM / UNSORTED_SEGMENT_<X>: how rows combine, and what an empty segment holds (the
# reduction's identity; the type's lowest / highest value for MAX / MIN, as TFLite fills them).
SEGMENT_REDUCTIONS = {
    "SEGMENT_SUM": "sum",
    "UNSORTED_SEGMENT_SUM": "sum",
    "UNSORTED_SEGMENT_PROD": "prod",
    "UNSORTED_SEGMENT_MAX": "max",
    "UNSORTED_SEGMENT_MIN": "min",
}
_SEGMENT_UFUNCS = {"sum": np.add, "prod": np.multiply, "max": np.maximum, "min": np.minimum}


def segment_identity(reduction: str, dtype) -> int | float:
    """The value of an empty segment of `reduction` ("sum", "prod", "max", "min") in `dtype`."""
    if reduction in ("sum", "prod"):
        return 0 if reduction == "sum" else 1
    info = np.finfo(dtype) if np.issubdtype(dtype, np.floating) else np.iinfo(dtype)
    return info.min if reduction == "max" else info.max


def _segment_op(node: Node, data, ids, num: int):
    reduction = SEGMENT_REDUCTIONS[node.op]
    init = segment_identity(reduction, data.dtype)
    return _segments(node, data, ids, num, _SEGMENT_UFUNCS[reduction], init)


@kernel("SEGMENT_SUM")
def segment_sum(node: Node, data: np.ndarray, ids: np.ndarray):
    return _segment_op(node, data, ids, int(ids.max()) + 1 if ids.size else 0)


@kernel(*(op for op in SEGMENT_REDUCTIONS if op.startswith("UNSORTED")))
def unsorted_segment(node: Node, data, ids, num):
    return _segment_op(node, data, ids, int(np.asarray(num).reshape(())))
