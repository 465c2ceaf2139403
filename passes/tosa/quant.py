"""Quantized tensors for the tfl → TOSA lowering: scales and zero points, storage types,
TFLite's fixed-point requantization as `tosa.rescale`, and the function boundary.

While the pass runs, a lowered int8 value is seen by the not-yet-lowered tfl ops through a
`builtin.unrealized_conversion_cast` back to its quantized type, so every lowering reads scales
and zero points from the operand types; `storage` looks through those casts, and
`finish_function` removes them once the body is lowered.

Requantization follows TFLite: a real multiplier m becomes a 31-bit fixed-point multiplier and
a shift (`quantize_multiplier`, TFLite's QuantizeMultiplier), applied by `tosa.rescale` with
DOUBLE_ROUND, TOSA's model of TFLite's rounding doubling high multiply followed by a rounding
shift.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import quant
from tflc.dialects import tfl
from tflc.passes.rewrite.tfl import attr_str, defining_op
from tflc.passes.tosa.build import TosaBuilder, shape_of, tensor
from tflc.passes.tosa.lower_nn import LoweringError
from tflc.runtime.kernels.quant_math import quantize_multiplier_int, tflite_round

CAST = "builtin.unrealized_conversion_cast"


def i8() -> ir.Type:
    return ir.IntegerType.get_signless(8)


def i32() -> ir.Type:
    return ir.IntegerType.get_signless(32)


def is_quantized(value: ir.Value) -> bool:
    t = value.type
    return isinstance(t, ir.RankedTensorType) and isinstance(
        ir.RankedTensorType(t).element_type, quant.QuantizedType
    )


def width(value: ir.Value) -> int:
    """The bit width of a quantized tensor's stored integers."""
    return quant.QuantizedType(
        ir.RankedTensorType(value.type).element_type
    ).storage_type_integral_width


def is_int8(value: ir.Value) -> bool:
    """A quantized tensor stored as signed 8-bit integers."""
    if not is_quantized(value):
        return False
    q = quant.QuantizedType(ir.RankedTensorType(value.type).element_type)
    return q.is_signed and q.storage_type_integral_width == 8


def qparams(value: ir.Value) -> tuple[np.ndarray, np.ndarray]:
    """(scales, zero points) of a quantized tensor: one each, or one per channel."""
    elem = ir.RankedTensorType(value.type).element_type
    if isinstance(elem, quant.UniformQuantizedPerAxisType):
        q = quant.UniformQuantizedPerAxisType(elem)
        return np.array(q.scales, np.float64), np.array(q.zero_points, np.int64)
    if isinstance(elem, quant.UniformQuantizedType):
        q = quant.UniformQuantizedType(elem)
        return np.array([q.scale], np.float64), np.array([q.zero_point], np.int64)
    raise LoweringError(f"{value.type} is not a uniform quantized tensor")


def quantized_axis(value: ir.Value) -> int | None:
    """The channel axis of a per-axis quantized tensor, None for per-tensor quantization."""
    elem = ir.RankedTensorType(value.type).element_type
    if isinstance(elem, quant.UniformQuantizedPerAxisType):
        return quant.UniformQuantizedPerAxisType(elem).quantized_dimension
    return None


def storage_type(t: ir.Type) -> ir.Type:
    """The tensor type holding a quantized tensor's stored integers (other types unchanged)."""
    if not isinstance(t, ir.RankedTensorType):
        return t
    elem = ir.RankedTensorType(t).element_type
    if not isinstance(elem, quant.QuantizedType):
        return t
    return tensor(list(ir.RankedTensorType(t).shape), quant.QuantizedType(elem).storage_type)


def storage(b: TosaBuilder, value: ir.Value) -> ir.Value:
    """The storage-typed value behind a quantized operand: the input of the cast a lowering
    left, or a `tosa.const` of a quantized constant's stored integers."""
    producer = defining_op(value)
    if producer is not None and producer.name == CAST:
        return producer.operands[0]
    if producer is not None and producer.name == "tfl.pseudo_qconst":
        t = storage_type(value.type)
        return b.const(tfl.constant_value(producer), ir.RankedTensorType(t).element_type)
    if is_quantized(value):
        raise LoweringError(f"operand {value.type} comes from an op that was not lowered")
    return value


