"""Helpers shared by the op lowerings: activation ranges, multipliers, C literals."""

from __future__ import annotations

import numpy as np
from tflc.errors import TflcError
from tflc.runtime.kernels.geometry import conv_axis
from tflc.runtime.kernels.quant_math import (
    activation_bounds,
    activation_range_quantized,
    quantize_multiplier_int,
)

FLT_MAX = float(np.finfo(np.float32).max)
FLT_LOWEST = -FLT_MAX


def _supported(act: str) -> str:
    if act not in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"):
        raise TflcError(f"fused activation {act} is not supported by the MCU target")
    return act


def act_range(act: str, scale: float, zp: int) -> tuple[int, int]:
    """The fused activation as an int8 clamp (the interpreter's rule)."""
    return activation_range_quantized(_supported(act), scale, zp, "INT8")


def float_act(act: str) -> tuple[str, str]:
    """The fused activation's float bounds as C literals."""
    lo, hi = activation_bounds(_supported(act))
    return float_bound_literal(lo), float_bound_literal(hi)


def float_bound_literal(bound: float) -> str:
    """A clamp bound as a C float literal; an infinite one as the largest finite float."""
    return float_literal(min(max(bound, FLT_LOWEST), FLT_MAX))


def multipliers(reals: list[float]) -> tuple[list[int], list[int]]:
    pairs = [quantize_multiplier_int(r) for r in reals]
    return [m for m, _ in pairs], [s for _, s in pairs]


def struct(fields: list) -> str:
    return "{" + ", ".join(str(f) for f in fields) + "}"


def pool_geometry(lw, x, y) -> list[int]:
    """A 2-D pool's [n, ih, iw, c, oh, ow, kh, kw, sh, sw, pad top, pad left] (C params order)."""
    n, ih, iw, c = nhwc(x.shape)
    _, oh, ow, _ = nhwc(y.shape)
    kh, kw = lw.attr("filter_height"), lw.attr("filter_width")
    sh, sw = lw.attr("stride_h"), lw.attr("stride_w")
    pad = lw.attr("padding")
    ph, pw = conv_axis(pad, ih, kh, sh).before, conv_axis(pad, iw, kw, sw).before
    return [n, ih, iw, c, oh, ow, kh, kw, sh, sw, ph, pw]


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
