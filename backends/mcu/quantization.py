"""Compile-time fixed-point parameters, computed exactly as TFLite's kernels compute them.

Everything here runs in the compiler so the generated int8 C has no float math: a real
multiplier becomes `(multiplier, shift)` (tensorflow/lite/kernels/internal/quantization_util.cc
QuantizeMultiplier), and softmax's exponentials become a table built with gemmlowp's fixed-point
`exp_on_negative_values`, bit for bit.
"""

from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1


def f32(x: float) -> float:
    """`x` rounded to float32, as TFLite holds scales."""
    return float(np.float32(x))


def tflite_round(x: float) -> int:
    """std::round: half away from zero."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def quantize_multiplier(real: float) -> tuple[int, int]:
    """QuantizeMultiplier: real = multiplier * 2^(shift - 31), multiplier in [2^30, 2^31)."""
    if real == 0.0:
        return 0, 0
    q, shift = math.frexp(real)
    q_fixed = tflite_round(q * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        shift, q_fixed = 0, 0
    return q_fixed, shift


def quantize_multiplier_greater_than_one(real: float) -> tuple[int, int]:
    multiplier, shift = quantize_multiplier(real)
    return multiplier, shift


# ---- gemmlowp fixed point, scalar int32 ----------------------------------------------------------


def _wrap32(x: int) -> int:
    return (x + (1 << 31)) % (1 << 32) - (1 << 31)


def srdhm(a: int, b: int) -> int:
    """SaturatingRoundingDoublingHighMul"""
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return _trunc_div(ab + nudge, 1 << 31)


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def rounding_divide_by_pot(x: int, exponent: int) -> int:
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def saturating_rounding_multiply_by_pot(x: int, exponent: int) -> int:
    if exponent == 0:
        return x
    if exponent < 0:
        return rounding_divide_by_pot(x, -exponent)
    threshold = (1 << (31 - exponent)) - 1
    if x > threshold:
        return INT32_MAX
    if x < -threshold:
        return INT32_MIN
    return _wrap32(x << exponent)


def multiply_by_quantized_multiplier_greater_than_one(x: int, multiplier: int, left: int) -> int:
    return srdhm(_wrap32(x * (1 << left)), multiplier)


def _exp_on_interval_between_negative_one_quarter_and_0_excl(a: int) -> int:
    """Q0.31 -> Q0.31"""
    constant_term = 1895147668
    constant_1_over_3 = 715827883
    x = _wrap32(a + (1 << 28))
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_over_4 = saturating_rounding_multiply_by_pot(x4, -2)
    inner = _wrap32(srdhm(_wrap32(x4_over_4 + x3), constant_1_over_3) + x2)
    poly = saturating_rounding_multiply_by_pot(inner, -1)
    return _wrap32(constant_term + srdhm(constant_term, _wrap32(x + poly)))


def exp_on_negative_values(a: int, integer_bits: int = 5) -> int:
    """gemmlowp::exp_on_negative_values for a Q(integer_bits).(31 - integer_bits) input."""
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    mask = one_quarter - 1
    a_mod_quarter_minus_one_quarter = _wrap32((a & mask) - one_quarter)
    result = _exp_on_interval_between_negative_one_quarter_and_0_excl(
        saturating_rounding_multiply_by_pot(a_mod_quarter_minus_one_quarter, integer_bits)
    )
    remainder = _wrap32(a_mod_quarter_minus_one_quarter - a)
    for exponent, multiplier in (
        (-2, 1672461947),
        (-1, 1302514674),
        (0, 790015084),
        (1, 290630308),
        (2, 39332535),
        (3, 720401),
        (4, 242),
    ):
        if integer_bits > exponent:
            shift = fractional_bits + exponent
            if remainder & (1 << shift):
                result = srdhm(result, multiplier)
    if a == 0:
        result = INT32_MAX
    return result


SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5


def softmax_exp_table(input_scale: float, beta: float) -> list[int]:
    """exp(beta * scale * d) in Q0.31 for d = -255..0, as reference_ops::Softmax computes it.

    PreprocessSoftmaxScaling + CalculateInputRadius decide `diff_min`; entries below it are 0,
    which makes the kernel skip them exactly as the reference does.
    """
    bits = SOFTMAX_SCALED_DIFF_INTEGER_BITS
    real = min(float(beta) * float(input_scale) * (1 << (31 - bits)), (1 << 31) - 1.0)
    multiplier, left_shift = quantize_multiplier_greater_than_one(real)
    max_input_rescaled = 1.0 * ((1 << bits) - 1) * (1 << (31 - bits)) / (1 << left_shift)
    diff_min = -int(math.floor(max_input_rescaled))
    table = []
    for d in range(-255, 1):
        if d < diff_min:
            table.append(0)
            continue
        rescaled = multiply_by_quantized_multiplier_greater_than_one(d, multiplier, left_shift)
        table.append(exp_on_negative_values(rescaled, bits))
    return table


def quantized_sum_table(
    input_scale: float, input_zero_point: int, output_scale: float, output_zero_point: int, n: int
) -> list[int]:
    """int8 SUM output for every raw sum s in [-128 n, 127 n] (index s + 128 n), as LiteRT's
    kernel computes it in float: clamp(round(s * (in_scale / out_scale) + bias) + out_zp)."""
    scale = np.float32(input_scale) / np.float32(output_scale)
    bias = np.float32(-input_zero_point) * scale * np.float32(n)
    sums = np.arange(-128 * n, 127 * n + 1).astype(np.float32)
    value = sums * scale + bias
    rounded = np.where(
        value >= 0, np.floor(value + np.float32(0.5)), np.ceil(value - np.float32(0.5))
    )
    return np.clip(rounded + output_zero_point, -128, 127).astype(int).tolist()


# ---- 256-entry tables for int8 elementwise ops -------------------------------------------------


def multiply_by_quantized_multiplier(x: int, multiplier: int, shift: int) -> int:
    left, right = max(shift, 0), max(-shift, 0)
    return rounding_divide_by_pot(srdhm(_wrap32(x * (1 << left)), multiplier), right)


def _round_half_away(v: np.ndarray) -> np.ndarray:
    whole = np.trunc(v)
    frac = v - whole
    return whole + (frac >= 0.5) - (frac <= -0.5)


INT8_VALUES = np.arange(-128, 128, dtype=np.int32)


def float_lut(in_scale, in_zp, out_scale, out_zp, transform) -> list[int]:
    """LUTPopulate<int8_t>: dequantize, transform in float32, requantize; per input value."""
    f = np.float32
    dequantized = f(in_scale) * (INT8_VALUES - in_zp).astype(f)
    transformed = np.asarray(transform(dequantized)).astype(f)
    rescaled = _round_half_away((transformed * (f(1) / f(out_scale))).astype(f))
    return np.clip(rescaled + out_zp, -128, 127).astype(int).tolist()


def leaky_relu_lut(in_scale, in_zp, out_scale, out_zp, alpha) -> list[int]:
    """reference_ops::QuantizeLeakyRelu with leaky_relu.cc's multipliers."""
    f = np.float32
    alpha_m, alpha_s = quantize_multiplier(float(f(in_scale) * f(alpha) / f(out_scale)))
    id_m, id_s = quantize_multiplier(float(f(in_scale) / f(out_scale)))
    table = []
    for q in range(-128, 128):
        v = q - in_zp
        m, s = (id_m, id_s) if v >= 0 else (alpha_m, alpha_s)
        table.append(min(max(out_zp + multiply_by_quantized_multiplier(v, m, s), -128), 127))
    return table