def quantize_multiplier(m: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplier (the runtime's one definition) as (multiplier, TOSA right
    shift): m ≈ q · 2^-shift. Scales TFLite flushes to zero rescale to 0."""
    q, shift = quantize_multiplier_int(m)
    if q == 0:
        return 0, 2
    right_shift = 31 - shift
    if right_shift < 2:
        raise LoweringError(f"requantization scale {m} is out of range")
    return q, right_shift


def rescale(
    b: TosaBuilder,
    x: ir.Value,
    out_elem: ir.Type,
    scales,
    input_zp: int = 0,
    output_zp: int = 0,
) -> ir.Value:
    """tosa.rescale by one real scale or one per last-axis channel."""
    scales = np.atleast_1d(np.asarray(scales, np.float64))
    pairs = [quantize_multiplier(float(s)) for s in scales]
    in_elem = ir.RankedTensorType(x.type).element_type
    with b.loc:
        attrs = {
            "scale32": ir.BoolAttr.get(True),
            "rounding_mode": ir.Attribute.parse("#tosa.rounding_mode<DOUBLE_ROUND>"),
            "per_channel": ir.BoolAttr.get(len(pairs) > 1),
            "input_unsigned": ir.BoolAttr.get(False),
            "output_unsigned": ir.BoolAttr.get(False),
        }
    operands = [
        x,
        b.const(np.array([p[0] for p in pairs], np.int32)),
        b.const(np.array([p[1] for p in pairs], np.int8), i8()),
        zero_point(b, input_zp, in_elem),
        zero_point(b, output_zp, out_elem),
    ]
    return b.op("rescale", operands, tensor(shape_of(x), out_elem), **attrs)


def zero_point(b: TosaBuilder, value: int, elem: ir.Type) -> ir.Value:
    width = ir.IntegerType(elem).width
    dtype = {8: np.int8, 16: np.int16, 32: np.int32}[width]
    return b.const(np.array([value], dtype), elem)


def clamp_real(b: TosaBuilder, y: ir.Value, like: ir.Value, lo, hi) -> ir.Value:
    """Clamps stored int8 values to the real range [lo, hi] (None: unbounded) in `like`'s
    quantization, as TFLite's CalculateActivationRangeQuantized does."""
    (scale,), (zp,) = qparams(like)
    qlo = -128 if lo is None else max(-128, int(zp) + int(tflite_round(lo / scale)))
    qhi = 127 if hi is None else min(127, int(zp) + int(tflite_round(hi / scale)))
    if (qlo, qhi) == (-128, 127):
        return y
    with b.loc:
        i8_type = ir.IntegerType.get_signless(8)
        bounds = {
            "min_val": ir.IntegerAttr.get(i8_type, qlo),
            "max_val": ir.IntegerAttr.get(i8_type, qhi),
        }
    return b.op("clamp", [y], y.type, **bounds)


_ACTIVATION_RANGES = {
    "NONE": (None, None),
    "RELU": (0.0, None),
    "RELU6": (0.0, 6.0),
    "RELU_N1_TO_1": (-1.0, 1.0),
}


def fused_activation_int8(b: TosaBuilder, op: ir.Operation, y: ir.Value) -> ir.Value:
    act = attr_str(op, "fused_activation_function") or "NONE"
    if act not in _ACTIVATION_RANGES:
        raise LoweringError(f"int8 fused activation {act} is not supported")
    return clamp_real(b, y, op.result, *_ACTIVATION_RANGES[act])


# ---- the function boundary ------------------------------------------------------------------


def cast_to(before: ir.Operation, value: ir.Value, t: ir.Type) -> ir.Value:
    with ir.InsertionPoint(before), before.location:
        return ir.Operation.create(CAST, results=[t], operands=[value]).result


def retype_arguments(fn: ir.Operation) -> None:
    """Quantized arguments become their storage type, seen by the body through casts."""
    block = fn.regions[0].blocks[0]
    first = block.operations[0].operation
    for arg in block.arguments:
        if is_quantized(arg):
            quantized = arg.type
            arg.set_type(storage_type(quantized))
            cast = cast_to(first, arg, quantized)
            arg.replace_all_uses_except(cast, defining_op(cast))


def finish_function(fn: ir.Operation) -> None:
    """Returns storage values instead of casts, drops the casts, retypes the function."""
    block = fn.regions[0].blocks[0]
    for op in [o.operation for o in block.operations]:
        if op.name == "func.return":
            for i, v in enumerate(op.operands):
                producer = defining_op(v)
                if producer is not None and producer.name == CAST:
                    op.operands[i] = producer.operands[0]
            results = [v.type for v in op.operands]
    for op in reversed([o.operation for o in block.operations]):
        if op.name == CAST and not any(True for _ in op.result.uses):
            op.erase()
    with fn.location:
        fn_type = ir.FunctionType.get([a.type for a in block.arguments], results)
        fn.attributes["function_type"] = ir.TypeAttr.get(fn_type)
