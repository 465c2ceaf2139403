"""tfl-fold-reshapes: collapses chains of shape-only ops.

A reshape, squeeze or expand_dims of the result of another reshape, squeeze or expand_dims
becomes one reshape of the first input to the final static shape; a transpose of a transpose
becomes one transpose with the composed permutation, or nothing when that is the identity.
The inner ops are left to tfl-dce when they have other users.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.passes.registry import Pass
from tflc.passes.rewrite.tfl import (
    const_value,
    create_before,
    defining_op,
    make_const,
    replace_op,
    shape_const,
    static_shape,
)
from tflc.passes.rewrite.tfl import rewrite_to_fixpoint as _sweep

SHAPE_OPS = ("tfl.reshape", "tfl.squeeze", "tfl.expand_dims")


def fold_reshape_chain(op: ir.Operation) -> bool:
    if op.name not in SHAPE_OPS:
        return False
    inner = defining_op(op.operands[0])
    if inner is None or inner.name not in SHAPE_OPS:
        return False
    shape = static_shape(op.result)
    if shape is None:
        return False
    source = inner.operands[0]
    if source.type == op.result.type:
        replace_op(op, source)
    else:
        new = create_before(op, "reshape", [source, shape_const(shape, op)], [op.result.type])
        replace_op(op, new.result)
    _erase_if_dead(inner)
    return True


def fold_transpose_chain(op: ir.Operation) -> bool:
    if op.name != "tfl.transpose":
        return False
    inner = defining_op(op.operands[0])
    if inner is None or inner.name != "tfl.transpose":
        return False
    outer_perm, inner_perm = const_value(op.operands[1]), const_value(inner.operands[1])
    if outer_perm is None or inner_perm is None:
        return False
    perm = inner_perm.reshape(-1)[outer_perm.reshape(-1)]
    source = inner.operands[0]
    if np.array_equal(perm, np.arange(perm.size)):
        replace_op(op, source)
    else:
        perm_value = make_const(perm.astype(outer_perm.dtype), op)
        new = create_before(op, "transpose", [source, perm_value], [op.result.type])
        replace_op(op, new.result)
    _erase_if_dead(inner)
    return True


def _erase_if_dead(op: ir.Operation) -> None:
    if all(not any(True for _ in r.uses) for r in op.results):
        op.erase()


def _run(module: ir.Operation) -> None:
    _sweep(module, lambda op: fold_reshape_chain(op) or fold_transpose_chain(op))


PASS = Pass(
    "tfl-fold-reshapes",
    "Collapse reshape/squeeze/expand_dims chains into one reshape and transpose pairs into one",
    _run,
)
