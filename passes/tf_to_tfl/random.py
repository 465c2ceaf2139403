"""Legalizers for the seeded random ops RandomUniform, RandomStandardNormal and Multinomial. The
seeds go to the op's options; LiteRT draws the same Philox stream as TensorFlow's kernels for
the first two (its Multinomial draws from another generator)."""

from __future__ import annotations

import numpy as np
from tflc.passes.tf_to_tfl.common import TfOp, Unsupported, element_of, emit, i32, legalizes

_RANDOM_OPS = {"RandomUniform": "random_uniform", "RandomStandardNormal": "random_standard_normal"}


@legalizes(*_RANDOM_OPS)
def _random(op: TfOp):
    if str(element_of(op.result_type)) != "f32":
        raise Unsupported("a dtype other than float32")
    shape = op.const(0)
    shape_value = i32(shape) if shape is not None else op.operands[0]
    return [emit(_RANDOM_OPS[op.type], [shape_value], op.result_type, **_seeds(op))]


def _seeds(op: TfOp) -> dict:
    return {"seed": op.attr("seed", 0), "seed2": op.attr("seed2", 0)}


@legalizes("Multinomial")
def _multinomial(op: TfOp):
    if str(element_of(op.operands[0].type)) != "f32":
        raise Unsupported("logits other than float32")
    count = op.const(1)
    count_value = i32(np.asarray(count).reshape(())) if count is not None else op.operands[1]
    return [emit("multinomial", [op.operands[0], count_value], op.result_type, **_seeds(op))]
