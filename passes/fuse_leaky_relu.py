"""tfl-fuse-leaky-relu: max/min chains that are activations become activation ops.

* `maximum(x, mul(x, a))` with 0 <= a < 1 becomes `tfl.leaky_relu(x) {alpha = a}`;
* `maximum(x, 0)` becomes `tfl.relu(x)`;
* `minimum(relu(x), 6)` (or `minimum(maximum(x, 0), 6)`, folded first) becomes `tfl.relu6(x)`,
  and `minimum(maximum(x, -1), 1)` becomes `tfl.relu_n1_to_1(x)`.
The inner values must have no other users.
"""

from __future__ import annotations

from mlir import ir
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


def _leaky(op: ir.Operation) -> ir.Operation | None:
    for xi, mi in ((0, 1), (1, 0)):
        x = op.operands[xi]
        m = producer_named(op.operands[mi], "tfl.mul")
        if m is None or activation(m) != "NONE" or not has_one_use(m.result):
            continue
        split = split_const_operand(m)
        if split is not None and split[0] == x and 0.0 <= split[1] < 1.0:
            return create_before(op, "leaky_relu", [x], [op.result.type], alpha=split[1])
    return None


def fuse_leaky_relu(op: ir.Operation) -> bool:
    if op.name not in ("tfl.maximum", "tfl.minimum") or not is_float(op.result):
        return False
    new = None
    split = split_const_operand(op)
    if op.name == "tfl.maximum":
        if split is not None and split[1] == 0.0:
            new = create_before(op, "relu", [split[0]], [op.result.type])
        else:
            new = _leaky(op)
    elif split is not None and split[1] in (6.0, 1.0) and has_one_use(split[0]):
        x, bound = split
        inner = producer_named(x, "tfl.relu", "tfl.maximum")
        if inner is not None and inner.name == "tfl.relu" and bound == 6.0:
            new = create_before(op, "relu6", [inner.operands[0]], [op.result.type])
        elif inner is not None and inner.name == "tfl.maximum":
            lower = split_const_operand(inner)
            if lower is not None and (lower[1], bound) == (-1.0, 1.0):
                new = create_before(op, "relu_n1_to_1", [lower[0]], [op.result.type])
    if new is None:
        return False
    replace_op(op, new.result)
    return True


PASS = rewrite_pass(
    "tfl-fuse-leaky-relu",
    "Replace max(x, a*x), max(x, 0), min(relu(x), 6), min(max(x, -1), 1) by activation ops",
    fuse_leaky_relu,
)
