"""Lowerings of ops that move elements by run-time indices (kernels/indexing.c): ONE_HOT,
GATHER_ND, EMBEDDING_LOOKUP, SCATTER_ND, SPARSE_TO_DENSE, HASHTABLE_LOOKUP, LSH_PROJECTION
(kernels/lsh_projection.c: FarmHash's Fingerprint64 as runtime/kernels/farmhash.py), CUMSUM,
SEGMENT_SUM and the UNSORTED_SEGMENT_* reductions, BUCKETIZE, TOPK_V2, REVERSE_SEQUENCE,
DYNAMIC_UPDATE_SLICE.
Index operands, constant or computed, are read by the kernel; one out of range (which LiteRT
refuses at run time) is skipped or gives zeros, never a read or write out of bounds."""

from __future__ import annotations

import numpy as np
from tflc.backends.mcu.lowering import Lowering
from tflc.backends.mcu.ops_any_type import TYPE_CODES
from tflc.backends.mcu.ops_blocks import scratch_tensor
from tflc.backends.mcu.ops_common import struct
from tflc.backends.mcu.program import Tensor

INDEX_TYPES = ("int32", "int64")


def _prod(dims) -> int:
    return int(np.prod(dims, dtype=np.int64))


def _index_flag(lw: Lowering, t: Tensor) -> int:
    if t.dtype not in INDEX_TYPES:
        raise lw.fail(f"{lw.op.name} with {t.dtype} indices has no MCU kernel")
    return int(t.dtype == "int64")


def _typed(lw: Lowering, t: Tensor, dtypes: tuple[str, ...]) -> str:
    if t.dtype not in dtypes or t.scale is not None:
        kind = f"quantized {t.dtype}" if t.scale is not None else t.dtype
        raise lw.fail(f"{lw.op.name} of {kind} has no MCU kernel")
    return TYPE_CODES[t.dtype]


def _one_hot(lw: Lowering) -> None:
    idx, on, off, y = lw.operand(0), lw.operand(2), lw.operand(3), lw.result()
    axis = lw.attr("axis")
    axis = len(idx.shape) if axis == -1 else axis
    outer, inner = _prod(idx.shape[:axis]), _prod(idx.shape[axis:])
    depth = y.shape[axis]
    lw.emit(
        "indexing",
        f"tflc_one_hot({outer}, {depth}, {inner}, {np.dtype(y.dtype).itemsize}, "
        f"{_index_flag(lw, idx)}, {{t:{idx.id}}}, {{t:{on.id}}}, {{t:{off.id}}}, {{t:{y.id}}})",
        [idx, on, off],
        [y],
    )


def _index_tuples(lw: Lowering, idx: Tensor, depth: int, dims, slice_elems: int, elem_of: Tensor):
    if depth > 8 or depth > len(dims):
        raise lw.fail(f"index depth {depth} does not fit a rank-{len(dims)} tensor")
    count = idx.size // depth if depth else 0
    fields = [
        count,
        depth,
        _index_flag(lw, idx),
        struct(list(dims[:depth]) + [1] * (8 - depth)),
        slice_elems * np.dtype(elem_of.dtype).itemsize,
    ]
    return lw.param("tuples", "tflc_index_tuples", struct(fields))


def _gather_rows(lw: Lowering, x: Tensor, idx: Tensor, depth: int, y: Tensor) -> None:
    tuples = _index_tuples(lw, idx, depth, x.shape, _prod(x.shape[depth:]), x)
    lw.emit(
        "indexing",
        f"tflc_gather_nd(&{{p:{tuples.name}}}, {{t:{idx.id}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [idx, x],
        [y],
        [tuples],
    )


def _gather_nd(lw: Lowering) -> None:
    x, idx = lw.operand(0), lw.operand(1)
    _gather_rows(lw, x, idx, idx.shape[-1] if idx.shape else 1, lw.result())


def _embedding_lookup(lw: Lowering) -> None:
    ids, table, y = lw.operand(0), lw.operand(1), lw.result()
    if y.dtype != table.dtype:
        raise lw.fail(f"embedding_lookup of a {table.dtype} table into {y.dtype}")
    _gather_rows(lw, table, ids, 1, y)


