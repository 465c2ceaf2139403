"""What every tf -> tfl legalizer uses: the registry and a view of the op being rewritten.

A legalizer is `fn(op: TfOp) -> list[ir.Value] | None`, registered for one or more TensorFlow op
types with `@legalizes("Conv2D")`. It runs with the insertion point before the tf op and that op's
location current, builds tfl ops, and returns the values replacing the op's results. It raises
`Unsupported(reason)` when this instance cannot be converted (a NCHW conv, a non-constant filter):
the pass then reports it with every other unsupported op.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from mlir import ir
from tflc.dialects import tf as tf_dialect
from tflc.dialects import tfl

Legalizer = Callable[["TfOp"], Sequence[ir.Value]]
LEGALIZERS: dict[str, Legalizer] = {}


def legalizes(*op_types: str) -> Callable[[Legalizer], Legalizer]:
    def register(fn: Legalizer) -> Legalizer:
        for t in op_types:
            LEGALIZERS[t] = fn
        return fn

    return register


class Unsupported(Exception):
    """This op instance has no tfl equivalent; the message says why."""


python_value = tfl.attribute_value  # tf attributes read the way tfl ones do


class TfOp:
    """The tf op being legalized, with typed accessors."""

    def __init__(self, op: ir.Operation):
        self.op = op
        self.type = tf_dialect.op_type(op)
        self.operands = list(op.operands)
        self.results = list(op.results)

    def attr(self, name: str, default=None):
        attrs = self.op.attributes
        return python_value(attrs[name]) if name in attrs else default

    def const(self, i: int) -> np.ndarray | None:
        return tf_dialect.const_value(self.operands[i])

    def require_const(self, i: int, what: str) -> np.ndarray:
        value = self.const(i)
        if value is None:
            raise Unsupported(f"the {what} must be a constant")
        return value

    @property
    def result_type(self) -> ir.Type:
        return self.results[0].type

    def shape(self, value: ir.Value) -> list[int] | None:
        """Static dims (-1 where dynamic) or None when unranked."""
        return static_shape(value.type)


def static_shape(t: ir.Type) -> list[int] | None:
    shaped = ir.ShapedType(t)
    if not shaped.has_rank:
        return None
    return [-1 if shaped.is_dynamic_dim(i) else d for i, d in enumerate(shaped.shape)]


def is_fully_static(t: ir.Type) -> bool:
    shape = static_shape(t)
    return shape is not None and all(d >= 0 for d in shape)


def element_of(t: ir.Type) -> ir.Type:
    return ir.ShapedType(t).element_type


def with_shape(shape: Sequence[int], elem: ir.Type) -> ir.Type:
    dyn = ir.ShapedType.get_dynamic_size()
    return ir.RankedTensorType.get([dyn if d < 0 else int(d) for d in shape], elem)


def emit(name: str, operands: Sequence[ir.Value], result_type: ir.Type, **options) -> ir.Value:
    return tfl.create(name, list(operands), [result_type], **options).result


def emit_multi(
    name: str, operands: Sequence[ir.Value], result_types: Sequence[ir.Type], **options
) -> list[ir.Value]:
    return list(tfl.create(name, list(operands), list(result_types), **options).results)


def const(value, dtype=None) -> ir.Value:
    """A tfl constant; `dtype` converts first (int32 for shapes and axes)."""
    return tfl.constant(np.asarray(value, dtype=dtype))


def i32(value) -> ir.Value:
    return const(value, np.int32)


def like(value: ir.Value, array: np.ndarray) -> ir.Value:
    """A constant of `array` with the element type of `value` (f32 scalars for an f32 tensor)."""
    return const(np.asarray(array, dtype=numpy_dtype(element_of(value.type))))


_NUMPY_DTYPES = {
    "f32": np.float32,
    "f16": np.float16,
    "f64": np.float64,
    "i1": np.bool_,
    "i8": np.int8,
    "i16": np.int16,
    "i32": np.int32,
    "i64": np.int64,
    "ui8": np.uint8,
}


def numpy_dtype(elem: ir.Type):
    return _NUMPY_DTYPES.get(str(elem), np.float32)


def normalize_axis(axis: int, rank: int) -> int:
    return axis + rank if axis < 0 else axis
