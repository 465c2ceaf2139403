"""Quantized activations, following LiteRT's builtin x86 kernels.

int8/uint8 logistic, tanh, elu and gelu are 256-entry lookup tables built with float math
(LUTPopulate); the C library's float functions are emulated by computing in float64 and
rounding once to float32.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from tflc.runtime.kernels.node import Node, scale_zp
from tflc.runtime.kernels.quant_math import (
    QUANT_RANGES,
    inv_sqrt_quantized_multiplier_exp,
    multiply_by_quantized_multiplier,
    quantize_multiplier,
    quantized_clamp,
    rounding_divide_by_pot,
    tflite_round,
)


def _f32(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).astype(np.float32)


def relu_x(node: Node, x: np.ndarray, act_min: float, act_max: float) -> np.ndarray:
    """QuantizedReluX: requantize input to output scale, then clamp."""
    in_s, in_zp = scale_zp(node.input(0))
    out_s, out_zp = scale_zp(node.output())
    qmin, qmax = quantized_clamp(act_min, act_max, out_s, out_zp, node.output().type)
    # activations.cc: `double real_multiplier = input->params.scale / output->params.scale`,
    # a float quotient
    m, s = quantize_multiplier(np.float64(np.float32(in_s) / np.float32(out_s)))
    out = out_zp + multiply_by_quantized_multiplier(x.astype(np.int64) - in_zp, m, s)
    return np.clip(out, qmin, qmax).astype(x.dtype)


def _lut8(node: Node, transform: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """LUTPopulate for int8/uint8: the output for every possible input value."""
    lut = node.cache.get("lut")
    if lut is None:
        in_s, in_zp = scale_zp(node.input(0))
        out_s, out_zp = scale_zp(node.output())
        lo, hi = QUANT_RANGES[node.input(0).type]
        vals = np.arange(lo, hi + 1, dtype=np.int64)
        # Intermediate float32 values overflow to inf as the C library's float functions do
        # (logistic of a very negative input: 1 / (1 + exp(-x)) = 1 / inf = 0): no warning.
        with np.errstate(over="ignore", invalid="ignore"):
            dequantized = _f32(np.float32(in_s) * (vals - in_zp).astype(np.float32))
            transformed = _f32(transform(dequantized))
            inverse = np.float32(1.0) / np.float32(out_s)
            rescaled = tflite_round(_f32(transformed * inverse))
            quantized = (rescaled + np.float32(out_zp)).astype(np.int64)
        lut = node.cache["lut"] = np.clip(quantized, lo, hi).astype(node.out_dtype())
    return lut


def lut_activation(node: Node, x: np.ndarray, fn: Callable[[np.ndarray], np.ndarray]):
    if x.dtype == np.int16:
        raise node.error("int16 input is not supported for this activation")
    lo = QUANT_RANGES[node.input(0).type][0]
    return _lut8(node, fn)[x.astype(np.int64) - lo]


def _sigmoid_f32(v: np.ndarray) -> np.ndarray:
    # 1.0f / (1.0f + std::exp(-value)), every step rounded to float
    e = _f32(np.exp(-v.astype(np.float64)))
    return _f32(np.float32(1.0) / _f32(np.float32(1.0) + e))


def logistic(node: Node, x: np.ndarray) -> np.ndarray:
    if x.dtype == np.int16:
        raise node.error("int16 LOGISTIC is not supported")
    return lut_activation(node, x, _sigmoid_f32)


def tanh(node: Node, x: np.ndarray) -> np.ndarray:
    if x.dtype == np.int16:
        raise node.error("int16 TANH is not supported")
    return lut_activation(node, x, lambda v: np.tanh(v.astype(np.float64)))


def _srdhm16(a: np.ndarray, b: int) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul for int16."""
    ab = a.astype(np.int64) * b
    nudge = np.where(ab >= 0, 1 << 14, 1 - (1 << 14))
    s = ab + nudge
    out = np.where(s >= 0, s >> 15, -((-s) >> 15))
    return np.where((a == -32768) & (b == -32768), 32767, out)


def _downscale16(m: int) -> int:
    """DownScaleInt32ToInt16Multiplier."""
    rounded = (m + (1 << 15)) >> 16
    return 32767 if rounded > 32767 else int(rounded)


