"""float32 tfl convolutions, pools, fully_connected, reductions and softmax → tosa ops.

Each `lower_*` takes the tfl op and a `TosaBuilder` placed before it and returns the value that
replaces its result. Layouts already agree: tfl and TOSA are both NHWC with OHWI conv filters;
only the depthwise filter (tfl 1HW(C·M), TOSA HWCM) and the fully_connected weights (tfl OI,
`tosa.matmul` wants batch × I × O) are rearranged, at compile time when they are constants.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.passes.rewrite.tfl import attr_str, const_value, is_none
from tflc.passes.tosa.build import F32_MAX, TosaBuilder, i64_array, shape_of, tensor
from tflc.runtime.kernels.geometry import conv_axis, effective_kernel

# fused_activation_function → clamp bounds (TANH is a separate op).
_CLAMPS = {"RELU": (0.0, F32_MAX), "RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0)}


class LoweringError(Exception):
    """Raised by a `lower_*` for an op form it cannot lower; the pass adds the op's location."""


def fused_activation(b: TosaBuilder, op: ir.Operation, x: ir.Value) -> ir.Value:
    act = attr_str(op, "fused_activation_function") or "NONE"
    if act == "NONE":
        return x
    if act in _CLAMPS:
        return b.clamp(x, *_CLAMPS[act])
    if act == "TANH":
        return b.unary("tanh", x)
    raise LoweringError(f"fused activation {act} is not supported")


def window_pads(size: int, kernel: int, stride: int, dilation: int, padding: str, out: int):
    """(pad before, pad after, input rows to drop at the end) for one spatial axis.

    TOSA requires the padded input to end exactly where the last window ends; TFLite's SAME
    padding (and VALID with a stride that does not divide) may leave rows no window reads.
    """
    _, lo, hi = conv_axis(padding, size, kernel, stride, dilation)
    needed = (out - 1) * stride + effective_kernel(kernel, dilation)
    excess = size + lo + hi - needed
    trim = min(excess, hi)
    return lo, hi - trim, excess - trim


def _windowed_input(b, op, x, kernel_hw, stride_hw, dilation_hw, out_shape):
    """The (possibly sliced) NHWC input and TOSA's [top, bottom, left, right] pads."""
    padding = attr_str(op, "padding")
    n, h, w, c = shape_of(x)
    pads, drop = [], []
    for size, k, s, d, o in zip(
        (h, w), kernel_hw, stride_hw, dilation_hw, out_shape[1:3], strict=True
    ):
        lo, hi, excess = window_pads(size, k, s, d, padding, o)
        pads += [lo, hi]
        drop.append(excess)
    if any(drop):
        x = b.slice(x, [0, 0, 0, 0], [n, h - drop[0], w - drop[1], c])
    return x, pads


def _weights(b: TosaBuilder, value: ir.Value, rearrange, rearrange_ops) -> ir.Value:
    """A rearranged constant when `value` is one, else the same rearrangement as tosa ops."""
    const = const_value(value)
    if const is not None and const.dtype == np.float32:
        return b.f32(rearrange(const))
    return rearrange_ops(value)


def _bias(b: TosaBuilder, op: ir.Operation, channels: int) -> ir.Value:
    if len(op.operands) < 3 or is_none(op.operands[2]):
        return b.f32(np.zeros(channels, np.float32))
    return op.operands[2]


def _int(op: ir.Operation, name: str) -> int:
    return int(attr_str(op, name))


