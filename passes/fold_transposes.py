"""tfl-fold-transposes: pushes transposes down through elementwise ops so that pairs cancel.

`op(transpose(x, p))` becomes `transpose(op(x), p)` for unary elementwise ops, for binary ones
whose other operand is a constant (transposed by the inverse permutation, after broadcasting
it to the full rank) or a transpose by the same permutation. Transposes then meet, and
`transpose(transpose(x, p), q)` folds to one transpose or to nothing (as in
tfl-fold-reshapes): `transpose -> relu -> add c -> inverse transpose` leaves `relu -> add`.
Only a transpose with no other user moves, so the op count never grows.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.dialects.tfl_ops import op_table
from tflc.passes.fold_reshapes import fold_transpose_chain
from tflc.passes.rewrite.tfl import (
    const_value,
    create_before,
    has_one_use,
    make_const,
    producer_named,
    replace_op,
    rewrite_pass,
    static_shape,
)

# Elementwise ops commute with a transpose of all their operands (the op table's traits).
UNARY = {d.mlir_name for d in op_table().values() if d.elementwise == "unary"}
BINARY = {d.mlir_name for d in op_table().values() if d.elementwise == "binary"}


def _transpose_perm(value: ir.Value) -> tuple[ir.Operation, np.ndarray] | None:
    t = producer_named(value, "tfl.transpose")
    if t is None or not has_one_use(value):
        return None
    perm = const_value(t.operands[1])
    return (t, perm.reshape(-1)) if perm is not None else None


def push_transpose(op: ir.Operation) -> bool:
    if op.name not in UNARY | BINARY or len(op.results) != 1:
        return False
    out_shape = static_shape(op.result)
    if out_shape is None:
        return False
    if op.name in UNARY:
        found = _transpose_perm(op.operands[0])
        if found is None:
            return False
        t, perm = found
        operands = [t.operands[0], *list(op.operands)[1:]]
    else:
        found = [_transpose_perm(v) for v in op.operands]
        if found[0] and found[1]:
            if not np.array_equal(found[0][1], found[1][1]):
                return False
            t, perm = found[0]
            operands = [found[0][0].operands[0], found[1][0].operands[0]]
        elif found[0] or found[1]:
            ti = 0 if found[0] else 1
            t, perm = found[ti]
            c = const_value(op.operands[1 - ti])
            if c is None or c.ndim > len(out_shape) or op.operands[ti].type != op.result.type:
                return False
            c = c.reshape((1,) * (len(out_shape) - c.ndim) + c.shape)
            operands = [t.operands[0], t.operands[0]]
            operands[1 - ti] = make_const(np.transpose(c, np.argsort(perm)), op)
        else:
            return False
    inner_shape = [out_shape[i] for i in np.argsort(perm)]
    with ir.InsertionPoint(op), op.location:
        inner_type = ir.RankedTensorType.get(
            inner_shape, ir.RankedTensorType(op.result.type).element_type
        )
        inner = ir.Operation.create(
            op.name,
            results=[inner_type],
            operands=operands,
            attributes=dict(op.attributes.items()),
        )
    new = create_before(op, "transpose", [inner.result, t.operands[1]], [op.result.type])
    replace_op(op, new.result)
    t.erase()
    return True


PASS = rewrite_pass(
    "tfl-fold-transposes",
    "Push transposes through elementwise ops so that transpose pairs cancel",
    lambda op: push_transpose(op) or fold_transpose_chain(op),
)
