"""tfl-fuse-activation: folds relu, relu6 and relu_n1_to_1 into the op producing their input.

`relu(conv_2d(x, w, b))` becomes `conv_2d(x, w, b) {fused_activation_function = "RELU"}` for
every op with a `fused_activation_function` option (conv, depthwise conv, fully connected, add,
sub, mul, div, pooling, concatenation), when the producer has no activation yet, the activation
is its only user and the tensors are float. TANH is not fused: LiteRT's float kernels ignore a
fused TANH (add, mul) or reject it (fully connected), so fusing it would change results.
"""

from __future__ import annotations

from mlir import ir
from tflc.passes.rewrite.tfl import (
    FUSED_ACTIVATION_OPS,
    activation,
    defining_op,
    has_one_use,
    is_float,
    replace_op,
    rewrite_pass,
    set_activation,
)

ACTIVATIONS = {"tfl.relu": "RELU", "tfl.relu6": "RELU6", "tfl.relu_n1_to_1": "RELU_N1_TO_1"}


def fuse_activation(op: ir.Operation) -> bool:
    fused = ACTIVATIONS.get(op.name)
    if fused is None:
        return False
    x = op.operands[0]
    producer = defining_op(x)
    if (
        producer is None
        or producer.name not in FUSED_ACTIVATION_OPS
        or len(producer.results) != 1
        or activation(producer) != "NONE"
        or not has_one_use(x)
        or not (is_float(x) and is_float(op.result))
        or x.type != op.result.type
    ):
        return False
    set_activation(producer, fused)
    replace_op(op, x)
    return True


PASS = rewrite_pass(
    "tfl-fuse-activation",
    "Fuse relu, relu6 and relu_n1_to_1 into the producing op's fused_activation_function",
    fuse_activation,
)
