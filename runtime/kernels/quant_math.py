"""TFLite's fixed-point arithmetic, vectorized over numpy int64 arrays.

Every quantized kernel requantizes through these helpers so that results match LiteRT bit for
bit. MultiplyByQuantizedMultiplier is a rounding doubling high multiply (round(x * m / 2^31),
ties upward in gemmlowp's as in NEON's SQRDMULH) followed by a rounding right shift, which
comes in two flavours that LiteRT mixes:

- `"tflite"`: the reference kernels' gemmlowp RoundingDivideByPOT, ties away from zero;
- `"neon"`: what LiteRT's optimized kernels execute (SRSHL, also ruy's x86 GEMM), ties upward;
- `"neon_high_mul"`: kept as a name for loops written as SQRDMULH + RoundingDivideByPOT, which
  is the same arithmetic as `"tflite"`.

Values are carried in int64 so that int32 overflow never happens silently; the caller saturates
to the output type at the end, as the C++ kernels do.
"""

from __future__ import annotations

import numpy as np

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1

QUANT_RANGES: dict[str, tuple[int, int]] = {
    "INT8": (-128, 127),
    "UINT8": (0, 255),
    "INT16": (-32768, 32767),
    "INT32": (INT32_MIN, INT32_MAX),
    "INT4": (-8, 7),
}


def tflite_round(x: np.ndarray | float) -> np.ndarray:
    """std::round: halves away from zero (np.round rounds halves to even)."""
    x = np.asarray(x)
    return np.copysign(np.floor(np.abs(x) + 0.5), x)


