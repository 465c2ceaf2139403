"""Shape functions of StableHLO's elementwise ops, which never broadcast implicitly (a
converter writes STABLEHLO_BROADCAST_IN_DIM): operands of one shape, except the scalar
predicate of a select and the scalar bounds of a clamp."""

from __future__ import annotations

from tflc.runtime.op_traits import STABLEHLO_ELEMENTWISE_BINARY, STABLEHLO_ELEMENTWISE_UNARY
from tflc.runtime.shape_inference import OpView, Shape, ShapeError, shape_function


def _same_shapes(v: OpView, indices, scalar_ok=()) -> Shape:
    shapes = {i: v.shape(i) for i in indices}
    first = shapes[indices[0]] if indices[0] not in scalar_ok else shapes[indices[-1]]
    for i, s in shapes.items():
        if s != first and not (i in scalar_ok and s == ()):
            listed = " and ".join(str(list(x)) for x in shapes.values())
            raise ShapeError(f"operand shapes {listed} differ (StableHLO does not broadcast)")
    return first


@shape_function(*STABLEHLO_ELEMENTWISE_UNARY)
def _unary(v: OpView) -> list[Shape]:
    return [v.shape(0)]


@shape_function(*STABLEHLO_ELEMENTWISE_BINARY)
def _binary(v: OpView) -> list[Shape]:
    return [_same_shapes(v, (0, 1))]


@shape_function("STABLEHLO_SELECT")
def _select(v: OpView) -> list[Shape]:
    return [_same_shapes(v, (0, 1, 2), scalar_ok=(0,))]


@shape_function("STABLEHLO_CLAMP")
def _clamp(v: OpView) -> list[Shape]:
    # operands: min, operand, max
    return [_same_shapes(v, (1, 0, 2), scalar_ok=(0, 2))]
