"""What the quantization passes share: quantized types, quantized constants, weight access."""

from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import quant
from tflc.passes.rewrite.tfl import defining_op

INT8_MIN, INT8_MAX = -128, 127


def storage_range(bits: int = 8, signed: bool = True) -> tuple[int, int]:
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def quant_element_type(
    scales, zero_points, axis: int | None = None, bits: int = 8, signed: bool = True
) -> ir.Type:
    """`!quant.uniform<i8:f32, s:zp>`, or per-axis along `axis` when it is given."""
    storage = ir.IntegerType.get_signless(bits)
    lo, hi = storage_range(bits, signed)
    flags = quant.QuantizedType.FLAG_SIGNED if signed else 0
    f32 = ir.F32Type.get()
    if axis is None:
        return quant.UniformQuantizedType.get(
            flags,
            storage,
            f32,
            float(np.asarray(scales).reshape(-1)[0]),
            int(np.asarray(zero_points).reshape(-1)[0]),
            lo,
            hi,
        )
    return quant.UniformQuantizedPerAxisType.get(
        flags, storage, f32, [float(s) for s in scales], [int(z) for z in zero_points], axis, lo, hi
    )


def qconst(values: np.ndarray, element: ir.Type, before: ir.Operation, loc=None) -> ir.Value:
    """A `tfl.pseudo_qconst` of integer storage `values` and quantized element type `element`."""
    with ir.InsertionPoint(before), loc or before.location:
        rtype = ir.RankedTensorType.get(list(values.shape), element)
        width = quant.QuantizedType(element).storage_type_integral_width
        if values.dtype == np.int64:  # 16x8 biases: MLIR's quant types stop at 32-bit storage,
            width = 64  # so the element says i32 and the value keeps int64 (dialects/tfl.py)
        storage = ir.IntegerType.get_signless(width)
        value = ir.DenseElementsAttr.get(
            np.ascontiguousarray(values), type=storage, shape=list(values.shape)
        )
        op = ir.Operation.create(
            "tfl.pseudo_qconst",
            results=[rtype],
            attributes={"qtype": ir.TypeAttr.get(rtype), "value": value},
        )
    return op.result


def symmetric_int8(w: np.ndarray, axis: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric narrow-range int8 (values in [-127, 127], zero point 0), per `axis` or per
    tensor: (int8 values, float scales). An all-zero channel gets scale 1."""
    w = w.astype(np.float32)
    if axis is None:
        bound = np.array([np.max(np.abs(w))], np.float32)
        shape = [1] * w.ndim
    else:
        others = tuple(i for i in range(w.ndim) if i != axis)
        bound = np.max(np.abs(w), axis=others).astype(np.float32)
        shape = [1] * w.ndim
        shape[axis] = -1
    # Tiny channels keep a scale that an int32 bias scale (input scale * this) can represent.
    scales = np.where(bound > 0, np.maximum(bound / 127.0, 1e-10), 1.0).astype(np.float32)
    q = np.clip(np.round(w / scales.reshape(shape)), -127, 127).astype(np.int8)
    return q, scales


def float_weights(value: ir.Value) -> np.ndarray | None:
    """A float constant's value: f32 `tfl.pseudo_const`, f16 ones behind a `tfl.dequantize`,
    and sparse ones behind a `tfl.densify` (densified here, at compile time)."""
    op = defining_op(value)
    if op is None:
        return None
    if op.name == "tfl.dequantize":
        v = _constant(defining_op(op.operands[0]))
        return v.astype(np.float32) if v is not None and v.dtype == np.float16 else None
    v = _constant(op)
    return v if v is not None and v.dtype == np.float32 else None


def _constant(op: ir.Operation | None) -> np.ndarray | None:
    """The value of a dense constant or of `tfl.densify` over a sparse one."""
    from tflc.dialects.tfl import constant_value
    from tflc.passes.quantize.sparse_constants import sparse_constant_value

    if op is None:
        return None
    if op.name == "tfl.densify":
        inner = defining_op(op.operands[0])
        return sparse_constant_value(inner) if inner is not None else None
    return constant_value(op) if op.name == "tfl.pseudo_const" else None