def _wrap16(x: int) -> int:
    return (x + (1 << 15)) % (1 << 16) - (1 << 15)


def _srdhm16(a: int, b: int) -> int:
    if a == b == -(1 << 15):
        return (1 << 15) - 1
    ab = a * b
    nudge = (1 << 14) if ab >= 0 else 1 - (1 << 14)
    return _wrap16(_trunc_div(ab + nudge, 1 << 15))


def _sdhm16(a: int, b: int) -> int:
    """TFLite's SaturatingDoublingHighMul (no rounding)."""
    if a == b == -(1 << 15):
        return (1 << 15) - 1
    return _wrap16(_trunc_div(a * b, 1 << 15))


def _saturating_left_shift16(value: int, amount: int) -> int:
    return min(max(value * (1 << amount), -(1 << 15)), (1 << 15) - 1)


def _downscale_to_int16(m: int) -> int:
    if m >= INT32_MAX - (1 << 15):
        return (1 << 15) - 1
    return (m + (1 << 15)) >> 16


def hard_swish_lut(in_scale, in_zp, out_scale, out_zp) -> list[int]:
    """reference_ops::HardSwish<int8_t> with HardSwishPrepare's fixed-point parameters."""
    f = np.float32
    hires_input_scale = f(1.0 / 128.0) * f(in_scale)
    reluish_scale = f(3.0) / f(32768.0)
    out_m32, out_exp = quantize_multiplier(float(hires_input_scale / f(out_scale)))
    out_m16 = _downscale_to_int16(out_m32)
    relu_m32, relu_exp = quantize_multiplier(float(hires_input_scale / reluish_scale))
    relu_m16 = _downscale_to_int16(relu_m32)
    table = []
    for q in range(-128, 128):
        x = _wrap16(q - in_zp)
        hires = _wrap16(x * (1 << 7))
        preshift = _srdhm16(hires, out_m16)
        reluish = hires
        if relu_exp > 0:
            reluish = _saturating_left_shift16(reluish, relu_exp - 1)
        reluish = _srdhm16(reluish, relu_m16)
        if relu_exp > 0:
            reluish = _saturating_left_shift16(reluish, 1)
        if relu_exp < 0:
            reluish = rounding_divide_by_pot(reluish, -relu_exp)
        reluish = (reluish + (1 << 15)) >> 1
        out = _sdhm16(reluish, preshift)
        out = rounding_divide_by_pot(out, -out_exp) + out_zp
        table.append(min(max(out, -128), 127))
    return table


