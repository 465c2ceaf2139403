"""Legalizers for the batched-matrix diagonal ops: MatrixDiag, MatrixSetDiag (their V2 and V3
forms on the main diagonal) and MatrixBandPart, a select against a band mask (constant where the band is)."""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.passes.tf_to_tfl.common import (
    TfOp,
    Unsupported,
    const,
    element_of,
    emit,
    legalizes,
    numpy_dtype,
    with_shape,
)


def _main_diagonal_only(op: TfOp, k_operand: int) -> None:
    """V2 and V3 take a diagonal offset k (and sizes and padding for MatrixDiag); TFLite's
    kernels place the main diagonal only."""
    if op.type.endswith(("V2", "V3")):
        k = op.const(k_operand)
        if k is None or np.any(np.asarray(k) != 0):
            raise Unsupported("a diagonal offset k other than a constant 0")


@legalizes("MatrixDiag", "MatrixDiagV2", "MatrixDiagV3")
def _matrix_diag(op: TfOp):
    _main_diagonal_only(op, 1)
    if op.type != "MatrixDiag":
        rows, cols, padding = (op.const(i) for i in (2, 3, 4))
        if any(v is None for v in (rows, cols, padding)):
            raise Unsupported("num_rows, num_cols and padding_value must be constants")
        if int(rows) != -1 or int(cols) != -1 or np.any(np.asarray(padding) != 0):
            raise Unsupported("num_rows, num_cols or padding_value other than the defaults")
    return [emit("matrix_diag", [op.operands[0]], op.result_type)]


@legalizes("MatrixSetDiag", "MatrixSetDiagV2", "MatrixSetDiagV3")
def _matrix_set_diag(op: TfOp):
    _main_diagonal_only(op, 2)
    return [emit("matrix_set_diag", op.operands[:2], op.result_type)]


@legalizes("MatrixBandPart")
def _matrix_band_part(op: TfOp):
    x = op.operands[0]
    shape = op.shape(x)
    if shape is None or len(shape) < 2 or min(shape[-2:]) < 0:
        raise Unsupported("the matrix dimensions must be static")
    rows, cols = shape[-2:]
    offset = np.arange(rows)[:, None] - np.arange(cols)[None, :]  # row - column
    lower = _within_band(op, 1, offset)
    upper = _within_band(op, 2, -offset)
    if isinstance(lower, np.ndarray) and isinstance(upper, np.ndarray):
        keep = const(lower & upper)
    else:
        bool_type = with_shape([rows, cols], ir.IntegerType.get_signless(1))
        keep = emit("logical_and", [_value(lower), _value(upper)], bool_type)
    zero = const(np.zeros([], dtype=numpy_dtype(element_of(x.type))))
    return [emit("select_v2", [keep, x, zero], op.result_type)]


def _within_band(op: TfOp, i: int, distance: np.ndarray) -> np.ndarray | ir.Value:
    """distance <= bound, or everywhere where the bound is negative: a constant mask for a
    constant bound, else ops comparing with the bound when the model runs."""
    bound = op.const(i)
    if bound is not None:
        bound = int(bound)
        return np.full(distance.shape, True) if bound < 0 else distance <= bound
    n = op.operands[i]
    elem = element_of(n.type)
    bool_type = ir.IntegerType.get_signless(1)
    unbounded = emit("less", [n, const(np.zeros([], numpy_dtype(elem)))], with_shape([], bool_type))
    distances = const(distance.astype(numpy_dtype(elem)))
    within = emit("less_equal", [distances, n], with_shape(distance.shape, bool_type))
    return emit("logical_or", [unbounded, within], with_shape(distance.shape, bool_type))


def _value(mask: np.ndarray | ir.Value) -> ir.Value:
    return const(mask) if isinstance(mask, np.ndarray) else mask
