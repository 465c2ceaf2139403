"""int8 tfl ops (`!quant.uniform` tensors) → tosa ops on their storage types, with TFLite's
fixed-point requantization as `tosa.rescale`.

While the pass runs, a lowered int8 value is seen by the not-yet-lowered tfl ops through a
`builtin.unrealized_conversion_cast` back to its quantized type, so every lowering reads scales
and zero points from the operand types; `storage` looks through those casts. Each `lower_*`
returns the storage-typed (i8) value replacing the op's result.

Requantization follows TFLite: a real multiplier m becomes a 31-bit fixed-point multiplier and
a shift (`quantize_multiplier`, TFLite's QuantizeMultiplier), applied by `tosa.rescale` with
DOUBLE_ROUND, TOSA's model of TFLite's rounding doubling high multiply followed by a rounding
shift.
"""

from __future__ import annotations

import math

import numpy as np
from mlir import ir
from mlir.dialects import quant
from tflc.dialects import tfl
from tflc.passes._tfl_rewrite import attr_str, defining_op, is_none
from tflc.passes._tosa_build import TosaBuilder, i64_array, shape_of, tensor
from tflc.passes._tosa_lower_nn import LoweringError, _windowed_input, reduction_axes

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
    """TFLite's QuantizeMultiplier as (multiplier, TOSA right shift): m ≈ q · 2^-shift."""
    if m == 0.0:
        return 0, 2
    fraction, exponent = math.frexp(m)
    q = round(fraction * (1 << 31))
    if q == 1 << 31:
        q, exponent = q // 2, exponent + 1
    shift = 31 - exponent
    if shift > 62:  # below TOSA's range: drop low multiplier bits instead
        q, shift = q >> (shift - 62), 62
    if shift < 2:
        raise LoweringError(f"requantization scale {m} is out of range")
    return q, shift


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
        _zp(b, input_zp, in_elem),
        _zp(b, output_zp, out_elem),
    ]
    return b.op("rescale", operands, tensor(shape_of(x), out_elem), **attrs)


def _zp(b: TosaBuilder, value: int, elem: ir.Type) -> ir.Value:
    width = ir.IntegerType(elem).width
    dtype = {8: np.int8, 16: np.int16, 32: np.int32}[width]
    return b.const(np.array([value], dtype), elem)


def _round_away(x: float) -> int:
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def fused_activation_int8(b: TosaBuilder, op: ir.Operation, y: ir.Value) -> ir.Value:
    """TFLite's CalculateActivationRangeQuantized as a clamp on the stored integers."""
    act = attr_str(op, "fused_activation_function") or "NONE"
    bounds = {"NONE": (None, None), "RELU": (0.0, None), "RELU6": (0.0, 6.0)}
    bounds["RELU_N1_TO_1"] = (-1.0, 1.0)
    if act not in bounds:
        raise LoweringError(f"int8 fused activation {act} is not supported")
    (scale,), (zp,) = qparams(op.result)
    lo_real, hi_real = bounds[act]
    lo = -128 if lo_real is None else max(-128, int(zp) + _round_away(lo_real / scale))
    hi = 127 if hi_real is None else min(127, int(zp) + _round_away(hi_real / scale))
    if (lo, hi) == (-128, 127):
        return y
    with b.loc:
        return b.op(
            "clamp",
            [y],
            y.type,
            min_val=ir.IntegerAttr.get(i8(), lo),
            max_val=ir.IntegerAttr.get(i8(), hi),
        )


def _weights(op: ir.Operation, index: int) -> tuple[np.ndarray, np.ndarray]:
    """(stored int8 weights, per-output-channel scales) of a constant quantized filter."""
    w = op.operands[index]
    producer = defining_op(w)
    if producer is None or producer.name != "tfl.pseudo_qconst":
        raise LoweringError("int8 weights must be constant")
    scales, zps = qparams(w)
    if np.any(zps != 0):
        raise LoweringError("int8 weights with non-zero zero points are not supported")
    return tfl.constant_value(producer), scales


def _bias(b: TosaBuilder, op: ir.Operation, index: int, channels: int) -> ir.Value:
    if len(op.operands) <= index or is_none(op.operands[index]):
        return b.const(np.zeros(channels, np.int32))
    producer = defining_op(op.operands[index])
    if producer is None or producer.name != "tfl.pseudo_qconst":
        raise LoweringError("int8 bias must be a constant int32 tensor")
    return b.const(tfl.constant_value(producer).astype(np.int32))


def _input(b: TosaBuilder, op: ir.Operation, index: int = 0) -> tuple[ir.Value, float, int]:
    (scale,), (zp,) = qparams(op.operands[index])
    return storage(b, op.operands[index]), float(scale), int(zp)


