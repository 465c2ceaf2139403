"""tfl-canonicalize: removes ops that do nothing.

Identity reshape / squeeze / expand_dims / cast / transpose (same type in and out, identity
permutation), zero pads, single-input concatenations, `quantize(dequantize(x))` back to x's
type, and float `x + 0`, `x - 0`, `x * 1`, `x / 1` without a fused activation, where the
constant does not broadcast `x` to a larger shape; a binary op reading a reshape that only
prepends 1-dims reads the reshape's input (broadcasting gives the same result). Upstream `canonicalize` knows no tfl op
(they are unregistered), hence this pass.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.passes.rewrite.tfl import (
    activation,
    const_value,
    defining_op,
    float_const,
    replace_op,
    rewrite_pass,
    static_shape,
)

_SAME_TYPE_IDENTITIES = ("tfl.reshape", "tfl.squeeze", "tfl.expand_dims", "tfl.cast")
# op -> (constant that makes it the identity, whether the constant may be the lhs)
_NEUTRAL = {
    "tfl.add": (0.0, True),
    "tfl.sub": (0.0, False),
    "tfl.mul": (1.0, True),
    "tfl.div": (1.0, False),
}


def _identity_operand(op: ir.Operation) -> ir.Value | None:
    """The operand `op` returns unchanged, if any."""
    name = op.name
    if name in _SAME_TYPE_IDENTITIES:
        x = op.operands[0]
        return x if x.type == op.result.type and static_shape(x) is not None else None
    if name == "tfl.transpose":
        perm = const_value(op.operands[1])
        x = op.operands[0]
        if perm is not None and np.array_equal(perm.reshape(-1), np.arange(perm.size)):
            return x if x.type == op.result.type else None
        return None
    if name in ("tfl.pad", "tfl.padv2", "tfl.mirror_pad"):
        paddings = const_value(op.operands[1])
        x = op.operands[0]
        if paddings is not None and not np.any(paddings) and x.type == op.result.type:
            return x
        return None
    if name == "tfl.concatenation":
        if len(op.operands) == 1 and activation(op) == "NONE":
            x = op.operands[0]
            return x if x.type == op.result.type else None
        return None
    if name == "tfl.quantize":
        producer = defining_op(op.operands[0])
        if producer is not None and producer.name == "tfl.dequantize":
            x = producer.operands[0]
            return x if x.type == op.result.type else None
        return None
    if name in _NEUTRAL and activation(op) == "NONE":
        neutral, lhs_ok = _NEUTRAL[name]
        for xi, ci in ((0, 1), (1, 0)) if lhs_ok else ((0, 1),):
            x, c = op.operands[xi], float_const(op.operands[ci])
            if c is not None and x.type == op.result.type and np.all(c == neutral):
                return x
    return None


_BROADCASTING = {
    "tfl.add",
    "tfl.sub",
    "tfl.mul",
    "tfl.div",
    "tfl.maximum",
    "tfl.minimum",
    "tfl.squared_difference",
}


def drop_rank_padding_reshape(op: ir.Operation) -> bool:
    """A broadcasting binary op reading `reshape(y)` that only prepends 1-dims reads y: the
    broadcast gives the same result (as TensorFlow leaves a [16, 32] + [1, 16, 32] add)."""
    if op.name not in _BROADCASTING:
        return False
    for i, v in enumerate(op.operands):
        r = defining_op(v)
        other = op.operands[1 - i]
        # Only where the other operand is a full-rank tensor: a constant there would rather be
        # folded into a bias through the reshape (tfl-fuse-bias-add).
        if r is None or r.name != "tfl.reshape" or other.type != op.result.type:
            continue
        if const_value(other) is not None:
            continue
        y = r.operands[0]
        outer, inner = static_shape(v), static_shape(y)
        k = len(outer or []) - len(inner or [])
        if outer is None or inner is None or k < 1 or outer != [1] * k + inner:
            continue
        op.operands[i] = y
        if not any(True for _ in r.result.uses):
            r.erase()
        return True
    return False


def canonicalize(op: ir.Operation) -> bool:
    if drop_rank_padding_reshape(op):
        return True
    if len(op.results) != 1:
        return False
    x = _identity_operand(op)
    if x is None:
        return False
    replace_op(op, x)
    return True


PASS = rewrite_pass(
    "tfl-canonicalize",
    "Remove identity reshapes, transposes, casts, pads and x+0, x*1",
    canonicalize,
)