def hard_swish(node: Node, x: np.ndarray) -> np.ndarray:
    """reference_ops::HardSwish (LiteRT's NEON variant only exists on ARM)."""
    if x.dtype == np.int16:
        raise node.error("int16 HARD_SWISH is not supported")
    in_s, in_zp = scale_zp(node.input(0))
    out_s, out_zp = scale_zp(node.output())
    hires = np.float32(1.0 / 128.0) * np.float32(in_s)
    out_m, out_e = quantize_multiplier(float(_f32(hires / np.float32(out_s))))
    rel_m, rel_e = quantize_multiplier(float(_f32(hires / np.float32(3.0 / 32768.0))))
    out_m16, rel_m16 = _downscale16(int(out_m)), _downscale16(int(rel_m))
    out_e, rel_e = int(out_e), int(rel_e)
    v = ((x.astype(np.int64) - in_zp) << 7).astype(np.int16).astype(np.int64)
    pre_out = _srdhm16(v, out_m16)
    reluish = v
    if rel_e > 0:
        reluish = np.clip(reluish << (rel_e - 1), -32768, 32767)
    reluish = _srdhm16(reluish, rel_m16)
    if rel_e > 0:
        reluish = np.clip(reluish << 1, -32768, 32767)
    if rel_e < 0:
        reluish = rounding_divide_by_pot(reluish, -rel_e)
    reluish = (reluish + (1 << 15)) >> 1
    prod = reluish * pre_out
    pre_shift = np.where(prod >= 0, prod >> 15, -((-prod) >> 15))  # truncating division
    pre_shift = np.where((reluish == -32768) & (pre_out == -32768), 32767, pre_shift)
    out = rounding_divide_by_pot(pre_shift, -out_e) + out_zp
    lo, hi = QUANT_RANGES[node.output().type]
    return np.clip(out, lo, hi).astype(x.dtype)


def leaky_relu(node: Node, x: np.ndarray, alpha: float) -> np.ndarray:
    in_s, in_zp = scale_zp(node.input(0))
    out_s, out_zp = scale_zp(node.output())
    m_a, s_a = quantize_multiplier(np.float64(in_s) * alpha / np.float64(out_s))
    m_i, s_i = quantize_multiplier(np.float64(in_s) / np.float64(out_s))
    v = x.astype(np.int64) - in_zp
    ident = multiply_by_quantized_multiplier(v, m_i, s_i)
    neg = alpha < 0
    scaled = multiply_by_quantized_multiplier(v, -m_a if neg else m_a, s_a)
    out = out_zp + np.where(v >= 0, ident, -scaled if neg else scaled)
    lo, hi = QUANT_RANGES[node.output().type]
    return np.clip(out, lo, hi).astype(x.dtype)