def lower_conv_2d(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    w, w_scales = _weights(op, 1)
    return _conv(op, b, "conv2d", b.const(w, i8()), w_scales, (w.shape[1], w.shape[2]))


def lower_depthwise_conv_2d(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    w, w_scales = _weights(op, 1)
    _, kh, kw, cm = w.shape
    c = shape_of(op.operands[0])[3]
    hwcm = b.const(np.ascontiguousarray(w.reshape(kh, kw, c, cm // c)), i8())
    return _conv(op, b, "depthwise_conv2d", hwcm, w_scales, (kh, kw))


def _conv(op, b, name, weights, w_scales, kernel) -> ir.Value:
    x, in_scale, in_zp = _input(b, op)
    (out_scale,), (out_zp,) = qparams(op.result)
    out_shape = shape_of(op.result)
    stride = (int(attr_str(op, "stride_h")), int(attr_str(op, "stride_w")))
    dilation = (int(attr_str(op, "dilation_h_factor")), int(attr_str(op, "dilation_w_factor")))
    x, pads = _windowed_input(b, op, x, kernel, stride, dilation, out_shape)
    with b.loc:
        acc = ir.TypeAttr.get(i32())
    y = b.op(
        name,
        [x, weights, _bias(b, op, 2, out_shape[3]), _zp(b, in_zp, i8()), _zp(b, 0, i8())],
        tensor(out_shape, i32()),
        pad=i64_array(pads),
        stride=i64_array(stride),
        dilation=i64_array(dilation),
        acc_type=acc,
    )
    scales = np.broadcast_to(in_scale * w_scales / out_scale, (out_shape[3],))
    return fused_activation_int8(b, op, rescale(b, y, i8(), scales, 0, int(out_zp)))


def lower_fully_connected(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    if (attr_str(op, "weights_format") or "DEFAULT") != "DEFAULT":
        raise LoweringError("shuffled fully_connected weights are not supported")
    x, in_scale, in_zp = _input(b, op)
    w, w_scales = _weights(op, 1)
    (out_scale,), (out_zp,) = qparams(op.result)
    units, depth = w.shape
    rows = int(np.prod(shape_of(x))) // depth
    a = b.reshape(x, [1, rows, depth])
    wt = b.const(np.ascontiguousarray(w.T.reshape(1, depth, units)), i8())
    y = b.op(
        "matmul", [a, wt, _zp(b, in_zp, i8()), _zp(b, 0, i8())], tensor([1, rows, units], i32())
    )
    bias = _bias(b, op, 2, units)
    y = b.binary("add", y, b.reshape(bias, [1, 1, units]), y.type)
    scales = np.broadcast_to(in_scale * w_scales / out_scale, (units,))
    y = fused_activation_int8(b, op, rescale(b, y, i8(), scales, 0, int(out_zp)))
    return b.reshape(y, shape_of(op.result))


ADD_LEFT_SHIFT = 20  # TFLite's int8 add works on inputs scaled up by 2^20


def lower_add(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    """TFLite's int8 add: both inputs to a common scale with 20 extra bits, add, requantize."""
    (x1, s1, zp1), (x2, s2, zp2) = _input(b, op, 0), _input(b, op, 1)
    (out_scale,), (out_zp,) = qparams(op.result)
    twice_max = 2 * max(s1, s2)
    rank = len(shape_of(op.result))
    terms = []
    for x, s, zp in ((x1, s1, zp1), (x2, s2, zp2)):
        # (x − zp) · 2^20 exactly, then the input's multiplier with TFLite's rounding.
        shifted = rescale(b, x, i32(), 1 << ADD_LEFT_SHIFT, zp, 0)
        terms.append(b.to_rank(rescale(b, shifted, i32(), s / twice_max), rank))
    total = b.binary("add", terms[0], terms[1], tensor(shape_of(op.result), i32()))
    out_multiplier = twice_max / ((1 << ADD_LEFT_SHIFT) * out_scale)
    return fused_activation_int8(b, op, rescale(b, total, i8(), out_multiplier, 0, int(out_zp)))


def lower_mean(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    """Sum of (x − zp) in int32, then one requantization by in_scale / (out_scale · count)."""
    x, in_scale, in_zp = _input(b, op)
    (out_scale,), (out_zp,) = qparams(op.result)
    in_shape = shape_of(x)
    axes = reduction_axes(op)
    count = int(np.prod([in_shape[a] for a in axes]))
    total = rescale(b, x, i32(), 1.0, in_zp, 0)
    for axis in axes:
        total = b.reduce("sum", total, axis)
    y = rescale(b, total, i8(), in_scale / (out_scale * count), 0, int(out_zp))
    return b.reshape(y, shape_of(op.result))


def lower_reshape(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    if not _same_params(op):
        raise LoweringError("reshape changing the quantization is not supported")
    return b.reshape(storage(b, op.operands[0]), shape_of(op.result))


def _same_params(op: ir.Operation) -> bool:
    (s1, z1), (s2, z2) = qparams(op.operands[0]), qparams(op.result)
    return np.array_equal(s1, s2) and np.array_equal(z1, z2)


LOWERINGS = {
    "tfl.conv_2d": lower_conv_2d,
    "tfl.depthwise_conv_2d": lower_depthwise_conv_2d,
    "tfl.fully_connected": lower_fully_connected,
    "tfl.add": lower_add,
    "tfl.mean": lower_mean,
    "tfl.reshape": lower_reshape,
    "tfl.squeeze": lower_reshape,
    "tfl.expand_dims": lower_reshape,
}


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