def _scatter_nd(lw: Lowering) -> None:
    idx, updates, y = lw.operand(0), lw.operand(1), lw.result()
    type_code = _typed(lw, y, ("float32", "int32", "int64", "int8"))
    depth = idx.shape[-1]
    tuples = _index_tuples(lw, idx, depth, y.shape, _prod(y.shape[depth:]), y)
    lw.emit(
        "indexing",
        f"tflc_scatter_nd(&{{p:{tuples.name}}}, {type_code}, {y.size}, {{t:{idx.id}}}, "
        f"{{t:{updates.id}}}, {{t:{y.id}}})",
        [idx, updates],
        [y],
        [tuples],
    )


def _sparse_to_dense(lw: Lowering) -> None:
    idx, values, default, y = lw.operand(0), lw.operand(2), lw.operand(3), lw.result()
    depth = idx.shape[-1] if len(idx.shape) == 2 else 1
    if depth != len(y.shape):
        raise lw.fail(
            f"sparse_to_dense with {depth}-deep indices into a rank-{len(y.shape)} output"
        )
    tuples = _index_tuples(lw, idx, depth, y.shape, 1, y)
    lw.emit(
        "indexing",
        f"tflc_sparse_to_dense(&{{p:{tuples.name}}}, {y.size}, {int(values.size == 1)}, "
        f"{{t:{idx.id}}}, {{t:{values.id}}}, {{t:{default.id}}}, {{t:{y.id}}})",
        [idx, values, default],
        [y],
        [tuples],
    )


def _hashtable_lookup(lw: Lowering) -> None:
    lookups, keys, values = lw.operand(0), lw.operand(1), lw.operand(2)
    y, hits = lw.result(0), lw.result(1)
    if lookups.dtype != "int32" or keys.dtype != "int32":
        raise lw.fail(f"hashtable_lookup with {keys.dtype} keys has no MCU kernel")
    row_bytes = values.nbytes // max(values.shape[0], 1)
    lw.emit(
        "indexing",
        f"tflc_hashtable_lookup({lookups.size}, {keys.size}, {row_bytes}, {{t:{lookups.id}}}, "
        f"{{t:{keys.id}}}, {{t:{values.id}}}, {{t:{y.id}}}, {{t:{hits.id}}})",
        [lookups, keys, values],
        [y, hits],
    )


def _lsh_projection(lw: Lowering) -> None:
    seeds, x, weights, y = lw.operand(0), lw.operand(1), lw.operand(2), lw.result()
    kind = lw.attr("type")
    if kind not in ("SPARSE", "DENSE") or seeds.dtype != "float32":
        raise lw.fail(f"lsh_projection of type {kind} has no MCU kernel")
    num_hash, num_bits = seeds.shape
    rows = x.shape[0] if x.shape else 0
    row_bytes = x.nbytes // max(rows, 1)
    key = scratch_tensor(lw, (4 + row_bytes,), Tensor(-1, "", (), "uint8"))
    fields = [num_hash, num_bits, rows, row_bytes, int(kind == "SPARSE")]
    params = lw.param("params", "tflc_lsh_projection_params", struct(fields))
    inputs = [seeds, x] + ([weights] if weights is not None else [])
    weights_arg = f"{{t:{weights.id}}}" if weights is not None else "0"
    lw.emit(
        "lsh_projection",
        f"tflc_lsh_projection(&{{p:{params.name}}}, {{t:{seeds.id}}}, {{t:{x.id}}}, "
        f"{weights_arg}, {{t:{key.id}}}, {{t:{y.id}}})",
        inputs,
        [y, key],
        [params],
    )


