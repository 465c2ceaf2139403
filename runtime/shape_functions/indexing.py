"""Shape functions of the indexing and generating ops: gathers and scatters by index tensors,
one-hot, segment reductions, top-k, ranges."""

from __future__ import annotations

import numpy as np
from tflc.runtime.shape_inference import (
    OpView,
    Shape,
    ShapeError,
    axis_index,
    const_ints,
    shape_function,
)


@shape_function("GATHER_ND")
def _gather_nd(v: OpView) -> list[Shape]:
    params, indices = v.shape(0), v.shape(1)
    if not indices or indices[-1] > len(params):
        raise ShapeError(f"indices of shape {list(indices)} do not index rank {len(params)}")
    return [(*indices[:-1], *params[indices[-1] :])]


@shape_function("ONE_HOT")
def _one_hot(v: OpView) -> list[Shape] | None:
    depth = const_ints(v, 1)
    if depth is None:
        return None
    indices = v.shape(0)
    axis = int(v.option("axis", -1))
    a = len(indices) if axis == -1 else axis_index(axis, len(indices) + 1)
    if depth[0] < 0:
        raise ShapeError(f"depth {depth[0]} is negative")
    return [(*indices[:a], depth[0], *indices[a:])]


@shape_function("SCATTER_ND", "SPARSE_TO_DENSE")
def _to_shape_operand(v: OpView) -> list[Shape] | None:
    shape = const_ints(v, 2 if v.op == "SCATTER_ND" else 1)
    if shape is None:
        return None
    if min(shape, default=0) < 0:
        raise ShapeError(f"shape {shape} is not a shape")
    return [tuple(shape)]


@shape_function(
    "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_MIN", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_SUM"
)
def _unsorted_segment(v: OpView) -> list[Shape] | None:
    count = const_ints(v, 2)
    if count is None:
        return None
    data, ids = v.shape(0), v.shape(1)
    if data[: len(ids)] != ids:
        raise ShapeError(f"segment_ids of shape {list(ids)} do not prefix data {list(data)}")
    return [(count[0], *data[len(ids) :])]


@shape_function("TOPK_V2")
def _top_k(v: OpView) -> list[Shape] | None:
    k = const_ints(v, 1)
    if k is None:
        return None
    x = v.shape(0)
    if not x or not 0 <= k[0] <= x[-1]:
        raise ShapeError(f"k {k[0]} is outside the last dimension of {list(x)}")
    return [(*x[:-1], k[0])] * 2


@shape_function("EMBEDDING_LOOKUP")
def _embedding_lookup(v: OpView) -> list[Shape]:
    lookup, table = v.shape(0), v.shape(1)
    if len(lookup) != 1 or not table:
        raise ShapeError(f"lookup {list(lookup)} and table {list(table)}: a vector and a table")
    return [(lookup[0], *table[1:])]


@shape_function("MATRIX_DIAG")
def _matrix_diag(v: OpView) -> list[Shape]:
    x = v.shape(0)
    if not x:
        raise ShapeError("a diagonal needs rank 1 or more")
    return [(*x, x[-1])]


@shape_function("MATRIX_SET_DIAG", "REVERSE_SEQUENCE", "DYNAMIC_UPDATE_SLICE")
def _like_first_operand(v: OpView) -> list[Shape]:
    return [v.shape(0)]


@shape_function("RANGE")
def _range(v: OpView) -> list[Shape] | None:
    values = [v.const(i) for i in range(3)]
    if any(x is None or np.size(x) != 1 for x in values):
        return None
    start, limit, delta = (float(np.ravel(x)[0]) for x in values)
    if delta == 0 or (limit - start) * delta < 0:
        raise ShapeError(f"delta {delta:g} does not go from {start:g} to {limit:g}")
    return [(int(np.ceil(abs((limit - start) / delta))),)]
