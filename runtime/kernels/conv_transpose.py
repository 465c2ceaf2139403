"""TRANSPOSE_CONV (float and int8/int16) and the shared scatter-add implementation that the
mediapipe Convolution2DTransposeBias kernel also uses."""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernel_threads import SERIAL, KernelThreads
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.common import (
    flat_bias,
    float_activation,
    quantize_batches_asymmetric,
    threaded_matmul,
)
from tflc.runtime.kernels.conv import conv_multipliers, filter_values
from tflc.runtime.kernels.geometry import conv_axis
from tflc.runtime.kernels.litert_gemm import litert_matmul
from tflc.runtime.kernels.node import Node, channel_scales, scale_zp
from tflc.runtime.kernels.quant_math import (
    activation_bounds,
    activation_range_quantized,
    multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_64,
)
from tflc.runtime.limits import check_allocation


def transpose_conv_accumulate(
    x: np.ndarray,
    w: np.ndarray,
    stride: tuple[int, int],
    pads: tuple[int, int],
    out_hw: tuple[int, int],
    dtype,
    litert_order: bool = False,
    threads: KernelThreads = SERIAL,
) -> np.ndarray:
    """Every input pixel adds input x filter into the output window it maps to.

    `w` is OHWI; `pads` are the top/left paddings; returns (N, out_h, out_w, O) in `dtype`.
    With `litert_order`, float sums follow LiteRT's transpose conv: the per-tap products from
    its GEMM order (`litert_matmul`), scattered input pixel by input pixel in row-major order.
    The GEMM runs on `threads`; the scatter, which sums overlapping taps, stays in order.
    """
    n, h, wd, c = x.shape
    o, kh, kw, _ = w.shape
    sh, sw = stride
    full_h = max((h - 1) * sh + kh, pads[0] + out_hw[0])
    full_w = max((wd - 1) * sw + kw, pads[1] + out_hw[1])
    check_allocation((n, full_h, full_w, o), np.dtype(dtype).itemsize, "accumulator")
    full = np.zeros((n, full_h, full_w, o), dtype=dtype)
    rows = x.reshape(-1, c).astype(dtype, copy=False)
    # One GEMM for all taps: (N*H*W, C) x (C, KH*KW*O).
    w_cols = np.ascontiguousarray(w.transpose(3, 1, 2, 0).reshape(c, -1)).astype(dtype)
    if litert_order:
        taps = litert_matmul(rows, w_cols.T, threads).reshape(n, h, wd, kh, kw, o)
        # For one output position a later input pixel is an earlier tap: taps go in reverse.
        for fy in reversed(range(kh)):
            for fx in reversed(range(kw)):
                full[:, fy : fy + (h - 1) * sh + 1 : sh, fx : fx + (wd - 1) * sw + 1 : sw] += taps[
                    :, :, :, fy, fx
                ]
        return full[:, pads[0] : pads[0] + out_hw[0], pads[1] : pads[1] + out_hw[1]]
    taps = threaded_matmul(threads, rows, w_cols).reshape(n, h, wd, kh, kw, o)
    for fy in range(kh):
        for fx in range(kw):
            full[:, fy : fy + (h - 1) * sh + 1 : sh, fx : fx + (wd - 1) * sw + 1 : sw] += taps[
                :, :, :, fy, fx
            ]
    return full[:, pads[0] : pads[0] + out_hw[0], pads[1] : pads[1] + out_hw[1]]


