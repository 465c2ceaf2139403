"""More float32 tfl ops → tosa: the corpus's transformer, activation and tensor-op models and the
float16-weight mediapipe models (see lower_nn.py for the form)."""

from __future__ import annotations

import math

import numpy as np
from mlir import ir
from tflc.passes.rewrite.tfl import attr_str, const_value, is_none
from tflc.passes.tosa.build import F32_MAX, TosaBuilder, i64_array, shape_of, tensor
from tflc.passes.tosa.lower_nn import LoweringError, fused_activation
from tflc.runtime.kernels.geometry import conv_axis


def lower_dequantize(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    """float16 → float32 (fp16 weights); quantized inputs are not lowered yet."""
    x = op.operands[0]
    if not isinstance(ir.RankedTensorType(x.type).element_type, ir.F16Type):
        raise LoweringError(f"dequantize of {x.type} is not supported")
    value = const_value(x)
    if value is not None:
        return b.f32(value.astype(np.float32))
    return b.op("cast", [x], op.result.type)


def _ones(x: ir.Value) -> list[int]:
    return [1] * len(shape_of(x))


def lower_prelu(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    """max(x, 0) + alpha · min(x, 0)."""
    x, alpha = op.operands
    positive = b.clamp(x, 0.0, F32_MAX)
    negative = b.clamp(x, -F32_MAX, 0.0)
    return b.binary("add", positive, b.binary("mul", alpha, negative, x.type), x.type)


def lower_elu(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    """x > 0 ? x : exp(x) − 1."""
    x = op.operands[0]
    below = b.binary("sub", b.unary("exp", x), b.f32([1.0], _ones(x)), x.type)
    bool_type = tensor(shape_of(x), ir.IntegerType.get_signless(1))
    positive = b.binary("greater", x, b.f32([0.0], _ones(x)), bool_type)
    return b.op("select", [positive, x, below], x.type)


def lower_gelu(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    """0.5 · x · (1 + erf(x / √2)), or TFLite's tanh approximation when `approximate`."""
    x = op.operands[0]
    ones = _ones(x)

    def scaled(v: ir.Value, c: float) -> ir.Value:
        return b.binary("mul", v, b.f32([c], ones), x.type)

    if attr_str(op, "approximate"):
        cube = b.binary("mul", x, b.binary("mul", x, x, x.type), x.type)
        inner = scaled(b.binary("add", x, scaled(cube, 0.044715), x.type), math.sqrt(2 / math.pi))
        gate = b.unary("tanh", inner)
    else:
        gate = b.op("erf", [scaled(x, 1 / math.sqrt(2))], x.type)
    one_plus = b.binary("add", gate, b.f32([1.0], ones), x.type)
    return b.binary("mul", scaled(x, 0.5), one_plus, x.type)


def _const_ints(op: ir.Operation, index: int, what: str) -> list[int]:
    value = const_value(op.operands[index])
    if value is None:
        raise LoweringError(f"{what} must be constant")
    return [int(v) for v in np.asarray(value).reshape(-1)]


def lower_tile(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    multiples = _const_ints(op, 1, "multiples")
    return b.op("tile", [op.operands[0], b.shape(multiples)], op.result.type)


def lower_split(op: ir.Operation, b: TosaBuilder) -> list[ir.Value]:
    x = op.operands[1]
    shape = shape_of(x)
    axis = _const_ints(op, 0, "the split axis")[0] % len(shape)
    outputs, offset = [], 0
    for result in op.results:
        size = shape_of(result)
        start = [0] * len(shape)
        start[axis] = offset
        outputs.append(b.slice(x, start, size))
        offset += size[axis]
    return outputs


def lower_gather(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    """Constant indices on one axis: tosa.gather on [outer, axis, inner] with the indices
    repeated per outer row."""
    if int(attr_str(op, "batch_dims") or 0):
        raise LoweringError("gather with batch_dims is not supported")
    x = op.operands[0]
    shape = shape_of(x)
    axis = int(attr_str(op, "axis")) % len(shape)
    indices = const_value(op.operands[1])
    if indices is None:
        raise LoweringError("gather indices must be constant")
    flat = np.asarray(indices).reshape(-1).astype(np.int64) % shape[axis]
    outer, inner = int(np.prod(shape[:axis])), int(np.prod(shape[axis + 1 :]))
    values = b.reshape(x, [outer, shape[axis], inner])
    rows = np.broadcast_to(flat.astype(np.int32), (outer, flat.size))
    index = b.const(np.ascontiguousarray(rows))
    y = b.op("gather", [values, index], tensor([outer, flat.size, inner], ir.F32Type.get()))
    return b.reshape(y, shape_of(op.result))


def lower_batch_matmul(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    """[..., M, K] × [..., K, N] with the same (or a unit) batch on both sides → tosa.matmul."""
    x, y = op.operands[0], op.operands[1]
    xs, ys = shape_of(x), shape_of(y)
    if attr_str(op, "adj_x"):
        x = b.transpose(x, [*range(len(xs) - 2), len(xs) - 1, len(xs) - 2])
        xs = shape_of(x)
    if attr_str(op, "adj_y"):
        y = b.transpose(y, [*range(len(ys) - 2), len(ys) - 1, len(ys) - 2])
        ys = shape_of(y)
    bx, by = int(np.prod(xs[:-2])), int(np.prod(ys[:-2]))
    if bx != by and by != 1:
        raise LoweringError("batch_matmul broadcasting the left operand is not supported")
    (m, k), n = xs[-2:], ys[-1]
    a = b.reshape(x, [bx, m, k])
    w = b.reshape(y, [by, k, n])
    if by != bx:
        w = b.op("tile", [w, b.shape([bx, 1, 1])], tensor([bx, k, n], ir.F32Type.get()))
    zp = b.zero_point(ir.F32Type.get())
    out = b.op(
        "matmul",
        [a, w, zp, b.zero_point(ir.F32Type.get())],
        tensor([bx, m, n], ir.F32Type.get()),
    )
    return b.reshape(out, shape_of(op.result))


def lower_transpose_conv(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    """TFLite's (output_shape, OHWI filter, input, bias?) → tosa.transpose_conv2d; SAME padding
    becomes negative output padding (TOSA crops the full transposed result)."""
    weights, x = op.operands[1], op.operands[2]
    out_shape = shape_of(op.result)
    oc, kh, kw, _ = shape_of(weights)
    stride = (int(attr_str(op, "stride_h")), int(attr_str(op, "stride_w")))
    padding = attr_str(op, "padding")
    out_pad = []
    for size, k, s, o in zip(shape_of(x)[1:3], (kh, kw), stride, out_shape[1:3], strict=True):
        # TFLite pads as the forward conv from the `o`-sized output back to the input.
        lo = conv_axis(padding, o, k, s).before
        hi = (size - 1) * s + k - lo - o  # cropped at the end (negative: zeros appended)
        out_pad += [-lo, -hi]
    bias = (
        op.operands[3]
        if len(op.operands) > 3 and not is_none(op.operands[3])
        else b.f32(np.zeros(oc, np.float32))
    )
    zp = b.zero_point(ir.F32Type.get())
    with b.loc:
        acc = ir.TypeAttr.get(ir.F32Type.get())
    y = b.op(
        "transpose_conv2d",
        [x, weights, bias, zp, b.zero_point(ir.F32Type.get())],
        op.result.type,
        out_pad=i64_array(out_pad),
        stride=i64_array(stride),
        acc_type=acc,
    )
    return fused_activation(b, op, y)


def resize_lowering(mode: str):
    """tfl.resize_bilinear / resize_nearest_neighbor → tosa.resize, whose input coordinate is
    (out · scale_d + offset) / scale_n per axis; border makes the output size exact."""

    def lower(op: ir.Operation, b: TosaBuilder) -> ir.Value:
        x = op.operands[0]
        in_hw, out_hw = shape_of(x)[1:3], shape_of(op.result)[1:3]
        align = bool(attr_str(op, "align_corners"))
        half_pixel = bool(attr_str(op, "half_pixel_centers"))
        if mode == "NEAREST_NEIGHBOR" and align:
            raise LoweringError("nearest-neighbor resize with align_corners is not supported")
        scale, offset, border = [], [], []
        for i, o in zip(in_hw, out_hw, strict=True):
            if align and o > 1:
                n, d, off = 2 * (o - 1), 2 * (i - 1), 0
            else:
                # half pixel: in = (out + 1/2) · i/o − 1/2 = (2·out·i + i − o) / (2·o)
                n, d, off = 2 * o, 2 * i, (i - o if half_pixel else 0)
            scale += [n, d]
            offset.append(off)
            border.append((o - 1) * d - (i - 1) * n + off)
        with b.loc:
            mode_attr = ir.Attribute.parse(f"#tosa.resize_mode<{mode}>")
        operands = [x, b.shape(scale), b.shape(offset), b.shape(border)]
        return b.op("resize", operands, op.result.type, mode=mode_attr)

    return lower