def _cumsum(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    type_code = _typed(lw, x, ("float32", "int32", "int64"))
    axis = int(np.ravel(lw.const(lw.operand(1)))[0]) % max(len(x.shape), 1)
    fields = [
        _prod(x.shape[:axis]),
        x.shape[axis],
        _prod(x.shape[axis + 1 :]),
        type_code,
        int(bool(lw.attr("exclusive"))),
        int(bool(lw.attr("reverse"))),
    ]
    params = lw.param("params", "tflc_cumsum_params", struct(fields))
    lw.emit(
        "indexing",
        f"tflc_cumsum(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [params],
    )


def _segment(lw: Lowering, op: str) -> None:
    data, ids, y = lw.operand(0), lw.operand(1), lw.result()
    type_code = _typed(lw, data, ("float32", "int32"))
    if ids.dtype != "int32":
        raise lw.fail(f"{lw.op.name} with {ids.dtype} segment ids has no MCU kernel")
    rows = ids.size
    fields = [rows, data.size // max(rows, 1), y.shape[0], type_code, f"TFLC_SEGMENT_{op}"]
    params = lw.param("params", "tflc_segment_params", struct(fields))
    lw.emit(
        "indexing",
        f"tflc_segment_reduce(&{{p:{params.name}}}, {{t:{data.id}}}, {{t:{ids.id}}}, {{t:{y.id}}})",
        [data, ids],
        [y],
        [params],
    )


def _bucketize(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    type_code = _typed(lw, x, ("float32", "int32"))
    boundaries = [float(b) for b in lw.attr("boundaries")]
    table = lw.param("boundaries", "float", boundaries)
    lw.emit(
        "indexing",
        f"tflc_bucketize({x.size}, {type_code}, {len(boundaries)}, {{p:{table.name}}}, "
        f"{{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [table],
    )


def _topk(lw: Lowering) -> None:
    x, values, indices = lw.operand(0), lw.result(0), lw.result(1)
    type_code = TYPE_CODES[x.dtype]
    if x.dtype == "bool" or indices.dtype != "int32":
        raise lw.fail(f"topk_v2 of {x.dtype} to {indices.dtype} indices has no MCU kernel")
    row = x.shape[-1]
    k = values.shape[-1]
    lw.emit(
        "indexing",
        f"tflc_topk({x.size // max(row, 1)}, {row}, {k}, {type_code}, {{t:{x.id}}}, "
        f"{{t:{values.id}}}, {{t:{indices.id}}})",
        [x],
        [values, indices],
    )


def _reverse_sequence(lw: Lowering) -> None:
    x, lengths, y = lw.operand(0), lw.operand(1), lw.result()
    rank = len(x.shape)
    batch, seq = lw.attr("batch_dim") % rank, lw.attr("seq_dim") % rank
    if batch == seq:
        raise lw.fail("reverse_sequence with the same batch and sequence axis")
    a, b = min(batch, seq), max(batch, seq)
    s = x.shape
    dims = [_prod(s[:a]), s[a], _prod(s[a + 1 : b]), s[b], _prod(s[b + 1 :])]
    table = lw.param("dims", "int32_t", dims)
    lw.emit(
        "indexing",
        f"tflc_reverse_sequence({{p:{table.name}}}, {int(batch < seq)}, "
        f"{np.dtype(x.dtype).itemsize}, {_index_flag(lw, lengths)}, {{t:{lengths.id}}}, "
        f"{{t:{x.id}}}, {{t:{y.id}}})",
        [x, lengths],
        [y],
        [table],
    )


def _dynamic_update_slice(lw: Lowering) -> None:
    x, update, start, y = lw.operand(0), lw.operand(1), lw.operand(2), lw.result()
    rank = len(x.shape)
    if rank > 8:
        raise lw.fail("dynamic_update_slice over more than 8 dimensions is not supported")
    fields = [
        struct([1] * (8 - rank) + list(x.shape)),
        struct([1] * (8 - rank) + list(update.shape)),
        np.dtype(x.dtype).itemsize,
        _index_flag(lw, start),
        rank,
    ]
    params = lw.param("params", "tflc_update_slice_params", struct(fields))
    lw.emit(
        "indexing",
        f"tflc_dynamic_update_slice(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{update.id}}}, "
        f"{{t:{start.id}}}, {{t:{y.id}}})",
        [x, update, start],
        [y],
        [params],
        overlap=0,
    )


HANDLERS = {
    "tfl.one_hot": _one_hot,
    "tfl.gather_nd": _gather_nd,
    "tfl.embedding_lookup": _embedding_lookup,
    "tfl.scatter_nd": _scatter_nd,
    "tfl.sparse_to_dense": _sparse_to_dense,
    "tfl.hashtable_lookup": _hashtable_lookup,
    "tfl.lsh_projection": _lsh_projection,
    "tfl.cumsum": _cumsum,
    "tfl.segment_sum": lambda lw: _segment(lw, "SUM"),
    "tfl.unsorted_segment_sum": lambda lw: _segment(lw, "SUM"),
    "tfl.unsorted_segment_prod": lambda lw: _segment(lw, "PROD"),
    "tfl.unsorted_segment_max": lambda lw: _segment(lw, "MAX"),
    "tfl.unsorted_segment_min": lambda lw: _segment(lw, "MIN"),
    "tfl.bucketize": _bucketize,
    "tfl.topk_v2": _topk,
    "tfl.reverse_sequence": _reverse_sequence,
    "tfl.dynamic_update_slice": _dynamic_update_slice,
}
