"""int8 tfl ops (`!quant.uniform` tensors) → tosa ops on their storage types (see
quant.py for the requantization and the casts). Each `lower_*` returns the i8 value that
replaces the op's result.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.dialects import tfl
from tflc.passes.rewrite.tfl import attr_str, defining_op, is_none
from tflc.passes.tosa.build import TosaBuilder, i64_array, shape_of, tensor
from tflc.passes.tosa.lower_nn import LoweringError, _windowed_input, reduction_axes
from tflc.passes.tosa.quant import (
    clamp_real,
    fused_activation_int8,
    i8,
    i32,
    is_quantized,
    qparams,
    rescale,
    storage,
    storage_type,
    zero_point,
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
        [
            x,
            weights,
            _bias(b, op, 2, out_shape[3]),
            zero_point(b, in_zp, i8()),
            zero_point(b, 0, i8()),
        ],
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
        "matmul",
        [a, wt, zero_point(b, in_zp, i8()), zero_point(b, 0, i8())],
        tensor([1, rows, units], i32()),
    )
    bias = _bias(b, op, 2, units)
    y = b.binary("add", y, b.reshape(bias, [1, 1, units]), y.type)
    scales = np.broadcast_to(in_scale * w_scales / out_scale, (units,))
    y = fused_activation_int8(b, op, rescale(b, y, i8(), scales, 0, int(out_zp)))
    return b.reshape(y, shape_of(op.result))


ADD_LEFT_SHIFT = 20  # TFLite's int8 add works on inputs scaled up by 2^20


def lower_add(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    """TFLite's int8 add and sub: both inputs to a common scale with 20 extra bits, add or
    subtract, requantize."""
    (x1, s1, zp1), (x2, s2, zp2) = _input(b, op, 0), _input(b, op, 1)
    (out_scale,), (out_zp,) = qparams(op.result)
    twice_max = 2 * max(s1, s2)
    rank = len(shape_of(op.result))
    terms = []
    for x, s, zp in ((x1, s1, zp1), (x2, s2, zp2)):
        # (x − zp) · 2^20 exactly, then the input's multiplier with TFLite's rounding.
        shifted = rescale(b, x, i32(), 1 << ADD_LEFT_SHIFT, zp, 0)
        terms.append(b.to_rank(rescale(b, shifted, i32(), s / twice_max), rank))
    name = "sub" if op.name == "tfl.sub" else "add"
    total = b.binary(name, terms[0], terms[1], tensor(shape_of(op.result), i32()))
    out_multiplier = twice_max / ((1 << ADD_LEFT_SHIFT) * out_scale)
    return fused_activation_int8(b, op, rescale(b, total, i8(), out_multiplier, 0, int(out_zp)))


def lower_mul(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    """(x1 − zp1)·(x2 − zp2) in int32, requantized by s1·s2 / s_out."""
    (x1, s1, zp1), (x2, s2, zp2) = _input(b, op, 0), _input(b, op, 1)
    (out_scale,), (out_zp,) = qparams(op.result)
    wide = [rescale(b, x, i32(), 1.0, zp, 0) for x, zp in ((x1, zp1), (x2, zp2))]
    product = b.binary("mul", wide[0], wide[1], tensor(shape_of(op.result), i32()))
    y = rescale(b, product, i8(), s1 * s2 / out_scale, 0, int(out_zp))
    return fused_activation_int8(b, op, y)


def lower_quantize(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    """float32 → int8, or int8 → int8 in other parameters."""
    if is_quantized(op.operands[0]):
        return requantize_to_result(b, op, op.operands[0])
    return quantized(b, op.operands[0], op.result)


def lower_dequantize(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    return dequantized(b, op.operands[0])


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
    if not _same_params_as_result(op, op.operands[0]):
        raise LoweringError("reshape changing the quantization is not supported")
    return b.reshape(storage(b, op.operands[0]), shape_of(op.result))


def _same_params_as_result(op: ir.Operation, operand: ir.Value) -> bool:
    (s1, z1), (s2, z2) = qparams(operand), qparams(op.result)
    return np.array_equal(s1, s2) and np.array_equal(z1, z2)


def requantize_to_result(b: TosaBuilder, op: ir.Operation, operand: ir.Value) -> ir.Value:
    """An i8 operand in the result's scale and zero point (as is when they already agree)."""
    x = storage(b, operand)
    if _same_params_as_result(op, operand):
        return x
    (s_in,), (zp_in,) = qparams(operand)
    (s_out,), (zp_out,) = qparams(op.result)
    return rescale(b, x, i8(), s_in / s_out, int(zp_in), int(zp_out))


