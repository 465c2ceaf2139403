"""tfl-fuse-l2-normalization: `x * rsqrt(max(sum(x * x, -1), eps))` becomes
`tfl.l2_normalization(x)`.

The form `tf.math.l2_normalize(x, axis=-1)` takes (`square(x)` or `x * x`, a keep_dims sum
over the last axis, an optional `maximum` with a small epsilon <= 1e-6, `rsqrt`, `mul`); also
`x / sqrt(...)`. TFLite clamps the norm at 1e-6, so results differ only for norms below it.
"""

from __future__ import annotations

from mlir import ir
from tflc.passes.fuse_softmax import _reduces_last_axis
from tflc.passes.rewrite.tfl import (
    activation,
    create_before,
    has_one_use,
    is_float,
    producer_named,
    replace_op,
    rewrite_pass,
    split_const_operand,
)


def _squared_norm_of(value: ir.Value) -> ir.Value | None:
    """x when `value` is [max(] sum(square(x), -1, keep) [, eps)]."""
    if not has_one_use(value):
        return None
    m = producer_named(value, "tfl.maximum")
    if m is not None:
        split = split_const_operand(m)
        if split is None or not 0.0 <= split[1] <= 1e-6 or not has_one_use(split[0]):
            return None
        value = split[0]
    total = producer_named(value, "tfl.sum")
    if total is None or not _reduces_last_axis(total) or not has_one_use(total.operands[0]):
        return None
    sq = producer_named(total.operands[0], "tfl.square", "tfl.mul")
    if sq is None:
        return None
    if sq.name == "tfl.square":
        return sq.operands[0]
    a, b = sq.operands
    return a if a == b and activation(sq) == "NONE" else None


def fuse_l2_normalization(op: ir.Operation) -> bool:
    if op.name not in ("tfl.mul", "tfl.div") or activation(op) != "NONE":
        return False
    if not is_float(op.result):
        return False
    pairs = ((0, 1), (1, 0)) if op.name == "tfl.mul" else ((0, 1),)
    for xi, ni in pairs:
        x = op.operands[xi]
        scale = producer_named(op.operands[ni], "tfl.rsqrt" if op.name == "tfl.mul" else "tfl.sqrt")
        if scale is None or not has_one_use(op.operands[ni]):
            continue
        source = _squared_norm_of(scale.operands[0])
        if source is not None and source == x and x.type == op.result.type:
            new = create_before(op, "l2_normalization", [x], [op.result.type])
            replace_op(op, new.result)
            return True
    return False


PASS = rewrite_pass(
    "tfl-fuse-l2-normalization",
    "Replace x * rsqrt(max(sum(x^2, -1), eps)) by tfl.l2_normalization",
    fuse_l2_normalization,
)
