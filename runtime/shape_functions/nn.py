"""Shape functions of the window and matrix ops: convolutions, pooling, fully connected,
batch matmul, and the NHWC layout ops."""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernels.geometry import conv_axis
from tflc.runtime.shape_inference import (
    OpView,
    Shape,
    ShapeError,
    broadcast,
    const_ints,
    shape_function,
)


def _nhwc(v: OpView, i: int = 0) -> Shape:
    shape = v.shape(i)
    if len(shape) != 4:
        raise ShapeError(f"input {i} has rank {len(shape)}, expected 4 (NHWC)")
    return shape


def _window(v: OpView, size: Shape, kernel: tuple[int, int], dilated: bool) -> tuple[int, int]:
    padding = v.option("padding", "VALID")
    strides = v.positive("stride_h"), v.positive("stride_w")
    dilations = (
        (v.positive("dilation_h_factor"), v.positive("dilation_w_factor")) if dilated else (1, 1)
    )
    return tuple(
        conv_axis(padding, size[a], kernel[a], strides[a], dilations[a]).out for a in (0, 1)
    )


@shape_function("CONV_2D")
def _conv_2d(v: OpView) -> list[Shape]:
    n, h, w, c = _nhwc(v)
    filt = v.shape(1)
    if len(filt) != 4:
        raise ShapeError(f"filter has rank {len(filt)}, expected 4")
    if filt[3] < 1 or c % filt[3]:
        raise ShapeError(f"filter depth {filt[3]} does not divide input depth {c}")
    oh, ow = _window(v, (h, w), (filt[1], filt[2]), dilated=True)
    return [(n, oh, ow, filt[0])]


@shape_function("DEPTHWISE_CONV_2D")
def _depthwise_conv_2d(v: OpView) -> list[Shape]:
    n, h, w, c = _nhwc(v)
    filt = v.shape(1)
    if len(filt) != 4 or filt[0] != 1:
        raise ShapeError(f"filter shape {list(filt)} is not [1, height, width, channels]")
    if c < 1 or filt[3] % c:
        raise ShapeError(f"filter channels {filt[3]} are not a multiple of input depth {c}")
    oh, ow = _window(v, (h, w), (filt[1], filt[2]), dilated=True)
    return [(n, oh, ow, filt[3])]


@shape_function("CONV_3D")
def _conv_3d(v: OpView) -> list[Shape]:
    x, filt = v.shape(0), v.shape(1)
    if len(x) != 5 or len(filt) != 5:
        raise ShapeError(f"input rank {len(x)} and filter rank {len(filt)}: both must be 5 (NDHWC)")
    if filt[3] < 1 or x[4] % filt[3]:
        raise ShapeError(f"filter depth {filt[3]} does not divide input depth {x[4]}")
    padding = v.option("padding", "SAME")
    out = [
        conv_axis(
            padding,
            x[1 + a],
            filt[a],
            v.positive(f"stride_{d}"),
            v.positive(f"dilation_{d}_factor"),
        ).out
        for a, d in enumerate("dhw")
    ]
    return [(x[0], *out, filt[4])]


@shape_function("AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D")
def _pool_2d(v: OpView) -> list[Shape]:
    n, h, w, c = _nhwc(v)
    kernel = v.positive("filter_height"), v.positive("filter_width")
    oh, ow = _window(v, (h, w), kernel, dilated=False)
    return [(n, oh, ow, c)]


@shape_function("TRANSPOSE_CONV", "CONV_3D_TRANSPOSE")
def _transpose_conv(v: OpView) -> list[Shape] | None:
    out = const_ints(v, 0)
    return None if out is None else [tuple(out)]


@shape_function("FULLY_CONNECTED")
def _fully_connected(v: OpView) -> list[Shape] | None:
    x, weights = v.shape(0), v.shape(1)
    if len(weights) != 2:
        raise ShapeError(f"weights have rank {len(weights)}, expected 2")
    units, depth = weights
    if depth < 1 or not x:
        raise ShapeError(f"weights depth {depth} and input rank {len(x)} must be positive")
    if v.option("keep_num_dims", False):
        if x[-1] != depth:
            raise ShapeError(f"input depth {x[-1]} does not match weights depth {depth}")
        return [(*x[:-1], units)]
    size = int(np.prod(x))
    if size % depth:
        raise ShapeError(f"input of {size} elements is not a whole number of rows of {depth}")
    return [(size // depth, units)]


@shape_function("BATCH_MATMUL")
def _batch_matmul(v: OpView) -> list[Shape]:
    a, b = v.shape(0), v.shape(1)
    if len(a) < 2 or len(b) < 2:
        raise ShapeError(f"operands of rank {len(a)} and {len(b)}: both need rank 2 or more")
    m, ka = (a[-1], a[-2]) if v.option("adj_x", False) else (a[-2], a[-1])
    kb, n = (b[-1], b[-2]) if v.option("adj_y", False) else (b[-2], b[-1])
    if ka != kb:
        raise ShapeError(f"inner dimensions {ka} and {kb} differ")
    return [(*broadcast(a[:-2], b[:-2]), m, n)]


@shape_function("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR")
def _resize(v: OpView) -> list[Shape] | None:
    size = const_ints(v, 1)
    if size is None:
        return None
    n, _, _, c = _nhwc(v)
    if len(size) != 2 or min(size) < 1:
        raise ShapeError(f"size {size} is not [height, width]")
    return [(n, size[0], size[1], c)]


@shape_function("DEPTH_TO_SPACE", "SPACE_TO_DEPTH")
def _depth_space(v: OpView) -> list[Shape]:
    n, h, w, c = _nhwc(v)
    b = v.positive("block_size")
    if v.op == "DEPTH_TO_SPACE":
        if c % (b * b):
            raise ShapeError(f"depth {c} is not a multiple of block_size^2 = {b * b}")
        return [(n, h * b, w * b, c // (b * b))]
    if h % b or w % b:
        raise ShapeError(f"height {h} and width {w} are not multiples of block_size {b}")
    return [(n, h // b, w // b, c * b * b)]


@shape_function("REDUCE_WINDOW")
def _reduce_window(v: OpView) -> list[Shape] | None:
    x = v.shape(0)
    window, strides, dilations = (const_ints(v, i) for i in (2, 3, 4))
    if window is None or strides is None or dilations is None:
        return None
    if not len(window) == len(strides) == len(dilations) == len(x):
        raise ShapeError(
            f"window {window}, strides {strides} and dilations {dilations} need {len(x)} values each"
        )
    if min([*window, *strides, *dilations], default=1) < 1:
        raise ShapeError(
            f"window {window}, strides {strides} and dilations {dilations} must be positive"
        )
    out = []
    for n, w, s, d in zip(x, window, strides, dilations, strict=True):
        span = (w - 1) * d + 1
        if span > n:
            raise ShapeError(f"a window spanning {span} does not fit a dimension of {n}")
        out.append((n - span) // s + 1)
    return [tuple(out)]
