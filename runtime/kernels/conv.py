"""CONV_2D and DEPTHWISE_CONV_2D: float, quantized (int8/uint8/int16) and hybrid kernels.

Float convs are im2col + one BLAS GEMM (1x1 convs skip the im2col copy); depthwise convs
accumulate one strided tap at a time. Quantized convs compute the same GEMM on zero-point
adjusted integers (exactly, see `int_matmul`) and requantize with TFLite's fixed-point rules.
"""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernel_threads import UFUNC_PASS, blocks
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.common import (
    activation_in_place,
    exact_float_dtype,
    flat_bias,
    int_matmul,
    pad_hw,
    patches,
    quantize_batches_asymmetric,
    quantize_batches_symmetric,
    threaded_matmul,
)
from tflc.runtime.kernels.geometry import conv_axis
from tflc.runtime.kernels.litert_gemm import litert_matmul
from tflc.runtime.kernels.node import Node, channel_scales, scale_zp
from tflc.runtime.kernels.quant_math import (
    QUANT_RANGES,
    activation_bounds,
    activation_range_quantized,
    multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_64,
    quantize_multiplier,
)


def _geometry(node: Node, x_shape, kh: int, kw: int):
    o = node.options
    stride = (o.get("stride_h", 1), o.get("stride_w", 1))
    dilation = (o.get("dilation_h_factor", 1), o.get("dilation_w_factor", 1))
    padding = o.get("padding", "SAME")
    oh, top, bottom = conv_axis(padding, x_shape[1], kh, stride[0], dilation[0])
    ow, left, right = conv_axis(padding, x_shape[2], kw, stride[1], dilation[1])
    return stride, dilation, (oh, ow), (top, bottom, left, right)


def _unpack_int4(w: np.ndarray, shape: list[int]) -> np.ndarray:
    """INT4 tensors hold two values a byte, low nibble first."""
    raw = w.reshape(-1).view(np.uint8)
    lo = (raw & 0x0F).astype(np.int8)
    hi = (raw >> 4).astype(np.int8)
    both = np.stack([lo, hi], axis=1).reshape(-1)
    both = np.where(both > 7, both - 16, both).astype(np.int8)
    return both[: int(np.prod(shape))].reshape(shape)


def filter_values(node: Node, w: np.ndarray, i: int = 1) -> np.ndarray:
    t = node.input(i)
    if t is not None and t.type == "INT4":
        key = f"int4_{i}"
        if key not in node.cache:
            node.cache[key] = _unpack_int4(w, t.shape)
        return node.cache[key]
    return w


def _conv_columns(x: np.ndarray, kh: int, kw: int, stride, dilation, out_hw) -> np.ndarray:
    """im2col: (N*OH*OW, KH*KW*C); a free reshape for 1x1 stride-1 convs."""
    if kh == kw == 1 and stride == (1, 1):
        return x.reshape(-1, x.shape[-1])
    cols = patches(x, kh, kw, stride, dilation, out_hw)
    return cols.reshape(-1, kh * kw * x.shape[-1])


def _grouped_gemm(cols: np.ndarray, w2: np.ndarray, groups: int, gemm) -> np.ndarray:
    """cols (M, groups*K) times per-group filters w2 (O, K) -> (M, O)."""
    if groups == 1:
        return gemm(cols, w2.T)
    o, k = w2.shape
    per = o // groups
    outs = [
        gemm(cols[:, g * k : (g + 1) * k], w2[g * per : (g + 1) * per].T) for g in range(groups)
    ]
    return np.concatenate(outs, axis=1)


@kernel("CONV_2D")
def conv_2d(node: Node, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None):
    b = flat_bias(b)
    w = filter_values(node, w)
    out_type = node.output().type
    if x.dtype == np.float32 and w.dtype != np.float32:
        return _conv_hybrid(node, x, w, b)
    if out_type in ("INT8", "UINT8", "INT16"):
        return _conv_quantized(node, x, w, b)
    if x.dtype != np.float32:
        raise node.error(f"input type {x.dtype} is not supported")
    return _conv_float(node, x, w, b)


