"""Legalizers for ops that move data by index tensors: ScatterNd, TensorScatterAdd and Update,
SparseToDense, GatherNd, SegmentSum, the UnsortedSegment reductions, ReverseSequence, Bucketize,
and the ops whose output size depends on the data, Where and Unique."""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.passes.tf_to_tfl.common import (
    TfOp,
    Unsupported,
    const,
    element_of,
    emit,
    emit_multi,
    i32,
    legalizes,
    numpy_dtype,
    static_shape,
    with_shape,
)


def _int32(op: TfOp, i: int) -> ir.Value:
    """Operand `i` as int32, which TFLite's kernels take for indices, ids and shapes (TensorFlow
    allows int64 too)."""
    value = op.operands[i]
    known = op.const(i)
    if known is not None:
        return i32(known)
    if str(element_of(value.type)) == "i32":
        return value
    shape = static_shape(value.type)
    cast_type = (
        with_shape(shape, ir.IntegerType.get_signless(32))
        if shape is not None
        else ir.UnrankedTensorType.get(ir.IntegerType.get_signless(32))
    )
    return emit("cast", [value], cast_type)


@legalizes("ScatterNd")
def _scatter_nd(op: TfOp):
    return [emit("scatter_nd", [_int32(op, 0), op.operands[1], _int32(op, 2)], op.result_type)]


@legalizes("SegmentSum")
def _segment_sum(op: TfOp):
    return [emit("segment_sum", [op.operands[0], _int32(op, 1)], op.result_type)]


_UNSORTED_SEGMENT_OPS = {
    "UnsortedSegmentSum": "unsorted_segment_sum",
    "UnsortedSegmentMax": "unsorted_segment_max",
    "UnsortedSegmentMin": "unsorted_segment_min",
    "UnsortedSegmentProd": "unsorted_segment_prod",
}


@legalizes(*_UNSORTED_SEGMENT_OPS)
def _unsorted_segment(op: TfOp):
    operands = [op.operands[0], _int32(op, 1), _int32(op, 2)]
    if op.const(2) is not None:  # a scalar count, as TFLite's kernel reads it
        operands[2] = i32(np.asarray(op.const(2)).reshape(()))
    return [emit(_UNSORTED_SEGMENT_OPS[op.type], operands, op.result_type)]


@legalizes("GatherNd")
def _gather_nd(op: TfOp):
    return [emit("gather_nd", op.operands, op.result_type)]


@legalizes("ReverseSequence")
def _reverse_sequence(op: TfOp):
    rank = len(op.shape(op.operands[0]) or [])
    seq_dim, batch_dim = op.attr("seq_dim"), op.attr("batch_dim", 0)
    return [
        emit(
            "reverse_sequence",
            op.operands,
            op.result_type,
            seq_dim=seq_dim + rank if seq_dim < 0 else seq_dim,
            batch_dim=batch_dim + rank if batch_dim < 0 else batch_dim,
        )
    ]


@legalizes("Bucketize")
def _bucketize(op: TfOp):
    boundaries = [float(b) for b in op.attr("boundaries", [])]
    return [emit("bucketize", op.operands, op.result_type, boundaries=boundaries)]


@legalizes("Where")
def _where(op: TfOp):
    # One operand: the coordinates of the true (non-zero) elements, int64 [count, rank].
    return [emit("where", [op.operands[0]], op.result_type)]


@legalizes("Unique")
def _unique(op: TfOp):
    idx = str(element_of(op.results[1].type))
    return emit_multi(
        "unique",
        [op.operands[0]],
        [r.type for r in op.results],
        idx_out_type="INT64" if idx == "i64" else "INT32",
    )


def _shape_of(x: ir.Value) -> ir.Value:
    shape = static_shape(x.type)
    if shape is not None and all(d >= 0 for d in shape):
        return i32(shape)
    rank = [len(shape)] if shape is not None else [-1]
    return emit("shape", [x], with_shape(rank, ir.IntegerType.get_signless(32)), out_type="INT32")


@legalizes("TensorScatterAdd")
def _tensor_scatter_add(op: TfOp):
    x, _, updates = op.operands
    scattered = emit("scatter_nd", [_int32(op, 1), updates, _shape_of(x)], x.type)
    return [emit("add", [x, scattered], op.result_type, fused_activation_function="NONE")]


@legalizes("TensorScatterUpdate")
def _tensor_scatter_update(op: TfOp):
    """x * (1 - mask) + scatter(updates), the mask a scatter of ones, as TensorFlow's converter
    writes it (exact: the mask is 0 or 1 where indices do not repeat)."""
    x, _, updates = op.operands
    update_shape = static_shape(updates.type)
    if update_shape is None or any(d < 0 for d in update_shape):
        raise Unsupported("the updates' shape must be static")
    indices, shape = _int32(op, 1), _shape_of(x)
    elem = numpy_dtype(element_of(x.type))
    ones = const(np.ones(update_shape, elem))
    mask = emit("scatter_nd", [indices, ones, shape], x.type)
    keep = emit("sub", [const(np.ones([], elem)), mask], x.type, fused_activation_function="NONE")
    kept = emit("mul", [x, keep], x.type, fused_activation_function="NONE")
    scattered = emit("scatter_nd", [indices, updates, shape], x.type)
    return [emit("add", [kept, scattered], op.result_type, fused_activation_function="NONE")]


@legalizes("SparseToDense")
def _sparse_to_dense(op: TfOp):
    indices, output_shape, values, default = op.operands
    operands = [indices, output_shape, values, default]
    validate = op.attr("validate_indices", True)
    return [emit("sparse_to_dense", operands, op.result_type, validate_indices=validate)]
