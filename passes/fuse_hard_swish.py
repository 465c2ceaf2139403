"""tfl-fuse-hard-swish: `x * relu6(x + 3) / 6` becomes `tfl.hard_swish(x)`.

Matches the forms Keras and TensorFlow graphs take once activations are fused:
`mul(mul(x, h), 1/6)`, `mul(x, mul(h, 1/6))`, `div(mul(x, h), 6)` and `mul(x, div(h, 6))`,
where `h` is `add(x, 3) {RELU6}` or `relu6(add(x, 3))`, in either operand order. Intermediate
values must have no other users, and `1/6` must be within float rounding of the exact value.
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


def _is_sixth(op: ir.Operation, c: float) -> bool:
    if op.name == "tfl.mul":
        return abs(c - 1 / 6) <= 1e-6
    return op.name == "tfl.div" and c == 6.0


def _relu6_of_x_plus_3(h: ir.Value, x: ir.Value) -> bool:
    """Whether `h` is relu6(x + 3) (as a fused add or a separate relu6), used only once."""
    if not has_one_use(h):
        return False
    op = producer_named(h, "tfl.add", "tfl.relu6")
    if op is None:
        return False
    if op.name == "tfl.relu6":
        inner = producer_named(op.operands[0], "tfl.add")
        if inner is None or activation(inner) != "NONE" or not has_one_use(op.operands[0]):
            return False
        op = inner
    elif activation(op) != "RELU6":
        return False
    split = split_const_operand(op)
    return split is not None and split[0] == x and split[1] == 3.0


def _x_times_h(value: ir.Value) -> ir.Value | None:
    """x when `value` is mul(x, relu6(x + 3)) with no activation, else None."""
    m = producer_named(value, "tfl.mul")
    if m is None or activation(m) != "NONE" or not has_one_use(value):
        return None
    for xi, hi in ((0, 1), (1, 0)):
        x, h = m.operands[xi], m.operands[hi]
        if _relu6_of_x_plus_3(h, x):
            return x
    return None


def fuse_hard_swish(op: ir.Operation) -> bool:
    if op.name not in ("tfl.mul", "tfl.div") or activation(op) != "NONE":
        return False
    if not is_float(op.result):
        return False
    x = None
    split = split_const_operand(op)
    if split is not None and _is_sixth(op, split[1]):
        x = _x_times_h(split[0])  # (x * h) * 1/6, (x * h) / 6
    elif op.name == "tfl.mul":
        for xi, si in ((0, 1), (1, 0)):  # x * (h * 1/6), x * (h / 6)
            scaled = producer_named(op.operands[si], "tfl.mul", "tfl.div")
            if scaled is None or activation(scaled) != "NONE" or not has_one_use(scaled.result):
                continue
            inner = split_const_operand(scaled)
            if (
                inner
                and _is_sixth(scaled, inner[1])
                and _relu6_of_x_plus_3(inner[0], op.operands[xi])
            ):
                x = op.operands[xi]
                break
    if x is None or x.type != op.result.type:
        return False
    new = create_before(op, "hard_swish", [x], [op.result.type])
    replace_op(op, new.result)
    return True


PASS = rewrite_pass(
    "tfl-fuse-hard-swish", "Replace x * relu6(x + 3) / 6 by tfl.hard_swish", fuse_hard_swish
)
