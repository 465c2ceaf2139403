"""float32 tfl elementwise and data-movement ops → tosa ops (see lower_nn.py for the form)."""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.passes.rewrite.tfl import attr_str, const_value
from tflc.passes.tosa.build import F32_MAX, TosaBuilder, shape_of
from tflc.passes.tosa.lower_nn import LoweringError, fused_activation


def binary_lowering(name: str):
    """tfl.add/sub/mul/maximum/minimum/pow: same op in TOSA, then the fused activation."""

    def lower(op: ir.Operation, b: TosaBuilder) -> ir.Value:
        y = b.binary(name, op.operands[0], op.operands[1], op.result.type)
        return fused_activation(b, op, y) if "fused_activation_function" in op.attributes else y

    return lower


def lower_div(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    # TOSA has no float division: x · (1 / y).
    inverse = b.unary("reciprocal", op.operands[1])
    return fused_activation(b, op, b.binary("mul", op.operands[0], inverse, op.result.type))


def lower_squared_difference(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    d = b.binary("sub", op.operands[0], op.operands[1], op.result.type)
    return b.binary("mul", d, d, d.type)


def unary_lowering(name: str):
    def lower(op: ir.Operation, b: TosaBuilder) -> ir.Value:
        return b.unary(name, op.operands[0], op.result.type)

    return lower


def clamp_lowering(lo: float, hi: float):
    def lower(op: ir.Operation, b: TosaBuilder) -> ir.Value:
        return b.clamp(op.operands[0], lo, hi)

    return lower


def lower_neg(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    zp = b.zero_point(ir.F32Type.get())
    return b.op("negate", [op.operands[0], zp, b.zero_point(ir.F32Type.get())], op.result.type)


def lower_square(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    x = op.operands[0]
    return b.binary("mul", x, x, op.result.type)


def lower_sqrt(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    x = op.operands[0]
    return b.binary("pow", x, b.f32([0.5], [1] * len(shape_of(x))), op.result.type)


def lower_leaky_relu(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    alpha = float(attr_str(op, "alpha"))
    if not 0.0 <= alpha <= 1.0:
        raise LoweringError(f"leaky_relu alpha {alpha} outside [0, 1]")
    x = op.operands[0]
    scaled = b.binary("mul", x, b.f32([alpha], [1] * len(shape_of(x))), x.type)
    return b.binary("maximum", x, scaled, x.type)


def lower_hard_swish(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    """x · relu6(x + 3) / 6."""
    x = op.operands[0]
    ones = [1] * len(shape_of(x))
    gate = b.clamp(b.binary("add", x, b.f32([3.0], ones), x.type), 0.0, 6.0)
    return b.binary("mul", x, b.binary("mul", gate, b.f32([1.0 / 6.0], ones), x.type), x.type)


def lower_reshape(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    """reshape, squeeze, expand_dims: the static result shape says everything."""
    return b.reshape(op.operands[0], shape_of(op.result))


def _const_ints(op: ir.Operation, index: int, what: str) -> list[int]:
    value = const_value(op.operands[index])
    if value is None:
        raise LoweringError(f"{what} must be constant")
    return [int(v) for v in np.asarray(value).reshape(-1)]


def lower_transpose(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    return b.transpose(op.operands[0], _const_ints(op, 1, "the permutation"))


def lower_concatenation(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    axis = int(attr_str(op, "axis")) % len(shape_of(op.result))
    y = b.concat(list(op.operands), axis, op.result.type)
    return fused_activation(b, op, y)


def lower_pad(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    flat = _const_ints(op, 1, "paddings")
    value = 0.0
    if op.name == "tfl.padv2":
        c = const_value(op.operands[2])
        if c is None:
            raise LoweringError("the padding value must be constant")
        value = float(np.asarray(c).reshape(-1)[0])
    pairs = [(flat[2 * i], flat[2 * i + 1]) for i in range(len(flat) // 2)]
    return b.pad(op.operands[0], pairs, value)


def lower_slice(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    begin = _const_ints(op, 1, "begin")
    return b.slice(op.operands[0], begin, shape_of(op.result))


def _clip_index(index: int, dim: int) -> int:
    """A Python-style (negative counts from the end) slice bound, clipped to [0, dim]."""
    return min(max(index + dim if index < 0 else index, 0), dim)


def lower_strided_slice(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    """Positive strides: a slice, then per strided axis a pad to a multiple of the stride, a
    reshape splitting the axis as [count, stride] and a slice of phase 0. Shrunk axes are
    sliced to size 1 and reshaped away."""
    shape = shape_of(op.operands[0])
    begin, end = _const_ints(op, 1, "begin"), _const_ints(op, 2, "end")
    strides = _const_ints(op, 3, "strides")
    if 0 in strides:
        raise LoweringError("strided_slice with a zero stride")
    masks = {m: int(attr_str(op, m) or 0) for m in ("begin_mask", "end_mask", "shrink_axis_mask")}
    if int(attr_str(op, "ellipsis_mask") or 0) or int(attr_str(op, "new_axis_mask") or 0):
        raise LoweringError("strided_slice with ellipsis or new axes is not supported")
    x = op.operands[0]
    start, size, step = [], [], []
    for i, dim in enumerate(shape):
        if i >= len(begin):
            start.append(0)
            size.append(dim)
            step.append(1)
            continue
        shrink = masks["shrink_axis_mask"] >> i & 1
        lo, hi = _bounds(begin[i], end[i], strides[i], dim, masks, i)
        if strides[i] < 0:
            # Walk the reversed axis forwards: index j there is dim − 1 − j here.
            x = b.op("reverse", [x], x.type, axis=_i32(i))
            lo, hi = dim - 1 - lo, dim - 1 - hi
        if shrink:
            hi = lo + 1
        start.append(lo)
        size.append(max(hi - lo, 0))
        step.append(abs(strides[i]) if size[-1] > 1 else 1)
    y = b.slice(x, start, size)
    for axis, s in enumerate(step):
        if s > 1:
            y = _every_nth(b, y, axis, s)
    return b.reshape(y, shape_of(op.result))


def _clip_backward_index(index: int, dim: int) -> int:
    """A slice bound for a negative stride, clipped to [-1, dim - 1] (-1: before element 0)."""
    return min(max(index + dim if index < 0 else index, -1), dim - 1)


def _bounds(begin: int, end: int, stride: int, dim: int, masks: dict, i: int) -> tuple[int, int]:
    """TensorFlow's [first, stop) along axis `i`, stop exclusive in the stride's direction."""
    if stride > 0:
        lo = 0 if masks["begin_mask"] >> i & 1 else _clip_index(begin, dim)
        hi = dim if masks["end_mask"] >> i & 1 else _clip_index(end, dim)
        return lo, hi
    lo = dim - 1 if masks["begin_mask"] >> i & 1 else _clip_backward_index(begin, dim)
    hi = -1 if masks["end_mask"] >> i & 1 else _clip_backward_index(end, dim)
    return lo, hi


def _i32(value: int) -> ir.Attribute:
    return ir.IntegerAttr.get(ir.IntegerType.get_signless(32), value)


def _every_nth(b: TosaBuilder, x: ir.Value, axis: int, stride: int) -> ir.Value:
    """Elements 0, stride, 2·stride, ... of `axis`."""
    shape = shape_of(x)
    count = -(-shape[axis] // stride)
    pads = [(0, 0)] * len(shape)
    pads[axis] = (0, count * stride - shape[axis])
    if pads[axis][1]:
        x = b.pad(x, pads)
    split = [*shape[:axis], count, stride, *shape[axis + 1 :]]
    x = b.reshape(x, split)
    picked = b.slice(x, [0] * len(split), [*split[: axis + 1], 1, *split[axis + 2 :]])
    return b.reshape(picked, [*shape[:axis], count, *shape[axis + 1 :]])


def lower_depth_to_space(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    """Channel (by·bs + bx)·C + c moves to pixel (y·bs + by, x·bs + bx): TFLite's DCR order."""
    bs = int(attr_str(op, "block_size"))
    n, h, w, c = shape_of(op.operands[0])
    split = b.reshape(op.operands[0], [n, h, w, bs, bs, c // (bs * bs)])
    return b.reshape(b.transpose(split, [0, 1, 3, 2, 4, 5]), shape_of(op.result))


def lower_space_to_depth(op: ir.Operation, b: TosaBuilder) -> ir.Value:
    bs = int(attr_str(op, "block_size"))
    n, h, w, c = shape_of(op.operands[0])
    split = b.reshape(op.operands[0], [n, h // bs, bs, w // bs, bs, c])
    return b.reshape(b.transpose(split, [0, 1, 3, 2, 4, 5]), shape_of(op.result))


def relu_bounds() -> dict[str, tuple[float, float]]:
    return {
        "tfl.relu": (0.0, F32_MAX),
        "tfl.relu6": (0.0, 6.0),
        "tfl.relu_n1_to_1": (-1.0, 1.0),
        "tfl.relu_0_to_1": (0.0, 1.0),
    }
