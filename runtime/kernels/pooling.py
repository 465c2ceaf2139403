"""AVERAGE_POOL_2D, MAX_POOL_2D and L2_POOL_2D over NHWC tensors (float and quantized).

Windows are strided views of the padded input; TFLite averages only over the elements inside
the image, so padding never counts.
"""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.common import float_activation, pad_hw, patches
from tflc.runtime.kernels.geometry import conv_axis
from tflc.runtime.kernels.node import Node, scale_zp
from tflc.runtime.kernels.quant_math import activation_range_quantized


def _geometry(node: Node, shape):
    o = node.options
    kh, kw = o.get("filter_height", 1), o.get("filter_width", 1)
    sh, sw = o.get("stride_h", 1), o.get("stride_w", 1)
    padding = o.get("padding", "SAME")
    oh, top, bottom = conv_axis(padding, shape[1], kh, sh)
    ow, left, right = conv_axis(padding, shape[2], kw, sw)
    return (kh, kw), (sh, sw), (oh, ow), (top, bottom, left, right)


def _windows(x: np.ndarray, node: Node, pad_value):
    k, s, out_hw, pads = _geometry(node, x.shape)
    xp = pad_hw(x, pads, pad_value)
    return patches(xp, k[0], k[1], s, (1, 1), out_hw), k, s, out_hw, pads


def _counts(node: Node, shape) -> np.ndarray:
    """How many window elements fall inside the image, per output pixel: (1, OH, OW, 1)."""
    ones = np.ones((1, shape[1], shape[2], 1), dtype=np.int64)
    win, *_ = _windows(ones, node, 0)
    return win.sum(axis=(3, 4))


def _quantized_clamp(node: Node) -> tuple[int, int]:
    t = node.output()
    return activation_range_quantized(
        node.options.get("fused_activation_function", "NONE"), *scale_zp(t), t.type
    )


@kernel("AVERAGE_POOL_2D")
def average_pool_2d(node: Node, x: np.ndarray):
    counts = _counts(node, x.shape)
    if x.dtype == np.float32:
        win, *_ = _windows(x, node, 0)
        out = (win.sum(axis=(3, 4), dtype=np.float32) / counts).astype(np.float32)
        return float_activation(out, node.options.get("fused_activation_function"), node)
    win, *_ = _windows(x.astype(np.int64), node, 0)
    acc = win.sum(axis=(3, 4))
    half = counts // 2
    # C++ integer division truncates toward zero after rounding half away from zero.
    num = np.where(acc > 0, acc + half, acc - half)
    avg = np.sign(num) * (np.abs(num) // counts)
    lo, hi = _quantized_clamp(node)
    return np.clip(avg, lo, hi).astype(x.dtype)


@kernel("MAX_POOL_2D")
def max_pool_2d(node: Node, x: np.ndarray):
    if x.dtype == np.float32:
        win, *_ = _windows(x, node, -np.inf)
        out = win.max(axis=(3, 4))
        return float_activation(out, node.options.get("fused_activation_function"), node)
    lowest = np.iinfo(x.dtype).min
    win, *_ = _windows(x, node, lowest)
    out = win.max(axis=(3, 4)).astype(np.int64)
    lo, hi = _quantized_clamp(node)
    return np.clip(out, lo, hi).astype(x.dtype)


@kernel("L2_POOL_2D")
def l2_pool_2d(node: Node, x: np.ndarray):
    if x.dtype != np.float32:
        raise node.error(f"{x.dtype} input is not supported")
    counts = _counts(node, x.shape)
    win, *_ = _windows(x.astype(np.float64), node, 0)
    out = np.sqrt((win * win).sum(axis=(3, 4)) / counts).astype(np.float32)
    return float_activation(out, node.options.get("fused_activation_function"), node)
