"""StableHLO GATHER and SCATTER with their full dimension numbers (StableHLO specification)."""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.node import Node
from tflc.runtime.kernels.stablehlo_common import body_function, int_list


def _index_vectors(indices: np.ndarray, index_vector_dim: int) -> np.ndarray:
    """Start indices with the index vector last: (batch..., K)."""
    if index_vector_dim == indices.ndim:
        indices = indices[..., None]
    return np.moveaxis(indices.astype(np.int64), index_vector_dim, -1)


@kernel("STABLEHLO_GATHER")
def stablehlo_gather(node: Node, x: np.ndarray, indices: np.ndarray):
    offset_dims = int_list(node, "offset_dims")
    collapsed = set(int_list(node, "collapsed_slice_dims"))
    index_map = int_list(node, "start_index_map")
    sizes = int_list(node, "slice_sizes")
    starts = _index_vectors(indices, int(node.options.get("index_vector_dim", indices.ndim)))
    batch_shape = starts.shape[:-1]
    if starts.shape[-1] != len(index_map) or len(sizes) != x.ndim:
        raise node.error("start_index_map and slice_sizes do not fit the operand and indices")
    window_dims = [d for d in range(x.ndim) if d not in collapsed]
    nb, nw = len(batch_shape), len(window_dims)
    # Every operand coordinate as (batch..., window...) arrays: clamped start + window offset.
    coords = []
    for d in range(x.ndim):
        start = np.zeros(batch_shape, dtype=np.int64)
        if d in index_map:
            start = starts[..., index_map.index(d)]
        start = np.clip(start, 0, x.shape[d] - sizes[d]).reshape(batch_shape + (1,) * nw)
        offset = np.zeros((1,) * nw, dtype=np.int64)
        if d in window_dims:
            k = window_dims.index(d)
            offset = np.arange(sizes[d]).reshape([-1 if j == k else 1 for j in range(nw)])
        coords.append(start + offset.reshape((1,) * nb + offset.shape))
    gathered = x[tuple(coords)]
    gathered = np.broadcast_to(gathered, batch_shape + tuple(sizes[d] for d in window_dims))
    # Result dimension r holds window dim offset_dims.index(r), else the next batch dim.
    order, batch_next = [], 0
    for r in range(nb + nw):
        if r in offset_dims:
            order.append(nb + offset_dims.index(r))
        else:
            order.append(batch_next)
            batch_next += 1
    return np.ascontiguousarray(np.transpose(gathered, order))


@kernel("STABLEHLO_SCATTER")
def stablehlo_scatter(node: Node, x: np.ndarray, indices: np.ndarray, updates: np.ndarray):
    """Each update element combines (body(old, update)) into the operand element its index
    names, in row-major update order; elements landing outside the operand are dropped."""
    window_dims = int_list(node, "update_window_dims")
    inserted = set(int_list(node, "inserted_window_dims"))
    to_operand = int_list(node, "scatter_dims_to_operand_dims")
    starts = _index_vectors(indices, int(node.options.get("index_vector_dim", indices.ndim)))
    scatter_dims = [d for d in range(updates.ndim) if d not in window_dims]
    operand_window_dims = [d for d in range(x.ndim) if d not in inserted]
    grid = np.indices(updates.shape).reshape(updates.ndim, -1)
    where = (
        starts[tuple(grid[d] for d in scatter_dims)]
        if scatter_dims
        else starts.reshape(1, -1).repeat(grid.shape[1], axis=0)
    )
    coords = np.zeros((x.ndim, grid.shape[1]), dtype=np.int64)
    for k, d in enumerate(to_operand):
        coords[d] += where[:, k]
    for k, d in enumerate(operand_window_dims):
        coords[d] += grid[window_dims[k]]
    inside = np.all((coords >= 0) & (coords < np.array(x.shape)[:, None]), axis=0)
    values = updates.reshape(-1)[inside]
    target = tuple(coords[:, inside])
    fn = body_function(node, int(node.options["update_computation_subgraph_index"]))
    out = x.copy()
    if isinstance(fn, np.ufunc):
        fn.at(out, target, values)  # unbuffered: repeated indices combine in order
    else:
        for i, value in zip(zip(*target, strict=True), values, strict=True):
            out[i] = fn(out[i], value)
    return out
