"""tfl-fuse-softmax: `exp(x - max(x)) / sum(exp(x - max(x)))` over the last axis becomes
`tfl.softmax(x) {beta = 1.0}`.

The max subtraction may be absent (`exp(x) / sum(exp(x))`); the reductions must run over the
last axis only, with keep_dims. The exp result may feed only the sum and the division.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.passes.rewrite.tfl import (
    activation,
    attr_str,
    const_value,
    create_before,
    has_one_use,
    is_float,
    producer_named,
    replace_op,
    rewrite_pass,
    static_shape,
    use_count,
)


def _reduces_last_axis(op: ir.Operation) -> bool:
    axes = const_value(op.operands[1])
    shape = static_shape(op.operands[0])
    if axes is None or shape is None or axes.size != 1 or attr_str(op, "keep_dims") is not True:
        return False
    return int(axes.reshape(-1)[0]) % len(shape) == len(shape) - 1


def _softmax_input(e: ir.Value) -> ir.Value | None:
    """x when `e` is exp(x) or exp(x - reduce_max(x, -1))."""
    exp = producer_named(e, "tfl.exp")
    if exp is None:
        return None
    s = exp.operands[0]
    sub = producer_named(s, "tfl.sub")
    if sub is None or activation(sub) != "NONE" or not has_one_use(s):
        return s
    m = producer_named(sub.operands[1], "tfl.reduce_max")
    if m is not None and m.operands[0] == sub.operands[0] and _reduces_last_axis(m):
        return sub.operands[0]
    return s


def fuse_softmax(op: ir.Operation) -> bool:
    if op.name != "tfl.div" or activation(op) != "NONE" or not is_float(op.result):
        return False
    e, d = op.operands[0], op.operands[1]
    total = producer_named(d, "tfl.sum")
    if total is None or total.operands[0] != e or not _reduces_last_axis(total):
        return False
    if use_count(e) != 2 or not has_one_use(d):
        return False
    x = _softmax_input(e)
    if x is None or x.type != op.result.type:
        return False
    new = create_before(op, "softmax", [x], [op.result.type], beta=np.float32(1.0))
    replace_op(op, new.result)
    return True


PASS = rewrite_pass(
    "tfl-fuse-softmax", "Replace exp(x - max x) / sum(exp(x - max x)) by tfl.softmax", fuse_softmax
)
