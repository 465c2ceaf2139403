"""tfl-fuse-prelu: `relu(x) + c * relu(-x)` with a constant `c` becomes `tfl.prelu(x, -c)`.

This is how Keras' PReLU layer reaches TensorFlow graphs (`relu(x) - alpha * relu(-x)`, with
`-alpha` folded to a constant). `c` must broadcast to x's trailing dimensions without growing
the result; the intermediate values must have no other users.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.passes.rewrite.tfl import (
    activation,
    create_before,
    float_const,
    has_one_use,
    is_float,
    make_const,
    producer_named,
    replace_op,
    rewrite_pass,
)


def _negative_part(value: ir.Value) -> tuple[ir.Value, np.ndarray] | None:
    """(x, c) when `value` is mul(c, relu(neg(x))) with a float constant c."""
    m = producer_named(value, "tfl.mul")
    if m is None or activation(m) != "NONE" or not has_one_use(value):
        return None
    for ci, ri in ((0, 1), (1, 0)):
        c = float_const(m.operands[ci])
        r = producer_named(m.operands[ri], "tfl.relu")
        if c is None or r is None or not has_one_use(m.operands[ri]):
            continue
        n = producer_named(r.operands[0], "tfl.neg")
        if n is not None and has_one_use(r.operands[0]):
            return n.operands[0], c
    return None


def fuse_prelu(op: ir.Operation) -> bool:
    if op.name != "tfl.add" or activation(op) != "NONE" or not is_float(op.result):
        return False
    for pi, ni in ((0, 1), (1, 0)):
        pos = producer_named(op.operands[pi], "tfl.relu")
        neg = _negative_part(op.operands[ni])
        if pos is None or neg is None or not has_one_use(op.operands[pi]):
            continue
        x, c = neg
        if pos.operands[0] != x or x.type != op.result.type:
            continue
        alpha = make_const((-c).astype(np.float32), op)
        new = create_before(op, "prelu", [x, alpha], [op.result.type])
        replace_op(op, new.result)
        return True
    return False


PASS = rewrite_pass(
    "tfl-fuse-prelu", "Replace relu(x) + c * relu(-x) by tfl.prelu(x, -c)", fuse_prelu
)
