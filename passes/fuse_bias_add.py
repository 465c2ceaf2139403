"""tfl-fuse-bias-add: folds an add or sub of a per-channel constant into a conv / fc bias.

`add(conv_2d(x, w, b), c)` becomes `conv_2d(x, w, b + c)` (and `sub(conv, c)` uses `b - c`) for
conv_2d, depthwise_conv_2d and fully_connected, when `c` is float and varies at most along the
output channels, the producer has no fused activation and no other user. The add's own fused
activation moves onto the producer. A fully connected layer without a bias gets one.
"""

from __future__ import annotations

from mlir import ir
from tflc.passes.rewrite.tfl import (
    bias_value,
    rewrite_pass,
    set_bias,
    take_activation,
    weighted_producer_and_channel_const,
)


def fuse_bias_add(op: ir.Operation) -> bool:
    if op.name not in ("tfl.add", "tfl.sub"):
        return False
    found = weighted_producer_and_channel_const(op, commutative=op.name == "tfl.add")
    if found is None:
        return False
    producer, c, via = found
    bias = bias_value(producer)
    if bias is None:
        return False
    producer = set_bias(producer, bias + c if op.name == "tfl.add" else bias - c)
    take_activation(producer, op, via)
    return True


PASS = rewrite_pass(
    "tfl-fuse-bias-add",
    "Fold add/sub of a per-channel constant into the bias of conv, depthwise conv, fc",
    fuse_bias_add,
)