def lower_conv_2d(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    return _conv(op, b, "conv2d", op.operands[1])


def lower_depthwise_conv_2d(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    _, kh, kw, cm = shape_of(op.operands[1])
    c = shape_of(op.operands[0])[3]
    hwcm = [kh, kw, c, cm // c]
    weights = _weights(b, op.operands[1], lambda w: w.reshape(hwcm), lambda v: b.reshape(v, hwcm))
    return _conv(op, b, "depthwise_conv2d", weights)


def _conv(op: ir.Operation, b: TosaBuilder, name: str, weights: ir.Value) -> ir.Value:
    out_type = op.result.type
    out_shape = shape_of(op.result)
    ws = shape_of(weights)
    kernel = (ws[1], ws[2]) if name == "conv2d" else (ws[0], ws[1])
    stride = (_int(op, "stride_h"), _int(op, "stride_w"))
    dilation = (_int(op, "dilation_h_factor"), _int(op, "dilation_w_factor"))
    x, pads = _windowed_input(b, op, op.operands[0], kernel, stride, dilation, out_shape)
    zp = b.zero_point(ir.F32Type.get())
    with b.loc:
        acc = ir.TypeAttr.get(ir.F32Type.get())
    y = b.op(
        name,
        [x, weights, _bias(b, op, out_shape[3]), zp, b.zero_point(ir.F32Type.get())],
        out_type,
        pad=i64_array(pads),
        stride=i64_array(stride),
        dilation=i64_array(dilation),
        acc_type=acc,
    )
    return fused_activation(b, op, y)


def lower_average_pool_2d(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    return _pool(op, b, "avg_pool2d")


def lower_max_pool_2d(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    return _pool(op, b, "max_pool2d")


def _pool(op: ir.Operation, b: TosaBuilder, name: str) -> ir.Value:
    kernel = (_int(op, "filter_height"), _int(op, "filter_width"))
    stride = (_int(op, "stride_h"), _int(op, "stride_w"))
    x, pads = _windowed_input(b, op, op.operands[0], kernel, stride, (1, 1), shape_of(op.result))
    limits = [kernel[0], kernel[0], kernel[1], kernel[1]]  # TOSA: a pad must be < the window
    if any(p >= k for p, k in zip(pads, limits, strict=True)):
        raise LoweringError("padding as large as the pooling window")
    attrs = {"kernel": i64_array(kernel), "stride": i64_array(stride), "pad": i64_array(pads)}
    operands = [x]
    if name == "avg_pool2d":
        # TOSA's average divides by the count of unpadded elements, as TFLite does.
        operands += [b.zero_point(ir.F32Type.get()), b.zero_point(ir.F32Type.get())]
        with b.loc:
            attrs["acc_type"] = ir.TypeAttr.get(ir.F32Type.get())
    y = b.op(name, operands, op.result.type, **attrs)
    return fused_activation(b, op, y)


def lower_fully_connected(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    if (attr_str(op, "weights_format") or "DEFAULT") != "DEFAULT":
        raise LoweringError("shuffled fully_connected weights are not supported")
    x, w = op.operands[0], op.operands[1]
    out_units, depth = shape_of(w)
    rows = int(np.prod(shape_of(x))) // depth
    a = b.reshape(x, [1, rows, depth])
    weights = _weights(
        b,
        w,
        lambda v: v.T.reshape(1, depth, out_units),
        lambda v: b.reshape(b.transpose(v, [1, 0]), [1, depth, out_units]),
    )
    zp = b.zero_point(ir.F32Type.get())
    y = b.op(
        "matmul",
        [a, weights, zp, b.zero_point(ir.F32Type.get())],
        tensor([1, rows, out_units], ir.F32Type.get()),
    )
    if len(op.operands) >= 3 and not is_none(op.operands[2]):
        bias = _weights(
            b,
            op.operands[2],
            lambda v: v.reshape(1, 1, out_units),
            lambda v: b.reshape(v, [1, 1, out_units]),
        )
        y = b.binary("add", y, bias, y.type)
    return b.reshape(fused_activation(b, op, y), shape_of(op.result))


def reduction_axes(op: ir.Operation) -> list[int]:
    axes = const_value(op.operands[1])
    if axes is None:
        raise LoweringError("reduction axes must be constant")
    rank = len(shape_of(op.operands[0]))
    return sorted({int(a) % rank for a in np.asarray(axes).reshape(-1)})


def _reduce(op: ir.Operation, b: TosaBuilder, name: str) -> ir.Value:
    x = op.operands[0]
    for axis in reduction_axes(op):
        x = b.reduce(name, x, axis)
    return x


def lower_mean(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    in_shape = shape_of(op.operands[0])
    count = int(np.prod([in_shape[a] for a in reduction_axes(op)]))
    total = _reduce(op, b, "sum")
    scale = b.f32([1.0 / count], [1] * len(in_shape))
    mean = b.binary("mul", total, scale, total.type)
    return b.reshape(mean, shape_of(op.result))


def reduction_lowering(name: str):
    def lower(op: ir.Operation, b: TosaBuilder) -> ir.Value:
        return b.reshape(_reduce(op, b, name), shape_of(op.result))

    return lower


def lower_softmax(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    return softmax(b, op.operands[0], float(attr_str(op, "beta") or 1.0))


def softmax(b: TosaBuilder, x: ir.Value, beta: float) -> ir.Value:
    """exp(beta·(x − max)) / sum, over the last axis."""
    axis = len(shape_of(x)) - 1
    if beta != 1.0:
        x = b.binary("mul", x, b.f32([beta], [1] * (axis + 1)), x.type)
    shifted = b.binary("sub", x, b.reduce("max", x, axis), x.type)
    e = b.unary("exp", shifted)
    total = b.reduce("sum", e, axis)
    return b.binary("mul", e, b.unary("reciprocal", total), x.type)
