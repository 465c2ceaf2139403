"""Builders for the upstream `tosa` ops the tfl → TOSA lowering emits (TOSA 1.0 forms).

TOSA 1.0 passes shapes as `!tosa.shape<N>` values from `tosa.const_shape`, zero points as
one-element tensors, and the shift of `tosa.mul` as an i8 tensor; these helpers hide that. Every
builder inserts before `self.before`, at the location of the tfl op being lowered.
"""

from __future__ import annotations

import numpy as np
from mlir import ir

F32_MAX = float(np.finfo(np.float32).max)


def tensor(shape: list[int], elem: ir.Type) -> ir.RankedTensorType:
    return ir.RankedTensorType.get(list(shape), elem)


def shape_of(value: ir.Value) -> list[int]:
    return list(ir.RankedTensorType(value.type).shape)


def elem_of(value: ir.Value) -> ir.Type:
    return ir.RankedTensorType(value.type).element_type


def i64_array(values) -> ir.Attribute:
    return ir.DenseI64ArrayAttr.get([int(v) for v in values])


class TosaBuilder:
    """Emits tosa ops before one op, at its location."""

    def __init__(self, before: ir.Operation):
        self.before = before
        self.loc = before.location

    def op(self, name: str, operands, result: ir.Type, **attributes) -> ir.Value:
        with ir.InsertionPoint(self.before), self.loc:
            return ir.Operation.create(
                f"tosa.{name}", results=[result], operands=list(operands), attributes=attributes
            ).result

    # ---- constants ---------------------------------------------------------------------------

    def const(self, array: np.ndarray, elem: ir.Type | None = None) -> ir.Value:
        arr = np.ascontiguousarray(array)
        with self.loc:
            attr = ir.DenseElementsAttr.get(arr, type=elem, shape=list(arr.shape))
        return self.op("const", [], attr.type, values=attr)

    def f32(self, array, shape: list[int] | None = None) -> ir.Value:
        arr = np.asarray(array, np.float32)
        return self.const(arr.reshape(shape) if shape is not None else arr)

    def zero_point(self, elem: ir.Type) -> ir.Value:
        """The one-element zero point TOSA 1.0 wants beside float operands."""
        if isinstance(elem, ir.F32Type):
            return self.f32([0.0])
        return self.const(np.zeros(1, np.int8), elem)

    def shape(self, values: list[int]) -> ir.Value:
        with self.loc:
            index = ir.IndexType.get()
            attr = ir.DenseElementsAttr.get(
                np.array(values, np.int64), type=index, shape=[len(values)]
            )
            result = ir.Type.parse(f"!tosa.shape<{len(values)}>")
        return self.op("const_shape", [], result, values=attr)

    # ---- data movement -----------------------------------------------------------------------

    def reshape(self, x: ir.Value, shape: list[int]) -> ir.Value:
        if shape_of(x) == list(shape):
            return x
        return self.op("reshape", [x, self.shape(shape)], tensor(shape, elem_of(x)))

    def to_rank(self, x: ir.Value, rank: int) -> ir.Value:
        """`x` with leading unit dims up to `rank` (TOSA broadcasts only between equal ranks)."""
        s = shape_of(x)
        return self.reshape(x, [1] * (rank - len(s)) + s) if len(s) < rank else x

    def transpose(self, x: ir.Value, perm: list[int]) -> ir.Value:
        s = shape_of(x)
        out = tensor([s[p] for p in perm], elem_of(x))
        with self.loc:
            perms = ir.DenseI32ArrayAttr.get([int(p) for p in perm])
        return self.op("transpose", [x], out, perms=perms)

    def slice(self, x: ir.Value, start: list[int], size: list[int]) -> ir.Value:
        if not any(start) and list(size) == shape_of(x):
            return x
        out = tensor(size, elem_of(x))
        return self.op("slice", [x, self.shape(start), self.shape(size)], out)

    def pad(self, x: ir.Value, pads: list[tuple[int, int]], value: float = 0.0) -> ir.Value:
        s = shape_of(x)
        out = tensor([d + lo + hi for d, (lo, hi) in zip(s, pads, strict=True)], elem_of(x))
        flat = [int(v) for pair in pads for v in pair]
        return self.op("pad", [x, self.shape(flat), self.f32([value])], out)

    def concat(self, values: list[ir.Value], axis: int, result: ir.Type) -> ir.Value:
        with self.loc:
            attr = ir.IntegerAttr.get(ir.IntegerType.get_signless(32), axis)
        return self.op("concat", values, result, axis=attr)

    # ---- arithmetic --------------------------------------------------------------------------

    def binary(self, name: str, a: ir.Value, b: ir.Value, result: ir.Type) -> ir.Value:
        rank = len(ir.RankedTensorType(result).shape)
        a, b = self.to_rank(a, rank), self.to_rank(b, rank)
        if name == "mul":
            # TOSA 1.0's mul takes a right shift, meaningful for int32 only: 0 for floats.
            shift = self.const(np.zeros(1, np.int8), ir.IntegerType.get_signless(8))
            return self.op("mul", [a, b, shift], result)
        return self.op(name, [a, b], result)

    def unary(self, name: str, x: ir.Value, result: ir.Type | None = None) -> ir.Value:
        return self.op(name, [x], result or x.type)

    def clamp(self, x: ir.Value, lo: float, hi: float) -> ir.Value:
        with self.loc:
            f32 = ir.F32Type.get()
            return self.op(
                "clamp",
                [x],
                x.type,
                min_val=ir.FloatAttr.get(f32, lo),
                max_val=ir.FloatAttr.get(f32, hi),
            )

    def reduce(self, name: str, x: ir.Value, axis: int) -> ir.Value:
        """`tosa.reduce_<name>` over one axis (kept as size 1, as TOSA does)."""
        s = shape_of(x)
        s[axis] = 1
        with self.loc:
            attr = ir.IntegerAttr.get(ir.IntegerType.get_signless(32), axis)
        return self.op(f"reduce_{name}", [x], tensor(s, elem_of(x)), axis=attr)
