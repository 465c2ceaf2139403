"""Shape functions of elementwise ops: same shape as the input, or broadcast operands."""

from __future__ import annotations

from tflc.runtime.op_traits import ELEMENTWISE_BINARY, ELEMENTWISE_UNARY
from tflc.runtime.shape_inference import (
    OpView,
    Shape,
    ShapeError,
    broadcast,
    shape_function,
)


@shape_function(
    *ELEMENTWISE_UNARY,
    *"DENSIFY L2_NORMALIZATION LOCAL_RESPONSE_NORMALIZATION LOG_SOFTMAX ONES_LIKE SOFTMAX".split(),
    "ZEROS_LIKE",
)
def _same_as_input(v: OpView) -> list[Shape]:
    return [v.shape(0)]


@shape_function(*ELEMENTWISE_BINARY)
def _broadcasting_binary(v: OpView) -> list[Shape]:
    return [broadcast(v.shape(0), v.shape(1))]


@shape_function("SELECT_V2")
def _select_v2(v: OpView) -> list[Shape]:
    return [broadcast(v.shape(0), v.shape(1), v.shape(2))]


@shape_function("SELECT")
def _select(v: OpView) -> list[Shape]:
    # TFLite's first SELECT: x and y of one shape; the condition of that shape, a scalar, or a
    # vector over the first dimension
    condition, x, y = v.shape(0), v.shape(1), v.shape(2)
    if x != y or condition not in (x, (), x[:1]):
        listed = f"{list(condition)}, {list(x)} and {list(y)}"
        raise ShapeError(f"condition and operands of shapes {listed} do not select")
    return [x]


@shape_function("ATAN2", "BITWISE_XOR", "RIGHT_SHIFT")
def _binary(v: OpView) -> list[Shape]:
    return [broadcast(v.shape(0), v.shape(1))]


@shape_function("ADD_N")
def _add_n(v: OpView) -> list[Shape]:
    shapes = [v.shape(i) for i in range(len(v.inputs))]
    if any(s != shapes[0] for s in shapes):
        raise ShapeError(f"input shapes {[list(s) for s in shapes]} differ")
    return [shapes[0]]


@shape_function("BUCKETIZE", "FAKE_QUANT", "COMPLEX_ABS", "REAL", "IMAG")
def _like_input(v: OpView) -> list[Shape]:
    return [v.shape(0)]