def _pool(op: ir.Operation, b: TosaBuilder, name: str) -> ir.Value:
    if not _same_params_as_result(op, op.operands[0]):
        raise LoweringError("int8 pooling that changes the quantization is not supported")
    x, _, zp = _input(b, op)
    kernel = (int(attr_str(op, "filter_height")), int(attr_str(op, "filter_width")))
    stride = (int(attr_str(op, "stride_h")), int(attr_str(op, "stride_w")))
    x, pads = _windowed_input(b, op, x, kernel, stride, (1, 1), shape_of(op.result))
    attrs = {"kernel": i64_array(kernel), "stride": i64_array(stride), "pad": i64_array(pads)}
    operands = [x]
    if name == "avg_pool2d":
        operands += [zero_point(b, zp, i8()), zero_point(b, zp, i8())]
        with b.loc:
            attrs["acc_type"] = ir.TypeAttr.get(i32())
    y = b.op(name, operands, storage_type(op.result.type), **attrs)
    return fused_activation_int8(b, op, y)


def lower_average_pool_2d(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    return _pool(op, b, "avg_pool2d")


def lower_max_pool_2d(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    return _pool(op, b, "max_pool2d")


def lower_concatenation(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    axis = int(attr_str(op, "axis")) % len(shape_of(op.result))
    inputs = [requantize_to_result(b, op, v) for v in op.operands]
    y = b.concat(inputs, axis, storage_type(op.result.type))
    return fused_activation_int8(b, op, y)


def relu_lowering(lo: float | None, hi: float | None):
    """Requantize to the result's parameters, then clamp to [lo, hi] in real terms."""

    def lower(op: ir.Operation, b: TosaBuilder) -> ir.Value:
        return clamp_real(b, requantize_to_result(b, op, op.operands[0]), op.result, lo, hi)

    return lower


def dequantized(b: TosaBuilder, value: ir.Value) -> ir.Value:
    """(x − zp) · scale in float32."""
    (scale,), (zp,) = qparams(value)
    x = b.op("cast", [storage(b, value)], tensor(shape_of(value), ir.F32Type.get()))
    ones = [1] * len(shape_of(value))
    centered = b.binary("sub", x, b.f32([float(zp)], ones), x.type)
    return b.binary("mul", centered, b.f32([float(scale)], ones), x.type)


def quantized(b: TosaBuilder, x: ir.Value, like: ir.Value) -> ir.Value:
    """round(x / scale) + zp, saturated to int8 (TOSA's float→int cast rounds to nearest)."""
    (scale,), (zp,) = qparams(like)
    ones = [1] * len(shape_of(x))
    scaled = b.binary("mul", x, b.f32([1.0 / float(scale)], ones), x.type)
    shifted = b.binary("add", scaled, b.f32([float(zp)], ones), x.type)
    return b.op("cast", [shifted], storage_type(like.type))


LOWERINGS = {
    "tfl.average_pool_2d": lower_average_pool_2d,
    "tfl.max_pool_2d": lower_max_pool_2d,
    "tfl.concatenation": lower_concatenation,
    "tfl.relu": relu_lowering(0.0, None),
    "tfl.relu6": relu_lowering(0.0, 6.0),
    "tfl.relu_n1_to_1": relu_lowering(-1.0, 1.0),
    "tfl.sub": lower_add,
    "tfl.mul": lower_mul,
    "tfl.quantize": lower_quantize,
    "tfl.dequantize": lower_dequantize,
    "tfl.conv_2d": lower_conv_2d,
    "tfl.depthwise_conv_2d": lower_depthwise_conv_2d,
    "tfl.fully_connected": lower_fully_connected,
    "tfl.add": lower_add,
    "tfl.mean": lower_mean,
    "tfl.reshape": lower_reshape,
    "tfl.squeeze": lower_reshape,
    "tfl.expand_dims": lower_reshape,
}
