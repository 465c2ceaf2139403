"""Legalizers for ops that move data by index tensors: ScatterNd, SegmentSum,
UnsortedSegmentSum, and the ops whose output size depends on the data, Where and Unique."""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.passes.tf_to_tfl.common import (
    TfOp,
    element_of,
    emit,
    emit_multi,
    i32,
    legalizes,
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


@legalizes("UnsortedSegmentSum")
def _unsorted_segment_sum(op: TfOp):
    operands = [op.operands[0], _int32(op, 1), _int32(op, 2)]
    if op.const(2) is not None:  # a scalar count, as TFLite's kernel reads it
        operands[2] = i32(np.asarray(op.const(2)).reshape(()))
    return [emit("unsorted_segment_sum", operands, op.result_type)]


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
