"""Legalizers for the detection ops: NonMaxSuppressionV3, V4 and V5."""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.passes.tf_to_tfl.common import (
    TfOp,
    const,
    element_of,
    emit,
    emit_multi,
    i32,
    legalizes,
    with_shape,
)


def _scalar(op: TfOp, i: int, dtype) -> ir.Value:
    value = op.const(i)
    return const(np.asarray(value, dtype).reshape(())) if value is not None else op.operands[i]


def _first(values: ir.Value, count: ir.Value, result_type: ir.Type) -> ir.Value:
    """values[:count], for a count known when the model runs."""
    size = emit("reshape", [count, i32([1])], with_shape([1], element_of(count.type)))
    return emit("slice", [values, i32([0]), size], result_type)


@legalizes("NonMaxSuppressionV3", "NonMaxSuppressionV4", "NonMaxSuppressionV5")
def _non_max_suppression(op: TfOp):
    operands = [op.operands[0], op.operands[1], _scalar(op, 2, np.int32)]
    operands += [_scalar(op, i, np.float32) for i in range(3, len(op.operands))]
    max_out = op.const(2)
    padded_shape = [int(max_out)] if max_out is not None else [-1]
    if op.type == "NonMaxSuppressionV5":
        name = "non_max_suppression_v5"
        kinds = [element_of(op.results[0].type), element_of(op.results[1].type)]
    else:
        name = "non_max_suppression_v4"
        kinds = [element_of(op.results[0].type)]
    count_type = with_shape([], ir.IntegerType.get_signless(32))
    results = emit_multi(
        name, operands, [with_shape(padded_shape, k) for k in kinds] + [count_type]
    )
    *selected, count = results
    if op.type == "NonMaxSuppressionV3" or not op.attr("pad_to_max_output_size", False):
        # TFLite's kernels pad the selection to max_output_size; TensorFlow's does not here.
        selected = [_first(v, count, r.type) for v, r in zip(selected, op.results, strict=False)]
    if op.type == "NonMaxSuppressionV3":
        return selected
    return [*selected, count]
