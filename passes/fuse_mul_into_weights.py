"""tfl-fuse-mul-into-weights: folds a mul or div by a per-channel constant into the weights.

`mul(conv_2d(x, w, b), c)` becomes `conv_2d(x, w * c, b * c)`, scaling the filter along its
output-channel axis (OHWI conv, 1HWO depthwise, OI fully connected); `div(conv, c)` uses `1 / c`.
Together with tfl-fuse-bias-add this folds batch normalization (mul + add) into convolutions.
The constant must be float and vary at most along the output channels, the filter a float
constant, the producer without fused activation and without another user.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.passes.rewrite.tfl import (
    bias_value,
    float_const,
    make_const,
    output_channel_axis,
    rewrite_pass,
    set_bias,
    take_activation,
    weighted_producer_and_channel_const,
)


def fuse_mul_into_weights(op: ir.Operation) -> bool:
    if op.name not in ("tfl.mul", "tfl.div"):
        return False
    found = weighted_producer_and_channel_const(op, commutative=op.name == "tfl.mul")
    if found is None:
        return False
    producer, c, via = found
    weights = float_const(producer.operands[1])
    bias = bias_value(producer)
    if weights is None or bias is None:
        return False
    if op.name == "tfl.div":
        if np.any(c == 0):
            return False
        c = (1.0 / c).astype(np.float32)
    axis = output_channel_axis(producer.name)
    if weights.shape[axis] != c.shape[0]:
        return False
    shape = [1] * weights.ndim
    shape[axis] = c.shape[0]
    new_weights = (weights * c.reshape(shape)).astype(np.float32)
    producer.operands[1] = make_const(new_weights, producer, producer.operands[1].owner.location)
    producer = set_bias(producer, bias * c)
    take_activation(producer, op, via)
    return True


PASS = rewrite_pass(
    "tfl-fuse-mul-into-weights",
    "Fold mul/div by a per-channel constant into conv, depthwise conv and fc weights and bias",
    fuse_mul_into_weights,
)