def _inv_sqrt_quantized_multiplier_exp(value: int) -> tuple[int, int]:
    """GetInvSqrtQuantizedMultiplierExp(value, kReverseShift = -1): 1/sqrt(value) in fixed point,
    by gemmlowp Newton-Raphson iterations on a Q3.28 number."""
    if value <= 1:
        return INT32_MAX, 0
    shift = 11
    while value >= (1 << 29):
        value //= 4
        shift += 1
    max_left_shift_bits = (32 - value.bit_length()) - 1
    left_shift_bit_pairs = max_left_shift_bits // 2 - 1
    shift -= left_shift_bit_pairs
    value <<= 2 * left_shift_bit_pairs
    fixed_input = value >> 1  # F3
    half_input = saturating_rounding_multiply_by_pot(fixed_input, -1)
    half_three = (1 << 28) + (1 << 27)
    x = 1 << 28  # F3 one
    for _ in range(5):
        x3 = saturating_rounding_multiply_by_pot(srdhm(srdhm(x, x), x), 6)  # F9 -> F3
        x = saturating_rounding_multiply_by_pot(
            _wrap32(srdhm(half_three, x) - srdhm(half_input, x3)), 3
        )  # F6 -> F3
    x = srdhm(x, 1518500250)  # * sqrt(2) / 2
    if shift < 0:
        x = _wrap32(x << -shift)
        shift = 0
    return x, -shift


def rsqrt_lut(in_scale, in_zp, out_scale, out_zp) -> list[int]:
    """RsqrtEvalQuantized (elementwise.cc) for every int8 input."""
    f = np.float32
    multiplier, shift = quantize_multiplier(1.0 / float(np.sqrt(f(in_scale)) * f(out_scale)))
    table = []
    for q in range(-128, 128):
        value = q - in_zp
        if value <= 0:  # 0 means "the largest output"; LiteRT rejects negative inputs
            table.append(127)
            continue
        inv_m, inv_s = _inv_sqrt_quantized_multiplier_exp(value)
        data = multiply_by_quantized_multiplier(1, inv_m, inv_s + 20)
        out = multiply_by_quantized_multiplier(data, multiplier, shift - 20) + out_zp
        table.append(min(max(out, -128), 127))
    return table
