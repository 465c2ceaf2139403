"""Sparse embedding ops: EMBEDDING_LOOKUP_SPARSE and HASHTABLE_LOOKUP (the TFLite builtin that
looks int32 keys up in a sorted constant key list, not the resource hash tables)."""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.node import Node


@kernel("EMBEDDING_LOOKUP_SPARSE")
def embedding_lookup_sparse(
    node: Node,
    ids: np.ndarray,
    indices: np.ndarray,
    dense_shape: np.ndarray,
    weights: np.ndarray,
    table: np.ndarray,
):
    """Weighted rows of `table` combined per output bucket (SUM, MEAN or SQRTN).

    `indices` is (lookups, rank): the first rank-1 columns name the output bucket of each
    lookup; lookups of one bucket come one after another, as in a tf.SparseTensor.
    """
    combiner = node.options.get("combiner", "SUM")
    ids = ids.reshape(-1).astype(np.int64)
    indices = indices.reshape(ids.size, -1).astype(np.int64)
    dense = [int(d) for d in dense_shape.reshape(-1)]
    if ids.size and (ids.min() < 0 or ids.max() >= table.shape[0]):
        raise node.error(f"embedding id out of range [0, {table.shape[0]})")
    bucket_dims = dense[:-1]
    rows = table.reshape(table.shape[0], -1).astype(np.float32)
    out = np.zeros((int(np.prod(bucket_dims)), rows.shape[1]), dtype=np.float32)
    buckets = np.zeros(ids.size, dtype=np.int64)
    for k, d in enumerate(bucket_dims):  # row-major flat index of the bucket coordinates
        buckets = buckets * d + indices[:, k]
    current, count = 0, 0
    total, squares = np.float32(0), np.float32(0)

    def finalize(bucket: int) -> None:
        # LiteRT divides a bucket when the next lookup leaves it; a zero weight sum gives NaN.
        if combiner == "SUM" or count == 0:
            return
        with np.errstate(invalid="ignore", divide="ignore"):
            out[bucket] /= total if combiner == "MEAN" else np.sqrt(squares)

    for i in range(ids.size):
        bucket = int(buckets[i])
        if bucket != current:
            finalize(current)
            current, count = bucket, 0
            total, squares = np.float32(0), np.float32(0)
        w = np.float32(weights.reshape(-1)[i])
        count += 1
        total = np.float32(total + w)
        squares = np.float32(squares + w * w)
        out[bucket] += rows[ids[i]] * w
    finalize(current)
    return out.reshape(bucket_dims + list(table.shape[1:]))


@kernel("HASHTABLE_LOOKUP")
def hashtable_lookup(node: Node, lookups: np.ndarray, keys: np.ndarray, values: np.ndarray):
    """Rows of `values` whose key (in the sorted `keys`) equals each lookup; zero rows where
    none does. Returns (rows, hits) with hits 1 for found lookups, else 0."""
    lookups = lookups.reshape(-1)
    keys = keys.reshape(-1)
    pos = np.searchsorted(keys, lookups)
    found = (pos < keys.size) & (keys[np.minimum(pos, max(keys.size - 1, 0))] == lookups)
    if not keys.size:
        found = np.zeros(lookups.size, dtype=bool)
    out = np.zeros((lookups.size,) + values.shape[1:], dtype=values.dtype)
    out[found] = values[pos[found]]
    return out, found.astype(np.uint8)