def _conv_float(node, x, w, b):
    o_ch, kh, kw, cin = w.shape
    stride, dilation, out_hw, pads = _geometry(node, x.shape, kh, kw)
    groups = x.shape[3] // cin
    w2 = node.cache.get("w2")
    if w2 is None or node.const(1) is None:
        w2 = np.ascontiguousarray(w.reshape(o_ch, -1))
        if node.const(1) is not None:
            node.cache["w2"] = w2
    cols = _conv_columns(pad_hw(x, pads), kh, kw, stride, dilation, out_hw)
    threads = node.interpreter.kernel_threads
    act = node.options.get("fused_activation_function")

    def finish(part: np.ndarray, columns: slice = slice(None)) -> None:
        if b is not None:
            part += b[columns]  # LiteRT adds the bias after the sum
        activation_in_place(part, act, node)

    if node.interpreter.litert_float_order or groups != 1:
        if node.interpreter.litert_float_order:

            def gemm(a, bt):
                return litert_matmul(a, bt.T, threads)

        else:

            def gemm(a, bt):
                return threaded_matmul(threads, a, bt)

        out = _grouped_gemm(cols, w2, groups, gemm)
        finish(out)
    else:  # the bias and the activation on each range's thread, while it is in cache
        out = threaded_matmul(threads, cols, w2.T, finish)
    return out.reshape(x.shape[0], out_hw[0], out_hw[1], o_ch)


# Values requantized at a time: the int64 temporaries (512 KiB each) stay in the L2 cache.
_REQUANTIZE_BLOCK = 1 << 16