def quantize_multiplier(real: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """QuantizeMultiplier: real = multiplier * 2^(shift - 31), multiplier in [2^30, 2^31)."""
    real = np.asarray(real, dtype=np.float64)
    q, shift = np.frexp(real)
    q_fixed = tflite_round(q * float(1 << 31)).astype(np.int64)
    carry = q_fixed == (1 << 31)
    q_fixed = np.where(carry, q_fixed // 2, q_fixed)
    shift = np.where(carry, shift + 1, shift).astype(np.int64)
    # Shifts below -31 flush the multiplier to zero, and shifts above 30 saturate it (the
    # single-rounding multiply takes no more), as TFLite does.
    tiny = shift < -31
    q_fixed = np.where(tiny | (real == 0), 0, q_fixed)
    shift = np.where(tiny | (real == 0), 0, shift)
    huge = shift > 30
    q_fixed = np.where(huge, INT32_MAX, q_fixed)
    shift = np.where(huge, 30, shift)
    return q_fixed, shift


def _trunc_shift(x: np.ndarray, bits: int) -> np.ndarray:
    """C integer division by 2^bits (truncates toward zero)."""
    return np.where(x >= 0, x >> bits, -((-x) >> bits))


def srdhm(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """SaturatingRoundingDoublingHighMul: round(a * b / 2^31), ties upward.

    gemmlowp's nudge of 1 - 2^30 for negative products followed by a division that truncates
    toward zero is the same as adding 2^30 and flooring, which is what NEON's SQRDMULH does.
    """
    ab = np.asarray(a, dtype=np.int64) * np.asarray(b, dtype=np.int64)
    out = (ab + (1 << 30)) >> 31
    return np.minimum(out, INT32_MAX)  # only INT32_MIN * INT32_MIN saturates


srdhm_neon = srdhm


def rounding_divide_by_pot(x: np.ndarray, exponent: np.ndarray | int) -> np.ndarray:
    """gemmlowp RoundingDivideByPOT: x / 2^exponent, ties away from zero."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def rounding_divide_by_pot_x86(x: np.ndarray, exponent: np.ndarray | int) -> np.ndarray:
    """RoundingDivideByPOT of int32 values as LiteRT's x86 build computes it for any exponent
    >= 0: past 31 (undefined in C++, reached by DIV's small quotients) the mask truncates to
    int32 (all ones) and the arithmetic shift counts modulo 32."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64) & 63
    mask = np.where(exponent >= 32, -1, (np.int64(1) << (exponent & 31)) - 1)
    threshold = (mask >> 1) + (x < 0)
    return (x >> (exponent & 31)) + ((x & mask) > threshold)


def rounding_shift_right_neon(x: np.ndarray, exponent: np.ndarray | int) -> np.ndarray:
    """SRSHL by a negative amount: x / 2^exponent, ties upward."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    nudge = np.where(exponent > 0, np.int64(1) << np.maximum(exponent - 1, 0), 0)
    return (x + nudge) >> exponent


def multiply_by_quantized_multiplier(
    x: np.ndarray, multiplier: np.ndarray | int, shift: np.ndarray | int, rounding: str = "tflite"
) -> np.ndarray:
    """MultiplyByQuantizedMultiplier for int32 accumulators (double rounding).

    The multiplier is non-negative, so the high multiply never saturates; both steps are fused
    into as few int64 passes as exactness allows (they dominate quantized kernels' time).
    """
    x = np.asarray(x, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    multiplier = np.asarray(multiplier, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    if np.any(left):
        # C's `x * (1 << left_shift)` on int32: past int32 it wraps (a large multiplier)
        x = ((x << left) - INT32_MIN) % (1 << 32) + INT32_MIN
    prod = x * multiplier
    if rounding == "neon":
        # floor((floor((p + 2^30) / 2^31) + 2^(r-1)) / 2^r) = floor((p + 2^30 + 2^(30+r)) / 2^(31+r))
        bias = (np.int64(1) << 30) + np.where(right > 0, np.int64(1) << (30 + right), 0)
        prod += bias
        prod >>= 31 + right
        return prod
    prod += np.int64(1) << 30
    prod >>= 31
    if not np.any(right):
        return prod
    # RoundingDivideByPOT: (q + 2^(r-1) - [q < 0]) >> r rounds halves away from zero.
    half = np.where(right > 0, np.int64(1) << np.maximum(right - 1, 0), 0)
    return (prod + half - ((prod < 0) & (right > 0))) >> right


def multiply_by_quantized_multiplier_64(
    x: np.ndarray, multiplier: np.ndarray | int, shift: np.ndarray | int
) -> np.ndarray:
    """MultiplyByQuantizedMultiplier for int64 accumulators (16x8 kernels): single rounding
    with the multiplier reduced to 16 bits."""
    x = np.asarray(x, dtype=np.int64)
    multiplier = np.asarray(multiplier, dtype=np.int64)
    reduced = np.where(multiplier < 0x7FFF0000, (multiplier + (1 << 15)) >> 16, 0x7FFF)
    total_shift = 15 - np.asarray(shift, dtype=np.int64)
    return (x * reduced + (np.int64(1) << (total_shift - 1))) >> total_shift


def count_leading_sign_bits(x: np.ndarray) -> np.ndarray:
    """CountLeadingSignBits of int32 values: the left shift that keeps each value in int32
    (31 for 0 and -1)."""
    x = np.asarray(x, dtype=np.int64)
    magnitude = np.where(x < 0, -x - 1, x)  # ~x for negatives: same sign-bit run
    _, bit_length = np.frexp(magnitude.astype(np.float64))  # exact below 2^53
    return 31 - bit_length.astype(np.int64)


def saturate(x: np.ndarray, type_name: str) -> np.ndarray:
    lo, hi = QUANT_RANGES[type_name]
    return np.clip(x, lo, hi)


def activation_bounds(activation: str | int | None) -> tuple[float, float]:
    """Float clamp bounds of a fused activation (CalculateActivationRange)."""
    return {
        "RELU": (0.0, np.inf),
        "RELU6": (0.0, 6.0),
        "RELU_N1_TO_1": (-1.0, 1.0),
    }.get(activation, (-np.inf, np.inf))


def quantized_clamp(
    act_min: float, act_max: float, scale: float, zero_point: int, type_name: str
) -> tuple[int, int]:
    """The float range [act_min, act_max] as a clamp on the quantized values of (scale,
    zero_point) (CalculateActivationRangeQuantizedImpl, QuantizedReluX). A bound whose quotient
    by the scale is past int32 (a tiny scale) is cast as LiteRT's x86 build casts it: C leaves
    the cast undefined, x86's conversion gives INT32_MIN, and the int32 sum wraps."""
    lo, hi = QUANT_RANGES[type_name]
    scale32 = np.float32(scale)

    def q(v: float) -> int:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            steps = float(tflite_round(np.float32(v) / scale32))
        cast = int(steps) if INT32_MIN <= steps <= INT32_MAX else INT32_MIN  # NaN too
        return wrap32(zero_point + cast)

    return (
        lo if act_min == -np.inf else max(lo, q(act_min)),
        hi if act_max == np.inf else min(hi, q(act_max)),
    )


def activation_range_quantized(
    activation: str, scale: float, zero_point: int, type_name: str
) -> tuple[int, int]:
    """CalculateActivationRangeQuantized: the fused activation as an integer clamp."""
    return quantized_clamp(*activation_bounds(activation), scale, zero_point, type_name)


# --- gemmlowp fixed-point on Python ints (exact; for per-value tables) -----------------------


def quantize_multiplier_int(real: float) -> tuple[int, int]:
    """`quantize_multiplier` of one real, as Python ints (for parameters written into code)."""
    multiplier, shift = quantize_multiplier(real)
    return int(multiplier), int(shift)


def srdhm_int(a: int, b: int) -> int:
    """SaturatingRoundingDoublingHighMul of two int32 values."""
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    q = ab + nudge
    return q >> 31 if q >= 0 else -((-q) >> 31)


def rounding_divide_by_pot_int(x: int, exponent: int) -> int:
    """RoundingDivideByPOT: x / 2^exponent, ties away from zero, for any exponent >= 0."""
    mask = (1 << exponent) - 1
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if (x & mask) > threshold else 0)


def saturating_rounding_multiply_by_pot_int(x: int, exponent: int) -> int:
    """SaturatingRoundingMultiplyByPOT: x * 2^exponent, saturated to int32 when exponent > 0,
    a rounding division when it is negative."""
    if exponent <= 0:
        return rounding_divide_by_pot_int(x, -exponent)
    threshold = (1 << (31 - exponent)) - 1
    if x > threshold:
        return INT32_MAX
    if x < -threshold:
        return INT32_MIN
    return x << exponent


def wrap32(x: int) -> int:
    """x modulo 2^32 as a signed int32: C++'s wrapping int32 arithmetic."""
    return ((x + (1 << 31)) % (1 << 32)) - (1 << 31)


def multiply_by_quantized_multiplier_greater_than_one_int(
    x: int, multiplier: int, left: int
) -> int:
    return srdhm_int(wrap32(x * (1 << left)), multiplier)


def _exp_on_interval_between_negative_one_quarter_and_0_excl(a: int) -> int:
    """Q0.31 -> Q0.31: a Taylor polynomial around -1/8."""
    constant_term = 1895147668
    constant_1_over_3 = 715827883
    x = wrap32(a + (1 << 28))
    x2 = srdhm_int(x, x)
    x3 = srdhm_int(x2, x)
    x4 = srdhm_int(x2, x2)
    x4_over_4 = saturating_rounding_multiply_by_pot_int(x4, -2)
    inner = wrap32(srdhm_int(wrap32(x4_over_4 + x3), constant_1_over_3) + x2)
    poly = saturating_rounding_multiply_by_pot_int(inner, -1)
    return wrap32(constant_term + srdhm_int(constant_term, wrap32(x + poly)))


# exp(-2^exponent) in Q0.31, for the barrel shifter of exp_on_negative_values
_EXP_OF_NEGATIVE_POWERS_OF_TWO = (
    (-2, 1672461947),
    (-1, 1302514674),
    (0, 790015084),
    (1, 290630308),
    (2, 39332535),
    (3, 720401),
    (4, 242),
)


def exp_on_negative_values_int(a: int, integer_bits: int = 5) -> int:
    """gemmlowp::exp_on_negative_values for a Q(integer_bits).(31 - integer_bits) input <= 0,
    in Q0.31."""
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    mask = one_quarter - 1
    a_mod_quarter_minus_one_quarter = wrap32((a & mask) - one_quarter)
    result = _exp_on_interval_between_negative_one_quarter_and_0_excl(
        saturating_rounding_multiply_by_pot_int(a_mod_quarter_minus_one_quarter, integer_bits)
    )
    remainder = wrap32(a_mod_quarter_minus_one_quarter - a)
    for exponent, multiplier in _EXP_OF_NEGATIVE_POWERS_OF_TWO:
        if integer_bits > exponent and remainder & (1 << (fractional_bits + exponent)):
            result = srdhm_int(result, multiplier)
    return INT32_MAX if a == 0 else result


def rounding_half_sum_int(a: int, b: int) -> int:
    """gemmlowp RoundingHalfSum: (a + b) / 2, halves away from zero."""
    total = a + b
    total += 1 if total >= 0 else -1
    return total // 2 if total >= 0 else -((-total) // 2)


def one_over_one_plus_x_for_x_in_0_1_int(a: int) -> int:
    """gemmlowp's 1 / (1 + a) for a Q0.31 `a` in [0, 1): three Newton-Raphson steps in Q2.29,
    result in Q0.31."""
    half_denominator = rounding_half_sum_int(a, INT32_MAX)
    x = wrap32(1515870810 + srdhm_int(half_denominator, -1010580540))  # 48/17 - 32/17 * d
    for _ in range(3):
        one_minus_dx = wrap32((1 << 29) - srdhm_int(half_denominator, x))
        x = wrap32(x + saturating_rounding_multiply_by_pot_int(srdhm_int(x, one_minus_dx), 2))
    return saturating_rounding_multiply_by_pot_int(x, 1)


def reciprocal_int(x: int, integer_digits: int = 31) -> tuple[int, int]:
    """GetReciprocal of a positive int32 `x` with `integer_digits` integer bits: (1/x as a
    Q0.31 multiplier, the number of bits x has above 1.0)."""
    headroom_plus_one = 32 - x.bit_length()
    bits_over_unit = integer_digits - headroom_plus_one
    shifted_minus_one = wrap32((x << headroom_plus_one) - (1 << 31))
    return one_over_one_plus_x_for_x_in_0_1_int(shifted_minus_one), bits_over_unit


def inv_sqrt_quantized_multiplier_exp(value: int, reverse_shift: int) -> tuple[int, int]:
    """GetInvSqrtQuantizedMultiplierExp: 1/sqrt(value) as (multiplier, shift), computed with
    gemmlowp's Q3.28 Newton-Raphson iteration exactly as TFLite does."""
    if value <= 1:
        return INT32_MAX, 0
    shift = 11
    while value >= (1 << 29):
        value //= 4
        shift += 1
    leading_zeros = 32 - value.bit_length()
    pairs = (leading_zeros - 1) // 2 - 1
    shift -= pairs
    value <<= 2 * pairs
    x_in = value >> 1  # Q3.28
    half_input = rounding_divide_by_pot_int(x_in, 1)
    half_three = (1 << 28) + (1 << 27)
    x = 1 << 28
    for _ in range(5):
        x3 = saturating_rounding_multiply_by_pot_int(srdhm_int(srdhm_int(x, x), x), 6)
        t = wrap32(srdhm_int(half_three, x) - srdhm_int(half_input, x3))
        x = saturating_rounding_multiply_by_pot_int(t, 3)
    x = srdhm_int(x, 1518500250)
    if shift < 0:
        x <<= -shift
        shift = 0
    return x, shift * reverse_shift
