"""Compile-time fixed-point parameters of the MCU's int8 kernels.

Everything here runs in the compiler so the generated int8 C has no float math. The arithmetic
itself is the runtime's one fixed-point library (runtime/kernels/quant_math.py: QuantizeMultiplier,
gemmlowp's exp_on_negative_values, ...); this module only lays out the tables the C kernels read.
"""

from __future__ import annotations

import math

import numpy as np
from tflc.runtime.kernels.quant_math import (
    exp_on_negative_values_int,
    multiply_by_quantized_multiplier_greater_than_one_int,
    quantize_multiplier_int,
)


def f32(x: float) -> float:
    """`x` rounded to float32, as TFLite holds scales."""
    return float(np.float32(x))


SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5


def softmax_exp_table(input_scale: float, beta: float) -> list[int]:
    """exp(beta * scale * d) in Q0.31 for d = -255..0, as reference_ops::Softmax computes it.

    PreprocessSoftmaxScaling + CalculateInputRadius decide `diff_min`; entries below it are 0,
    which makes the kernel skip them exactly as the reference does.
    """
    bits = SOFTMAX_SCALED_DIFF_INTEGER_BITS
    real = min(float(beta) * float(input_scale) * (1 << (31 - bits)), (1 << 31) - 1.0)
    multiplier, left_shift = quantize_multiplier_int(real)
    max_input_rescaled = 1.0 * ((1 << bits) - 1) * (1 << (31 - bits)) / (1 << left_shift)
    diff_min = -int(math.floor(max_input_rescaled))
    table = []
    for d in range(-255, 1):
        if d < diff_min:
            table.append(0)
            continue
        rescaled = multiply_by_quantized_multiplier_greater_than_one_int(d, multiplier, left_shift)
        table.append(exp_on_negative_values_int(rescaled, bits))
    return table


def log_softmax_params(input_scale: float) -> dict:
    """reference_integer_ops::LogSoftmax's parameters (PreprocessLogSoftmaxScalingExp with beta
    1, CalculateInputRadius): diff_min, the reverse scaling multiplier and shift, and for every
    d = -255..0 its Q5.26 value and its exp in Q0.31 (the softmax table)."""
    bits = SOFTMAX_SCALED_DIFF_INTEGER_BITS
    real = min(float(input_scale) * (1 << (31 - bits)), (1 << 31) - 1.0)
    multiplier, left_shift = quantize_multiplier_int(real)
    max_input_rescaled = 1.0 * ((1 << bits) - 1) * (1 << (31 - bits)) / (1 << left_shift)
    reverse_multiplier, reverse_shift = quantize_multiplier_int(
        (1 << (31 - left_shift)) / float(multiplier)
    )
    return {
        "diff_min": -int(math.floor(max_input_rescaled)),
        "reverse_multiplier": reverse_multiplier,
        "reverse_shift": reverse_shift,
        "diff_q5": [
            multiply_by_quantized_multiplier_greater_than_one_int(d, multiplier, left_shift)
            for d in range(-255, 1)
        ],
        "exp_table": softmax_exp_table(input_scale, 1.0),
    }


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
