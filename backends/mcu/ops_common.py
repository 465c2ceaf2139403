"""Helpers shared by the op lowerings: activation ranges, multipliers, C literals."""

from __future__ import annotations

import numpy as np
from tflc.errors import TflcError
from tflc.runtime.kernels.quant_math import quantize_multiplier_int, tflite_round


def act_range(act: str, scale: float, zp: int) -> tuple[int, int]:
    """CalculateActivationRangeQuantized for int8."""

    def q(f: float) -> int:
        return zp + int(tflite_round(float(np.float32(f) / np.float32(scale))))

    lo, hi = -128, 127
    if act == "RELU":
        return max(lo, q(0.0)), hi
    if act == "RELU6":
        return max(lo, q(0.0)), min(hi, q(6.0))
    if act == "RELU_N1_TO_1":
        return max(lo, q(-1.0)), min(hi, q(1.0))
    if act == "NONE":
        return lo, hi
    raise TflcError(f"fused activation {act} is not supported by the MCU target")


def float_act(act: str) -> tuple[str, str]:
    ranges = {
        "NONE": ("-3.40282347e+38f", "3.40282347e+38f"),
        "RELU": ("0.0f", "3.40282347e+38f"),
        "RELU6": ("0.0f", "6.0f"),
        "RELU_N1_TO_1": ("-1.0f", "1.0f"),
    }
    if act not in ranges:
        raise TflcError(f"fused activation {act} is not supported by the MCU target")
    return ranges[act]


def multipliers(reals: list[float]) -> tuple[list[int], list[int]]:
    pairs = [quantize_multiplier_int(r) for r in reals]
    return [m for m, _ in pairs], [s for _, s in pairs]


def struct(fields: list) -> str:
    return "{" + ", ".join(str(f) for f in fields) + "}"


def nhwc(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    if len(shape) != 4:
        raise TflcError(f"expected a 4-D NHWC tensor, got shape {list(shape)}")
    return shape  # type: ignore[return-value]


def per_channel_values(value, n: int) -> list[float]:
    return list(value) if isinstance(value, list) else [value] * n


def float_literal(x: float) -> str:
    return f"{float(np.float32(x))!r}f".replace("inf", "INFINITY")


def contiguous_strides(shape) -> list[int]:
    strides, acc = [0] * len(shape), 1
    for i in range(len(shape) - 1, -1, -1):
        strides[i] = acc
        acc *= shape[i]
    return strides
