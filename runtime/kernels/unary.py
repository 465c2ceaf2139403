"""Unary elementwise math. Float results are computed in float64 and rounded once."""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.node import Node, is_quantized, scale_zp
from tflc.runtime.kernels.quant_math import (
    QUANT_RANGES,
    inv_sqrt_quantized_multiplier_exp,
    multiply_by_quantized_multiplier,
    quantize_multiplier,
)
from tflc.runtime.kernels.quantized_activations import lut_activation


def _log_or_min(node: Node):
    """LogLUTPrepare's transform: log, and the output's lowest value for inputs <= 0."""
    out_s, out_zp = scale_zp(node.output())
    out_min = np.float32(np.float32(-128 - out_zp) * np.float32(out_s))

    def transform(v: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(v <= 0, out_min, np.log(np.maximum(v.astype(np.float64), 1e-45)))

    return transform


# int8 ops that LiteRT runs as 256-entry tables of the float function.
_INT8_TABLES = {"EXP": lambda node: np.exp, "LOG": _log_or_min}


def _float_unary(fn):
    def run(node: Node, x: np.ndarray):
        if x.dtype == np.int8 and node.op in _INT8_TABLES and is_quantized(node.input(0)):
            return lut_activation(node, x, _INT8_TABLES[node.op](node))
        if x.dtype in (np.int8, np.uint8, np.int16) and is_quantized(node.input(0)):
            raise node.error(f"quantized {node.op} ({x.dtype}) is not supported")
        with np.errstate(all="ignore"):
            if np.issubdtype(x.dtype, np.floating):
                return fn(x.astype(np.float64)).astype(x.dtype)
            return fn(x).astype(node.out_dtype())

    return run


def _refuse_quantized(node: Node) -> str | None:
    t = node.input(0)
    if t is not None and t.type in ("INT8", "UINT8", "INT16") and is_quantized(t):
        if not (t.type == "INT8" and node.op in _INT8_TABLES):
            return f"quantized {t.type} input is not supported"
    return None


for _name, _fn in {
    "EXP": np.exp,
    "LOG": np.log,
    "SIN": np.sin,
    "COS": np.cos,
    "FLOOR": np.floor,
    "CEIL": np.ceil,
    "ROUND": np.round,  # round half to even, as TFLite's ROUND
    "SQUARE": np.square,
    "SIGN": np.sign,
}.items():
    kernel(_name, check=_refuse_quantized)(_float_unary(_fn))


def _requantized(node: Node, values: np.ndarray) -> np.ndarray:
    """Maps integer values on the input scale to the output scale (ABS int8 / int16)."""
    in_s, _ = scale_zp(node.input(0))
    out_s, out_zp = scale_zp(node.output())
    m, s = quantize_multiplier(np.float64(in_s) / np.float64(out_s))
    out = multiply_by_quantized_multiplier(values, m, s) + out_zp
    lo, hi = QUANT_RANGES[node.output().type]
    return np.clip(out, lo, hi).astype(node.out_dtype())


@kernel("ABS")
def abs_(node: Node, x: np.ndarray):
    if x.dtype in (np.int8, np.int16) and is_quantized(node.input(0)):
        _, in_zp = scale_zp(node.input(0))
        return _requantized(node, np.abs(x.astype(np.int64) - in_zp))
    return np.abs(x)


@kernel("NEG")
def neg(node: Node, x: np.ndarray):
    # LiteRT negates the stored integers of every integer type, quantized or not: scales and
    # zero points are ignored and -128 wraps to itself (neg.cc, reference_ops::Negate). The
    # int8 quantizer therefore keeps NEG in float, as TensorFlow's converter does.
    return np.negative(x)


@kernel("LOGICAL_NOT")
def logical_not(node: Node, x: np.ndarray):
    return np.logical_not(x)


@kernel("IMAG")
def imag(node: Node, x: np.ndarray):
    return np.imag(x).astype(node.out_dtype())


@kernel("REAL")
def real(node: Node, x: np.ndarray):
    return np.real(x).astype(node.out_dtype())


@kernel("COMPLEX_ABS")
def complex_abs(node: Node, x: np.ndarray):
    return np.abs(x).astype(node.out_dtype())


@kernel("BITCAST")
def bitcast(node: Node, x: np.ndarray):
    out_t = node.output()
    return np.ascontiguousarray(x).view(node.out_dtype()).reshape(out_t.shape)


_sqrt_float = _float_unary(np.sqrt)


def _check_sqrt(node: Node) -> str | None:
    t = node.input(0)
    if t is None or not is_quantized(t) or t.type not in ("UINT8", "INT16"):
        return None
    if t.type == "UINT8":
        return "quantized UINT8 input is not supported"
    if scale_zp(t)[1] != 0 or scale_zp(node.output())[1] != 0:
        return "quantized INT16 input and output need zero points of 0"
    return None


@kernel("SQRT", check=_check_sqrt)
def sqrt(node: Node, x: np.ndarray):
    if x.dtype in (np.int8, np.int16) and is_quantized(node.input(0)):
        _, in_zp = scale_zp(node.input(0))
        if x.size and int(x.min()) < in_zp:
            raise node.error("SQRT is only defined for non-negative values")
        if x.dtype == np.int8:
            lut = node.cache.get("lut")
            if lut is None:
                lut = node.cache["lut"] = sqrt_int8_table(node)
            return lut[x.astype(np.int64) + 128]
        return _sqrt_quantized(node, x.astype(np.int64))
    return _sqrt_float(node, x)


def _sqrt_quantized(node: Node, values: np.ndarray) -> np.ndarray:
    """SqrtEvalQuantized: dequantize and sqrt in float32, then divide by the output scale and
    truncate toward zero (a cast, not a rounding)."""
    in_s, in_zp = scale_zp(node.input(0))
    out_s, out_zp = scale_zp(node.output())
    dequantized = np.float32(in_s) * (values - in_zp).astype(np.float32)
    with np.errstate(invalid="ignore"):
        root = np.sqrt(np.maximum(dequantized, np.float32(0)))
    out = np.trunc(root / np.float32(out_s)).astype(np.int64) + out_zp
    lo, hi = QUANT_RANGES[node.output().type]
    return np.clip(out, lo, hi).astype(node.out_dtype())


def sqrt_int8_table(node: Node) -> np.ndarray:
    """SQRT int8 for every input value (entry q + 128); 0 for the values below the zero point,
    which LiteRT refuses."""
    _, in_zp = scale_zp(node.input(0))
    values = np.arange(-128, 128, dtype=np.int64)
    return np.where(values < in_zp, 0, _sqrt_quantized(node, values)).astype(np.int8)


_rsqrt_float = _float_unary(lambda v: 1.0 / np.sqrt(v))


def _check_rsqrt(node: Node) -> str | None:
    t = node.input(0)
    if t is not None and t.type in ("UINT8", "INT16") and is_quantized(t):
        return f"quantized {t.type} input is not supported"
    return None


@kernel("RSQRT", check=_check_rsqrt)
def rsqrt(node: Node, x: np.ndarray):
    if x.dtype == np.int8 and is_quantized(node.input(0)):
        return _rsqrt_int8(node, x)
    if x.dtype == np.float32:
        with np.errstate(all="ignore"):  # LiteRT's 1.f / std::sqrt(f): two float32 roundings
            return np.float32(1.0) / np.sqrt(x)
    return _rsqrt_float(node, x)


def _rsqrt_int8(node: Node, x: np.ndarray) -> np.ndarray:
    _, in_zp = scale_zp(node.input(0))
    if x.size and int(x.min()) < in_zp:
        raise node.error("RSQRT is only defined for non-negative values")
    lut = node.cache.get("lut")
    if lut is None:
        lut = node.cache["lut"] = rsqrt_int8_table(node)
    return lut[x.astype(np.int64) + 128]


def rsqrt_int8_table(node: Node) -> np.ndarray:
    """RsqrtEvalQuantizedInt8's per-value table of fixed-point inverse square roots (entry
    q + 128); 0 for the negative values LiteRT refuses, the largest output for 0."""
    in_s, in_zp = scale_zp(node.input(0))
    out_s, out_zp = scale_zp(node.output())
    sqrt_in = np.sqrt(np.float32(in_s)).astype(np.float32)
    m_out, s_out = quantize_multiplier(1.0 / float(np.float32(sqrt_in * np.float32(out_s))))
    lut = np.empty(256, dtype=np.int8)
    shift = 20  # keeps the intermediate an integer
    for q in range(-128, 128):
        value = q - in_zp
        if value < 0:
            lut[q + 128] = 0
            continue
        if value == 0:
            lut[q + 128] = 127
            continue
        m, s = inv_sqrt_quantized_multiplier_exp(value, -1)
        data = int(multiply_by_quantized_multiplier(np.int64(1), m, s + shift))
        out = int(multiply_by_quantized_multiplier(np.int64(data), m_out, s_out - shift))
        lut[q + 128] = min(max(out + out_zp, -128), 127)
    return lut