def prelu(node: Node, x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    in_s, in_zp = scale_zp(node.input(0))
    a_s, a_zp = scale_zp(node.input(1))
    out_s, out_zp = scale_zp(node.output())
    m1, s1 = quantize_multiplier(np.float64(in_s) / np.float64(out_s))
    m2, s2 = quantize_multiplier(np.float64(in_s) * np.float64(a_s) / np.float64(out_s))
    v = x.astype(np.int64) - in_zp
    a = alpha.astype(np.int64) - a_zp
    pos = multiply_by_quantized_multiplier(v, m1, s1)
    neg = multiply_by_quantized_multiplier(v * a, m2, s2)
    out = out_zp + np.where(v >= 0, pos, neg)
    lo, hi = QUANT_RANGES[node.output().type]
    return np.clip(out, lo, hi).astype(x.dtype)


def softmax_exp_table(input_scale: float, beta: float) -> np.ndarray:
    """PopulateSoftmaxLookupTable: exp(-beta * scale * d) in float32 for d = max - x in
    0..255, every step rounded to float32 as the C++ computes it."""
    scale = _f32(-np.float32(input_scale) * np.float32(beta))
    return _f32(np.exp(_f32(scale * np.arange(256, dtype=np.float32)).astype(np.float64)))


def softmax(node: Node, x: np.ndarray, beta: float) -> np.ndarray:
    """optimized_ops::Softmax for int8/uint8: a float exp table and float normalization."""
    if x.dtype == np.int16:
        return _softmax_int16(node, x, beta)
    in_s, _ = scale_zp(node.input(0))
    out_s, out_zp = scale_zp(node.output())
    table = node.cache.get("table")
    if table is None:
        table = node.cache["table"] = softmax_exp_table(in_s, beta)
    xi = x.astype(np.int64)
    max_val = xi.max(axis=-1, keepdims=True)
    e = table[max_val - xi]
    # The C++ loop sums left to right in float; cumsum keeps that order.
    sum_exp = np.cumsum(e, axis=-1, dtype=np.float32)[..., -1:]
    inv = _f32(np.float32(1.0) / _f32(sum_exp * np.float32(out_s)))
    prob = _f32(e * inv)
    if x.dtype == np.uint8:
        q = (prob + np.float32(0.5)).astype(np.int64)
    else:
        q = tflite_round(prob).astype(np.int64) + out_zp
    lo, hi = QUANT_RANGES[node.output().type]
    return np.clip(q, lo, hi).astype(node.out_dtype())


def log_softmax(node: Node, x: np.ndarray) -> np.ndarray:
    """optimized_ops::LogSoftmax for int8/uint8 (what LiteRT's builtin kernel runs): the
    softmax exp table summed in float32, logf, and one float rescale rounded half to even."""
    in_s, _ = scale_zp(node.input(0))
    out_s, out_zp = scale_zp(node.output())
    table = node.cache.get("table")
    if table is None:
        table = node.cache["table"] = softmax_exp_table(in_s, 1.0)
    xi = x.astype(np.int64)
    max_val = xi.max(axis=-1, keepdims=True)
    sum_exp = np.cumsum(table[max_val - xi], axis=-1, dtype=np.float32)[..., -1:]
    log_sum = _f32(np.log(sum_exp.astype(np.float64)))
    in_s32, out_s32 = np.float32(in_s), np.float32(out_s)
    scale = in_s32 / out_s32
    precomputed = (in_s32 * max_val.astype(np.float32) + log_sum) / out_s32
    log_prob = scale * xi.astype(np.float32) - precomputed
    q = np.rint(log_prob).astype(np.int64) + out_zp
    lo, hi = QUANT_RANGES[node.output().type]
    return np.clip(q, lo, hi).astype(node.out_dtype())


def l2_normalization(node: Node, x: np.ndarray) -> np.ndarray:
    """L2Normalization for int8/uint8: a fixed-point 1/sqrt of each row's sum of squares."""
    if x.dtype == np.int16:
        raise node.error("int16 L2_NORMALIZATION is not supported")
    _, zp = scale_zp(node.input(0))
    v = x.astype(np.int64) - zp
    rows = v.reshape(-1, x.shape[-1])
    sums = (rows * rows).sum(axis=1)
    params = {int(a): inv_sqrt_quantized_multiplier_exp(int(a), -1) for a in np.unique(sums)}
    mult = np.array([params[int(a)][0] for a in sums], np.int64)[:, None]
    shift = np.array([params[int(a)][1] for a in sums], np.int64)[:, None]
    if x.dtype == np.int8:
        out = np.clip(multiply_by_quantized_multiplier(rows, mult, shift + 7), -128, 127)
    else:
        out = np.clip(128 + multiply_by_quantized_multiplier(128 * rows, mult, shift), 0, 255)
    return out.astype(x.dtype).reshape(x.shape)


def lut_int16(transform, in_scale: float, in_zp: int, out_scale: float, out_zp: int) -> np.ndarray:
    """LUTPopulateInt16 (double precision): 513 samples of `transform`, each corrected by half
    its interpolation error at the midpoint of its interval."""
    in_min, in_max = in_scale * (-32768 - in_zp), in_scale * (32767 - in_zp)
    out_min, out_max = out_scale * (-32768 - out_zp), out_scale * (32767 - out_zp)
    steps = 512
    step = (in_max - in_min) / steps
    inv = 65536.0 / (out_max - out_min)
    i = np.arange(steps, dtype=np.float64)
    val = transform(in_min + i * step)
    mid = transform(in_min + i * step + step / 2)
    nxt = transform(in_min + (i + 1) * step)
    sample = tflite_round(val * inv)
    interp_mid = tflite_round((nxt * inv + tflite_round(val * inv)) / 2)
    bias = tflite_round((interp_mid - tflite_round(mid * inv)) / 2)
    lut = np.empty(steps + 1, np.int64)
    lut[:steps] = np.clip(sample - bias, -32768, 32767)
    lut[steps] = np.clip(tflite_round(transform(np.float64(in_max)) * inv), -32768, 32767)
    return lut


def lut_lookup_int16(value: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """LUTLookup for int16: linear interpolation between 512 base values."""
    v = value.astype(np.int64)
    index = 256 + (v >> 7)
    base = lut[index]
    slope = lut[index + 1] - base
    return ((base + ((slope * (v & 0x7F) + 64) >> 7)) + 32768) % 65536 - 32768


def _softmax_int16(node: Node, x: np.ndarray, beta: float) -> np.ndarray:
    """reference_ops::SoftmaxInt16: exp and 1/(1+x) tables, Q0.15 arithmetic."""
    in_s, _ = scale_zp(node.input(0))
    if "luts" not in node.cache:
        rng = 65535
        exp_lut = lut_int16(np.exp, 10.0 / rng, 32767, 2.0 / rng, 0)
        recip_lut = lut_int16(lambda v: 1.0 / (1.0 + v), 1.0 / rng, -32768, 2.0 / rng, 0)
        rescale = float(np.float32(in_s) * np.float32(beta)) / (10.0 / 65535.0)
        node.cache["luts"] = (exp_lut, recip_lut, quantize_multiplier(rescale))
    exp_lut, recip_lut, (m, shift) = node.cache["luts"]
    xi = x.astype(np.int64)
    diff = xi - xi.max(axis=-1, keepdims=True)
    scaled = multiply_by_quantized_multiplier(diff, m, shift) + 32767
    exps = lut_lookup_int16(np.clip(scaled, -32768, 32767), exp_lut)
    sums = exps.sum(axis=-1, keepdims=True)
    headroom = 32 - np.vectorize(int.bit_length, otypes=[np.int64])(sums)  # CountLeadingZeros
    shifted = ((sums << (headroom - 1)) + (1 << 13)) >> 14
    sym = np.clip(shifted - ((1 << 15) + (1 << 16)), -32768, 32767)
    recip = lut_lookup_int16(sym, recip_lut)
    right = 31 - headroom
    out = (exps * recip + (np.int64(1) << (right - 1))) >> right
    return np.clip(out, 0, 32767).astype(np.int16)
