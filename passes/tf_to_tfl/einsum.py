"""Einsum (Keras MultiHeadAttention, EinsumDense) -> transpose / reshape / batch_matmul.

A two-operand equation with static shapes is a batched matrix product once its labels are
grouped: batch labels (in both operands and the output), free labels of each side (in one
operand and the output) and contracted labels (in both operands, not the output):

    lhs -> [batch..., lhs_free..., contracted...] -> [B..., M, K]
    rhs -> [batch..., contracted..., rhs_free...] -> [B..., K, N]
    batch_matmul -> [B..., M, N] -> [batch..., lhs_free..., rhs_free...] -> output order

Without batch labels and with a constant right operand it is a fully connected layer. Identity
transposes and reshapes are not emitted; constant ones fold in tfl-optimize.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.passes.tf_to_tfl.common import (
    TfOp,
    Unsupported,
    const,
    element_of,
    emit,
    i32,
    legalizes,
    static_shape,
    with_shape,
)


def _transpose(x: ir.Value, perm: list[int]) -> ir.Value:
    if perm == sorted(perm):
        return x
    shape = static_shape(x.type)
    out = [shape[p] for p in perm]
    return emit("transpose", [x, i32(perm)], with_shape(out, element_of(x.type)))


def _reshape(x: ir.Value, shape: list[int]) -> ir.Value:
    if static_shape(x.type) == list(shape):
        return x
    return emit("reshape", [x, i32(shape)], with_shape(shape, element_of(x.type)))


def _parse(equation: str) -> tuple[str, str, str]:
    inputs, arrow, out = equation.replace(" ", "").partition("->")
    parts = inputs.split(",")
    if not arrow or len(parts) != 2 or "." in equation:
        raise Unsupported(f"einsum equation '{equation}' (two operands, explicit output, no ...)")
    return parts[0], parts[1], out


@legalizes("Einsum")
def _einsum(op: TfOp):
    lhs_labels, rhs_labels, out_labels = _parse(op.attr("equation"))
    lhs, rhs = op.operands
    lhs_shape, rhs_shape = static_shape(lhs.type), static_shape(rhs.type)
    if lhs_shape is None or rhs_shape is None or min(lhs_shape + rhs_shape, default=0) < 0:
        raise Unsupported("einsum with dynamic shapes")
    if len(set(lhs_labels)) != len(lhs_labels) or len(set(rhs_labels)) != len(rhs_labels):
        raise Unsupported("einsum with a repeated label in one operand (a diagonal)")
    size = dict(zip(lhs_labels, lhs_shape, strict=True)) | dict(
        zip(rhs_labels, rhs_shape, strict=True)
    )
    batch = [c for c in lhs_labels if c in rhs_labels and c in out_labels]
    contracted = [c for c in lhs_labels if c in rhs_labels and c not in out_labels]
    lhs_free = [c for c in lhs_labels if c not in rhs_labels]
    rhs_free = [c for c in rhs_labels if c not in lhs_labels]
    if any(c not in out_labels for c in lhs_free + rhs_free):
        raise Unsupported("einsum summing a label of one operand only")

    def dims(labels):
        return int(np.prod([size[c] for c in labels]))

    m, k, n = dims(lhs_free), dims(contracted), dims(rhs_free)
    batch_dims = [size[c] for c in batch]
    a = _reshape(
        _transpose(lhs, [lhs_labels.index(c) for c in batch + lhs_free + contracted]),
        [*batch_dims, m, k],
    )
    elem = element_of(op.result_type)
    weights = op.const(1)
    if not batch and weights is not None:
        perm = [rhs_labels.index(c) for c in rhs_free + contracted]
        filt = np.ascontiguousarray(weights.transpose(perm).reshape(n, k))
        product = emit(
            "fully_connected",
            [a, const(filt)],
            with_shape([m, n], elem),
            fused_activation_function="NONE",
            keep_num_dims=False,
        )
    else:
        b = _reshape(
            _transpose(rhs, [rhs_labels.index(c) for c in batch + contracted + rhs_free]),
            [*batch_dims, k, n],
        )
        product = emit("batch_matmul", [a, b], with_shape([*batch_dims, m, n], elem))
    grouped = batch + lhs_free + rhs_free
    expanded = _reshape(product, [size[c] for c in grouped])
    return [_transpose(expanded, [grouped.index(c) for c in out_labels])]
