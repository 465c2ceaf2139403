"""The dense value of a `tfl.pseudo_sparse_const` (TFLite's sparsity format), at compile time.

Quantization reads sparse weights (`tfl.densify` of a sparse constant, as in mediapipe's
pose_detection) through this so that their convolutions get int8 weights like any other.
The format: the values are stored in `traversal_order` over the tensor's dims followed by
block dims (`block_map` names the dim each block splits); each level is DENSE (format 0, a
`dense_size`) or SPARSE_CSR (format 1: `segments` into `indices`, per parent position).
"""

from __future__ import annotations

import numpy as np
from mlir import ir

DENSE, SPARSE_CSR = 0, 1


def sparse_constant_value(op: ir.Operation) -> np.ndarray | None:
    """The dense array a `tfl.pseudo_sparse_const` holds; None for other ops or byte blobs."""
    if op.name != "tfl.pseudo_sparse_const":
        return None
    attr = op.attributes["value"]
    if not isinstance(attr, ir.DenseElementsAttr):
        return None
    values = np.array(attr).reshape(-1)
    shape = list(ir.ShapedType(op.result.type).shape)
    order = list(ir.DenseI32ArrayAttr(op.attributes["traversal_order"]))
    block_map = list(ir.DenseI32ArrayAttr(op.attributes["block_map"]))
    levels = [_level(d) for d in ir.ArrayAttr(op.attributes["dim_metadata"])]
    return densify(values, shape, order, block_map, levels)


def _level(attr: ir.Attribute) -> dict:
    d = ir.DictAttr(attr)
    level = {"format": ir.IntegerAttr(d["format"]).value}
    level["dense_size"] = ir.IntegerAttr(d["dense_size"]).value
    for key in ("segments", "indices"):
        level[key] = list(ir.DenseI32ArrayAttr(d[key])) if key in d else []
    return level


def densify(values, shape, order, block_map, levels) -> np.ndarray:
    """Scatters `values` (in traversal order) into a dense array of `shape`."""
    rank = len(shape)
    coords = np.zeros((1, 0), np.int64)  # one row per stored position, one column per level
    parent = np.zeros(1, np.int64)  # each row's position in the level above
    for level in levels:
        if level["format"] == DENSE:
            size = level["dense_size"]
            child = np.tile(np.arange(size, dtype=np.int64), len(parent))
            coords = np.concatenate([np.repeat(coords, size, axis=0), child[:, None]], axis=1)
            parent = np.repeat(parent, size) * size + child
        else:
            segments = np.asarray(level["segments"], np.int64)
            indices = np.asarray(level["indices"], np.int64)
            starts, ends = segments[parent], segments[parent + 1]
            counts = ends - starts
            position = np.concatenate(
                [np.arange(s, e, dtype=np.int64) for s, e in zip(starts, ends, strict=True)]
                or [np.zeros(0, np.int64)]
            )
            coords = np.concatenate(
                [np.repeat(coords, counts, axis=0), indices[position][:, None]], axis=1
            )
            parent = position
    if len(coords) != values.size:
        raise ValueError(f"sparse constant: {values.size} values, its metadata {len(coords)}")
    index = np.zeros((len(coords), rank), np.int64)
    for level in range(min(rank, len(levels))):
        index[:, order[level]] = coords[:, level]
    for level in range(rank, len(levels)):  # block levels refine the dim they split
        dim = block_map[order[level] - rank]
        index[:, dim] = index[:, dim] * levels[level]["dense_size"] + coords[:, level]
    dense = np.zeros(shape, values.dtype)
    dense[tuple(index.T)] = values
    return dense