@kernel("TRANSPOSE_CONV")
def transpose_conv(node: Node, out_shape, w, x, b=None):
    b = flat_bias(b)
    w = filter_values(node, w)
    shape = [int(v) for v in np.asarray(out_shape).reshape(-1)]
    if len(shape) != 4 or shape[3] != w.shape[0]:
        raise node.error(f"output shape {shape} does not match the filter {list(w.shape)}")
    o = node.options
    stride = (o.get("stride_h", 1), o.get("stride_w", 1))
    _, kh, kw, _ = w.shape
    padding = o.get("padding", "SAME")
    # TFLite derives the padding by treating the output as a conv input.
    top = conv_axis(padding, shape[1], kh, stride[0]).before
    left = conv_axis(padding, shape[2], kw, stride[1]).before
    out_hw = (shape[1], shape[2])
    act = o.get("fused_activation_function", "NONE")
    if x.dtype == np.float32 and w.dtype != np.float32:
        return _transpose_conv_hybrid(node, x, w, b, stride, (top, left), out_hw, act)
    if x.dtype == np.float32:
        litert_order = node.interpreter.litert_float_order
        out = transpose_conv_accumulate(
            x,
            w.astype(np.float32),
            stride,
            (top, left),
            out_hw,
            np.float32,
            litert_order,
            node.interpreter.kernel_threads,
        )
        if b is not None:
            out = out + b
        return float_activation(out.astype(np.float32), act, node)
    _, in_zp = scale_zp(node.input(2))
    _, out_zp = scale_zp(node.output())
    acc = transpose_conv_accumulate(
        x.astype(np.int64) - in_zp,
        w.astype(np.int64),
        stride,
        (top, left),
        out_hw,
        np.int64,
        threads=node.interpreter.kernel_threads,
    )
    if b is not None:
        acc = acc + b.astype(np.int64)
    mult, shift = conv_multipliers(node, w_index=1, in_index=2)
    t = node.output()
    lo, hi = activation_range_quantized(act, *scale_zp(t), t.type)
    if x.dtype == np.int16:
        scaled = multiply_by_quantized_multiplier_64(acc, mult, shift)
    else:
        # Channels in blocks of 8 take LiteRT's NEON requantization, the rest the reference.
        scaled = multiply_by_quantized_multiplier(acc, mult, shift)
        vec = acc.shape[-1] // 8 * 8
        if vec:
            scaled[..., :vec] = multiply_by_quantized_multiplier(
                acc[..., :vec],
                mult[:vec] if mult.ndim else mult,
                shift[:vec] if shift.ndim else shift,
                "neon",
            )
    return np.clip(scaled + out_zp, lo, hi).astype(node.out_dtype())


def _transpose_conv_hybrid(node, x, w, b, stride, pads, out_hw, act):
    """LiteRT's hybrid transpose conv: per-batch asymmetric int8 input; every product
    (q - offset) * w is scaled in float, (product * channel scale) * input scale, and added to
    its output in input-pixel then input-channel order."""
    n, h, wd, c = x.shape
    o, kh, kw, _ = w.shape
    q, scaling, offset = quantize_batches_asymmetric(x.reshape(n, -1))
    xi = (q - offset[:, None]).reshape(x.shape)
    wi = w.astype(np.int64)
    w_scales = np.broadcast_to(channel_scales(node.input(1))[0].astype(np.float32), (o,))
    sh, sw = stride
    full_h = max((h - 1) * sh + kh, pads[0] + out_hw[0])
    full_w = max((wd - 1) * sw + kw, pads[1] + out_hw[1])
    full = np.zeros((n, full_h, full_w, o), dtype=np.float32)
    batch_scale = scaling.astype(np.float32).reshape(n, 1, 1, 1)
    # For one output position a later input pixel is an earlier tap: taps go in reverse.
    for fy in reversed(range(kh)):
        for fx in reversed(range(kw)):
            window = full[:, fy : fy + (h - 1) * sh + 1 : sh, fx : fx + (wd - 1) * sw + 1 : sw]
            for ci in range(c):
                product = (xi[..., ci, None] * wi[:, fy, fx, ci]).astype(np.float32)
                window += (product * w_scales) * batch_scale
    out = full[:, pads[0] : pads[0] + out_hw[0], pads[1] : pads[1] + out_hw[1]]
    if b is not None:
        out = out + b
    lo, hi = activation_bounds(act)
    return np.clip(out, lo, hi).astype(np.float32)
