"""int8 ops without an integer lowering: dequantize the operands, lower a float32 twin of the op
with its float lowering, quantize the results.

Within a step of TFLite's integer kernels (which use fixed-point approximations or lookup
tables), not bit-exact; exact for pure data movement (reshape, transpose, slice, gather, ...)
since dequantizing and quantizing with the same scale and zero point round-trips.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.dialects import tfl
from tflc.passes.rewrite.tfl import defining_op
from tflc.passes.tosa.build import TosaBuilder, shape_of, tensor
from tflc.passes.tosa.lower_int8 import dequantized, quantized
from tflc.passes.tosa.quant import is_quantized, qparams, quantized_axis


def dequantized_operand(b: TosaBuilder, value: ir.Value) -> ir.Value:
    """A quantized constant (per-axis too) as a float32 constant, else a dequantizing op."""
    producer = defining_op(value)
    if producer is None or producer.name != "tfl.pseudo_qconst":
        return dequantized(b, value)
    stored = tfl.constant_value(producer).astype(np.float64)
    scales, zps = qparams(value)
    shape = [1] * stored.ndim
    axis = quantized_axis(value)
    if axis is not None:
        shape[axis] = -1
    return b.f32((stored - zps.reshape(shape)) * scales.reshape(shape))


def lower_through_float(op: ir.Operation, float_lowering) -> list[ir.Value]:
    b = TosaBuilder(op)
    operands = [dequantized_operand(b, v) if is_quantized(v) else v for v in op.operands]
    f32 = ir.F32Type.get()
    types = [tensor(shape_of(r), f32) if is_quantized(r) else r.type for r in op.results]
    with ir.InsertionPoint(op), op.location:
        twin = ir.Operation.create(
            op.name, results=types, operands=operands, attributes=dict(op.attributes.items())
        )
    values = float_lowering(twin, TosaBuilder(twin))
    values = values if isinstance(values, list) else [values]
    twin.erase()  # its lowering read only its operands and attributes
    return [
        quantized(b, v, r) if is_quantized(r) else v
        for v, r in zip(values, op.results, strict=True)
    ]