def requantize(
    node: Node,
    acc: np.ndarray,
    multiplier: np.ndarray,
    shift: np.ndarray,
    out_zp: int,
    rounding: str,
    accum64: bool = False,
    bias: np.ndarray | None = None,
) -> np.ndarray:
    """The output of integer sums `acc` (int64, or floats holding exact integers) plus `bias`,
    channels last; ranges of rows on the interpreter's threads (every value on its own)."""
    t = node.output()
    lo, hi = activation_range_quantized(
        node.options.get("fused_activation_function", "NONE"),
        *scale_zp(t),
        t.type,
    )
    out = np.empty(acc.shape, dtype=node.out_dtype())
    if out.size == 0:
        return out
    rows = acc.reshape(-1, acc.shape[-1]) if acc.ndim else acc.reshape(1, 1)
    out_rows = out.reshape(rows.shape)
    bias = None if bias is None else bias.astype(np.int64)

    def row_range(start: int, stop: int) -> None:
        part = rows[start:stop].astype(np.int64)
        if bias is not None:
            part += bias
        if accum64:
            scaled = multiply_by_quantized_multiplier_64(part, multiplier, shift)
        else:
            scaled = multiply_by_quantized_multiplier(part, multiplier, shift, rounding)
        out_rows[start:stop] = np.clip(scaled + out_zp, lo, hi)

    threads = node.interpreter.kernel_threads.for_work(8 * UFUNC_PASS * rows.size)
    threads.run(blocks(rows.shape[0], _REQUANTIZE_BLOCK // rows.shape[1]), row_range)
    return out


def conv_multipliers(
    node: Node, w_index: int = 1, in_index: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel output multipliers (PopulateConvolutionQuantizationParams)."""
    if "mult" not in node.cache:
        in_scale, _ = scale_zp(node.input(in_index))
        out_scale, _ = scale_zp(node.output())
        w_scales, _, _ = channel_scales(node.input(w_index))
        effective = (
            np.float64(in_scale) * w_scales.astype(np.float32).astype(np.float64)
        ) / np.float64(out_scale)
        node.cache["mult"] = quantize_multiplier(effective)
    return node.cache["mult"]


def _conv_quantized(node, x, w, b):
    o_ch, kh, kw, cin = w.shape
    stride, dilation, out_hw, pads = _geometry(node, x.shape, kh, kw)
    groups = x.shape[3] // cin
    in_t, out_t, w_t = node.input(0), node.output(), node.input(1)
    _, in_zp = scale_zp(in_t)
    _, out_zp = scale_zp(out_t)
    w_zp = scale_zp(w_t)[1] if w_t.type == "UINT8" else 0
    w2 = node.cache.get("wq")
    if w2 is None:
        w2 = node.cache["wq"] = w.reshape(o_ch, -1).astype(np.int64) - w_zp
        node.cache["wq_max"] = int(np.abs(w2).max()) if w2.size else 0
    lo, hi = QUANT_RANGES[in_t.type]
    x_max = max(abs(lo - in_zp), abs(hi - in_zp))
    # Zero-point-adjusted integers are exact in float while every partial sum of the GEMM
    # stays below 2^24 (float32) or 2^53 (float64): then BLAS computes the integer sums.
    dtype = exact_float_dtype(float(w2.shape[1]) * x_max * node.cache["wq_max"])
    threads = node.interpreter.kernel_threads
    if dtype is None:
        xi = x.astype(np.int64) - in_zp
        cols = _conv_columns(pad_hw(xi, pads), kh, kw, stride, dilation, out_hw)

        def gemm(a, bt):
            return int_matmul(a, bt, x_max, node.cache["wq_max"], threads)

        acc = _grouped_gemm(cols, w2, groups, gemm)
    else:
        key = f"w_{dtype}"
        if key not in node.cache:
            node.cache[key] = w2.astype(dtype)
        xf = x.astype(dtype)
        xf -= in_zp
        cols = _conv_columns(pad_hw(xf, pads), kh, kw, stride, dilation, out_hw)

        def exact_gemm(a, bt):
            return threaded_matmul(threads, a, bt)

        acc = _grouped_gemm(cols, node.cache[key], groups, exact_gemm)
    mult, shift = conv_multipliers(node)
    accum64 = in_t.type == "INT16" and (b is None or b.dtype == np.int64)
    # LiteRT's optimized (ruy) path rounds ties upward; grouped convs use the reference one.
    rounding = "tflite" if groups != 1 else "neon"
    if in_t.type == "INT16" and not accum64 and (in_zp or out_zp):
        rounding = "tflite"
    out = requantize(node, acc, mult, shift, out_zp, rounding, accum64, bias=b)
    return out.reshape(x.shape[0], out_hw[0], out_hw[1], o_ch)


def _conv_hybrid(node, x, w, b):
    """Dynamic-range conv: float input quantized per batch, int8 weights, float output."""
    o_ch, kh, kw, cin = w.shape
    stride, dilation, out_hw, pads = _geometry(node, x.shape, kh, kw)
    groups = x.shape[3] // cin
    w_scales, _, _ = channel_scales(node.input(1))
    w_scales = w_scales.astype(np.float32)
    per_channel = groups != 1 or (w_scales.size > 1 and np.any(w_scales != w_scales[0]))
    n = x.shape[0]
    flat = x.reshape(n, -1)
    if per_channel:
        q, scaling, offset = quantize_batches_asymmetric(flat)
    else:
        q, scaling = quantize_batches_symmetric(flat)
        offset = np.zeros(n, dtype=np.int64)
    xi = (q - offset[:, None]).reshape(x.shape)
    cols = _conv_columns(pad_hw(xi, pads), kh, kw, stride, dilation, out_hw)
    w2 = w.reshape(o_ch, -1).astype(np.int32)

    def gemm(a, bt):
        return int_matmul(a, bt, 255, 128, node.interpreter.kernel_threads)

    acc = _grouped_gemm(cols, w2, groups, gemm).reshape(n, -1, o_ch)
    accf = acc.astype(np.float32)
    if per_channel:
        factor = (w_scales[None, :] * scaling[:, None]).astype(np.float32)
    else:
        factor = np.broadcast_to((scaling * w_scales[0]).astype(np.float32)[:, None], (n, o_ch))
    out = accf * factor[:, None, :]
    if b is not None:
        out += b
    lo, hi = activation_bounds(node.options.get("fused_activation_function"))
    out = np.clip(out, lo, hi).astype(np.float32)
    return out.reshape(n, out_hw[0], out_hw[1], o_ch)


# --- depthwise --------------------------------------------------------------------------


def _depthwise_taps(
    node, xp, w, stride, dilation, out_hw, acc_dtype, initial=None, finish=None
) -> np.ndarray:
    """sum over taps (row by row) of shifted input slices times the tap's per-channel weights,
    starting from `initial` (LiteRT's float depthwise starts its accumulators at the bias),
    then `finish(part)` in place. Ranges of output rows go to the interpreter's threads; each
    element sums its taps in order."""
    n, _, _, c = xp.shape
    kh, kw = w.shape[1], w.shape[2]
    oh, ow = out_hw
    acc = np.empty((n, oh, ow, c), dtype=acc_dtype)

    def row_range(r0: int, r1: int) -> None:
        part = acc[:, r0:r1]
        tmp = np.empty_like(part)
        if initial is not None:
            part[...] = initial
        for dy in range(kh):
            y0 = dy * dilation[0] + r0 * stride[0]
            for dx in range(kw):
                x0 = dx * dilation[1]
                tap = xp[
                    :,
                    y0 : y0 + (r1 - r0 - 1) * stride[0] + 1 : stride[0],
                    x0 : x0 + (ow - 1) * stride[1] + 1 : stride[1],
                    :,
                ]
                if dy == dx == 0 and initial is None:
                    np.multiply(tap, w[0, 0, 0], out=part)  # the first tap initializes the sum
                else:
                    np.multiply(tap, w[0, dy, dx], out=tmp)
                    part += tmp
        if finish is not None:
            finish(part)

    threads = node.interpreter.kernel_threads
    threads.run(threads.ranges(oh, 2 * UFUNC_PASS * acc.size * kh * kw), row_range)
    return acc


def _depthwise_input(node, x):
    """Repeats input channels for depth_multiplier > 1 (output channel c*m + k reads c)."""
    mult = node.options.get("depth_multiplier", 1) or 1
    w_channels = node.input(1).shape[3]
    if w_channels != x.shape[3] * mult and x.shape[3] and w_channels % x.shape[3] == 0:
        mult = w_channels // x.shape[3]  # the option is unreliable in some converters
    return np.repeat(x, mult, axis=3) if mult > 1 else x


@kernel("DEPTHWISE_CONV_2D")
def depthwise_conv_2d(node: Node, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None):
    b = flat_bias(b)
    w = filter_values(node, w)
    _, kh, kw, _ = w.shape
    stride, dilation, out_hw, pads = _geometry(node, x.shape, kh, kw)
    act = node.options.get("fused_activation_function")
    if x.dtype == np.float32 and w.dtype != np.float32:
        return _depthwise_hybrid(node, x, w, b, stride, dilation, out_hw, pads)
    if x.dtype == np.float32:
        xp = pad_hw(_depthwise_input(node, x), pads)

        def finish(part: np.ndarray) -> None:
            activation_in_place(part, act, node)

        return _depthwise_taps(
            node, xp, w, stride, dilation, out_hw, np.float32, initial=b, finish=finish
        )
    in_t, out_t, w_t = node.input(0), node.output(), node.input(1)
    _, in_zp = scale_zp(in_t)
    _, out_zp = scale_zp(out_t)
    w_zp = scale_zp(w_t)[1] if w_t.type == "UINT8" else 0
    lo, hi = QUANT_RANGES[in_t.type]
    x_max = max(abs(lo - in_zp), abs(hi - in_zp))
    wi = node.cache.get("wq")
    if wi is None:
        wi = node.cache["wq"] = w.astype(np.int64) - w_zp
    # float32 taps are exact while a pixel's sum of products stays below 2^24.
    bound = float(wi.shape[1] * wi.shape[2]) * x_max * float(np.abs(wi).max(initial=0))
    dtype = np.float32 if bound < 2**24 else np.int64
    xi = _depthwise_input(node, x).astype(dtype)
    xi -= in_zp
    acc = _depthwise_taps(node, pad_hw(xi, pads), wi.astype(dtype), stride, dilation, out_hw, dtype)
    mult, shift = conv_multipliers(node)
    if in_t.type == "UINT8":
        return _requantize_uint8_depthwise(node, acc, mult, shift, out_zp, b)
    accum64 = in_t.type == "INT16"
    return requantize(node, acc, mult, shift, out_zp, "neon", accum64, bias=b)


def _requantize_uint8_depthwise(node, acc, mult, shift, out_zp, bias):
    """uint8 DepthwiseConvGeneral stores each output row in chunks of at most 2048 values;
    in a chunk, blocks of 4 go through NEON (SQRDMULH + RoundingDivideByPOT) and the
    leftover values through the reference MultiplyByQuantizedMultiplier."""
    n, oh, ow, depth = acc.shape
    pixels = max(2048 // depth, 1)
    x = np.arange(ow)
    chunk_len = depth * np.minimum(pixels, ow - (x // pixels) * pixels)
    pos = (x % pixels)[:, None] * depth + np.arange(depth)[None, :]
    vector = pos < (chunk_len // 4 * 4)[:, None]
    ref = requantize(node, acc, mult, shift, out_zp, "tflite", bias=bias)
    vec = requantize(node, acc, mult, shift, out_zp, "neon_high_mul", bias=bias)
    return np.where(vector[None, None], vec, ref)


def _depthwise_hybrid(node, x, w, b, stride, dilation, out_hw, pads):
    n = x.shape[0]
    q, scaling, offset = quantize_batches_asymmetric(x.reshape(n, -1))
    xi = (q - offset[:, None]).reshape(x.shape)
    xi = _depthwise_input(node, xi)
    acc = _depthwise_taps(
        node, pad_hw(xi, pads), w.astype(np.int64), stride, dilation, out_hw, np.int64
    )
    w_scales = channel_scales(node.input(1))[0].astype(np.float32)
    out = acc.astype(np.float32) * w_scales
    out *= scaling.reshape(n, 1, 1, 1)
    if b is not None:
        out += b
    lo, hi = activation_bounds(node.options.get("fused_activation_function"))
    return np.clip(out, lo, hi).astype(np.float32)
