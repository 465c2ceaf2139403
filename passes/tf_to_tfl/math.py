"""Legalizers for elementwise math, comparisons, logic, casts and reductions."""

from __future__ import annotations

import numpy as np
from tflc.dialects import tfl
from tflc.passes.tf_to_tfl.common import (
    TfOp,
    Unsupported,
    element_of,
    emit,
    i32,
    legalizes,
)

# TF op -> (tfl op, takes fused_activation_function)
_BINARY = {
    "Add": ("add", True),
    "AddV2": ("add", True),
    "Sub": ("sub", True),
    "Mul": ("mul", True),
    "RealDiv": ("div", True),
    "Div": ("div", True),
    "Maximum": ("maximum", False),
    "Minimum": ("minimum", False),
    "Pow": ("pow", False),
    "SquaredDifference": ("squared_difference", False),
    "FloorDiv": ("floor_div", False),
    "FloorMod": ("floor_mod", False),
    "Less": ("less", False),
    "LessEqual": ("less_equal", False),
    "Greater": ("greater", False),
    "GreaterEqual": ("greater_equal", False),
    "Equal": ("equal", False),
    "NotEqual": ("not_equal", False),
    "LogicalAnd": ("logical_and", False),
    "LogicalOr": ("logical_or", False),
    "BitwiseXor": ("bitwise_xor", False),
    "RightShift": ("right_shift", False),
    "TruncateDiv": ("div", True),  # integers: TFLite's DIV truncates, as TruncateDiv does
}

_UNARY = {
    "Neg": "neg",
    "Abs": "abs",
    "Exp": "exp",
    "Log": "log",
    "Sqrt": "sqrt",
    "Rsqrt": "rsqrt",
    "Square": "square",
    "Sin": "sin",
    "Cos": "cos",
    "Floor": "floor",
    "Ceil": "ceil",
    "Round": "round",
    "Rint": "round",  # TFLite's ROUND rounds half to even, as rint does
    "Sign": "sign",
    "LogicalNot": "logical_not",
    "ZerosLike": "zeros_like",
    "Bitcast": "bitcast",
}


@legalizes(*_BINARY)
def _binary(op: TfOp):
    name, fused = _BINARY[op.type]
    options = {"fused_activation_function": "NONE"} if fused else {}
    integers = str(element_of(op.result_type)).startswith("i")
    # Integer Div and TruncateDiv truncate toward zero, as TFLite's DIV does.
    if op.type == "TruncateDiv" and not integers:
        raise Unsupported("a float TruncateDiv (TFLite's DIV does not truncate floats)")
    divisor = op.const(1) if name == "div" else None
    if divisor is not None and np.issubdtype(divisor.dtype, np.floating):
        # x / c -> x * (1/c): a multiply folds into a producing convolution's weights.
        reciprocal = tfl.constant((1 / divisor).astype(divisor.dtype))
        return [emit("mul", [op.operands[0], reciprocal], op.result_type, **options)]
    return [emit(name, op.operands, op.result_type, **options)]


@legalizes(*_UNARY)
def _unary(op: TfOp):
    x = op.operands[0]
    if op.type == "Square" and str(element_of(x.type)).startswith("i"):
        # LiteRT's SQUARE is float only.
        return [emit("mul", [x, x], op.result_type, fused_activation_function="NONE")]
    return [emit(_UNARY[op.type], op.operands, op.result_type)]


@legalizes("Reciprocal", "Inv")
def _reciprocal(op: TfOp):
    x = op.operands[0]
    one = tfl.constant(np.ones([], dtype=np.float32))
    return [emit("div", [one, x], op.result_type, fused_activation_function="NONE")]


@legalizes("Atan2")
def _atan2(op: TfOp):
    y, x = op.operands
    if y.type != x.type:  # TFLite's ATAN2 does not broadcast
        raise Unsupported("operands of different shapes")
    return [emit("atan2", [y, x], op.result_type)]


@legalizes("AddN")
def _add_n(op: TfOp):
    if len(op.operands) == 1:
        return [op.operands[0]]
    if len(op.operands) == 2:
        return [emit("add", op.operands, op.result_type, fused_activation_function="NONE")]
    return [emit("add_n", op.operands, op.result_type)]


@legalizes("Select", "SelectV2")
def _select(op: TfOp):
    name = "select_v2" if op.type == "SelectV2" else "select"
    return [emit(name, op.operands, op.result_type)]


_TENSOR_TYPES = {
    "f32": "FLOAT32",
    "f16": "FLOAT16",
    "i32": "INT32",
    "i64": "INT64",
    "i1": "BOOL",
    "i8": "INT8",
    "ui8": "UINT8",
    "i16": "INT16",
    "f64": "FLOAT64",
}


@legalizes("Cast")
def _cast(op: TfOp):
    x = op.operands[0]
    if x.type == op.result_type:
        return [x]
    src, dst = str(element_of(x.type)), str(element_of(op.result_type))
    if src not in _TENSOR_TYPES or dst not in _TENSOR_TYPES:
        raise Unsupported(f"cast from {src} to {dst}")
    return [
        emit(
            "cast",
            [x],
            op.result_type,
            in_data_type=_TENSOR_TYPES[src],
            out_data_type=_TENSOR_TYPES[dst],
        )
    ]


_REDUCTIONS = {
    "Mean": "mean",
    "Sum": "sum",
    "Max": "reduce_max",
    "Min": "reduce_min",
    "Prod": "reduce_prod",
    "Any": "reduce_any",
    "All": "reduce_all",
}


@legalizes(*_REDUCTIONS)
def _reduce(op: TfOp):
    axes = op.require_const(1, "reduction axis")
    return [
        emit(
            _REDUCTIONS[op.type],
            [op.operands[0], i32(np.asarray(axes).reshape(-1))],
            op.result_type,
            keep_dims=op.attr("keep_dims", False),
        )
    ]


@legalizes("ArgMax", "ArgMin")
def _arg_reduce(op: TfOp):
    axis = op.require_const(1, "axis")
    out = str(element_of(op.result_type))
    return [
        emit(
            "arg_max" if op.type == "ArgMax" else "arg_min",
            [op.operands[0], i32(np.asarray(axis).reshape(1))],
            op.result_type,
            output_type=_TENSOR_TYPES[out],
        )
    ]
