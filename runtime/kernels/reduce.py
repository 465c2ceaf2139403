"""Reductions: MEAN, SUM, REDUCE_{PROD,MAX,MIN,ANY,ALL}, ARG_MAX/ARG_MIN, CUMSUM."""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.node import Node, is_quantized, scale_zp
from tflc.runtime.kernels.quant_math import (
    QUANT_RANGES,
    multiply_by_quantized_multiplier,
    quantize_multiplier,
    tflite_round,
)


def _axes(node: Node, x: np.ndarray, axis: np.ndarray) -> tuple[int, ...]:
    axes = []
    for a in np.asarray(axis).reshape(-1).tolist():
        if not -x.ndim <= a < max(x.ndim, 1):
            raise node.error(f"axis {a} is out of range for a rank-{x.ndim} input")
        axes.append(a % x.ndim if x.ndim else 0)
    return tuple(sorted(set(axes)))


def _keep(node: Node) -> bool:
    return bool(node.options.get("keep_dims", False))


@kernel("MEAN")
def mean(node: Node, x: np.ndarray, axis: np.ndarray):
    axes = _axes(node, x, axis)
    keep = _keep(node)
    if x.dtype in (np.int8, np.uint8, np.int16) and is_quantized(node.input(0)):
        return _quantized_mean(node, x, axes, keep)
    if np.issubdtype(x.dtype, np.integer):
        s = x.sum(axis=axes, keepdims=keep, dtype=np.int64)
        n = max(int(np.prod([x.shape[a] for a in axes])), 1)
        return (np.sign(s) * (np.abs(s) // n)).astype(x.dtype)  # C++ division truncates
    with np.errstate(invalid="ignore", divide="ignore"):
        n = x.shape[-1] if x.ndim else 0
        if axes == (x.ndim - 1,) and x.dtype == np.float32 and (n % 4 == 0 or n < 4):
            return _float_mean_innermost(x, keep)
        if x.ndim and x.ndim - 1 in axes:
            # Several axes with the innermost one, or rows that start off a 16-byte boundary
            # (Eigen peels scalars up to it): not reproduced; float64, within an ulp.
            return x.astype(np.float64).mean(axis=axes, keepdims=keep).astype(x.dtype)
        return _float_mean(x, axes, keep)


def _float_mean_innermost(x: np.ndarray, keep: bool) -> np.ndarray:
    """LiteRT's float mean over the innermost axis, as Eigen's inner-most-dimension reducer
    adds it with SSE packets over 16-byte aligned rows (depth a multiple of 4, or under 4, which
    adds one by one): two 4-lane accumulators take alternate packets, are added, take a leftover
    packet, and fold as (l0 + l2) + (l1 + l3); then one division."""
    n = x.shape[-1]
    rows = x.reshape(-1, n)
    packets, pairs = n // 4 * 4, n // 8 * 8
    acc0 = np.zeros((rows.shape[0], 4), np.float32)
    acc1 = np.zeros_like(acc0)
    for j in range(0, pairs, 8):
        acc0 += rows[:, j : j + 4]
        acc1 += rows[:, j + 4 : j + 8]
    acc0 += acc1
    if packets > pairs:
        acc0 += rows[:, pairs:packets]
    total = (acc0[:, 0] + acc0[:, 2]) + (acc0[:, 1] + acc0[:, 3])
    for j in range(packets, n):  # rows shorter than a packet
        total += rows[:, j]
    out = total / np.float32(n) if n else np.full(rows.shape[0], np.nan, np.float32)
    return out.reshape(x.shape[:-1] + ((1,) if keep else ()))


def _float_mean(x: np.ndarray, axes: tuple[int, ...], keep: bool) -> np.ndarray:
    """LiteRT's float mean: a float32 sum of the reduced elements one by one in row-major
    order, then one division by the count (float64 sums or pairwise ones differ in the last
    bit, which hybrid layers downstream turn into different int8 roundings)."""
    kept = [a for a in range(x.ndim) if a not in axes]
    count = int(np.prod([x.shape[a] for a in axes]))
    rows = np.transpose(x, list(axes) + kept).reshape(count, -1)
    out_shape = (
        [1 if a in axes else x.shape[a] for a in range(x.ndim)]
        if keep
        else [x.shape[a] for a in kept]
    )
    if count == 0:
        return np.full(out_shape, np.nan, dtype=x.dtype)
    sums = np.cumsum(rows, axis=0, dtype=x.dtype)[-1]  # cumsum adds strictly in order
    return (sums / x.dtype.type(count)).astype(x.dtype).reshape(out_shape)


def _quantized_mean(node: Node, x: np.ndarray, axes, keep: bool) -> np.ndarray:
    in_s, in_zp = scale_zp(node.input(0))
    out_s, out_zp = scale_zp(node.output())
    lo, hi = QUANT_RANGES[node.output().type]
    n = int(np.prod([x.shape[a] for a in axes]))
    sums = x.sum(axis=axes, keepdims=keep, dtype=np.int64)
    if x.dtype in (np.int8, np.uint8) and keep and x.ndim == 4 and axes == (1, 2):
        return _optimized_mean_hw(node, x, sums, n, in_s, in_zp, out_s, out_zp, lo, hi)
    m, shift = quantize_multiplier(np.float64(in_s) / np.float64(out_s))
    m, shift = int(m), int(shift)
    if n:
        # Fold 1/n into the multiplier as reference_ops::QuantizedMeanOrSum does.
        s = min(n.bit_length() - 1, 32)
        s = min(s, 31 + shift)
        m = (m << s) // n
        shift -= s
    out = multiply_by_quantized_multiplier(sums - in_zp * n, m, shift) + out_zp
    return np.clip(out, lo, hi).astype(x.dtype)


def _optimized_mean_hw(node, x, sums, n, in_s, in_zp, out_s, out_zp, lo, hi):
    """optimized_integer_ops::Mean: raw sums, a float-derived bias, NEON rounding for channel
    blocks of 16 and reference rounding for the rest."""
    temp = np.float32(in_zp) * np.float32(in_s) / np.float32(out_s)
    temp = temp + np.float32(0.5) if temp > 0 else temp - np.float32(0.5)
    bias = out_zp - int(np.float32(temp))
    real_scale = np.float32(in_s) / (np.float32(n) * np.float32(out_s))
    m, shift = quantize_multiplier(float(real_scale))
    depth = x.shape[3]
    vec = depth // 16 * 16 if x.dtype == np.int8 else 0
    out = multiply_by_quantized_multiplier(sums, m, shift)
    if vec:
        out[..., :vec] = multiply_by_quantized_multiplier(sums[..., :vec], m, shift, "neon")
    return np.clip(out + bias, lo, hi).astype(x.dtype)


@kernel("SUM")
def sum_(node: Node, x: np.ndarray, axis: np.ndarray):
    axes = _axes(node, x, axis)
    keep = _keep(node)
    if x.dtype in (np.int8, np.uint8, np.int16) and is_quantized(node.input(0)):
        in_s, in_zp = scale_zp(node.input(0))
        out_s, out_zp = scale_zp(node.output())
        n = int(np.prod([x.shape[a] for a in axes]))
        # optimized_ops::QuantizedMeanOrSum(compute_sum=true) rescales in float.
        scale = np.float32(in_s) / np.float32(out_s)
        bias = np.float32(np.float32(-in_zp) * scale) * np.float32(n)
        sums = x.sum(axis=axes, keepdims=keep, dtype=np.int64).astype(np.float32)
        out = tflite_round((sums * scale + bias).astype(np.float32)).astype(np.int64) + out_zp
        lo, hi = QUANT_RANGES[node.output().type]
        return np.clip(out, lo, hi).astype(x.dtype)
    if np.issubdtype(x.dtype, np.floating):
        return x.astype(np.float64).sum(axis=axes, keepdims=keep).astype(x.dtype)
    return x.sum(axis=axes, keepdims=keep, dtype=x.dtype)


def _check_reduce_prod(node: Node) -> str | None:
    t = node.input(0)
    if t is not None and t.type in ("INT8", "UINT8", "INT16") and is_quantized(t):
        return f"quantized {t.type} REDUCE_PROD is not supported"
    return None


@kernel("REDUCE_PROD", check=_check_reduce_prod)
def reduce_prod(node: Node, x: np.ndarray, axis: np.ndarray):
    if is_quantized(node.input(0)) and x.dtype != np.int32:
        raise node.error(f"quantized REDUCE_PROD ({x.dtype}) is not supported")
    axes = _axes(node, x, axis)
    return np.prod(x, axis=axes, keepdims=_keep(node), dtype=x.dtype)


@kernel("REDUCE_MAX")
def reduce_max(node: Node, x: np.ndarray, axis: np.ndarray):
    axes = _axes(node, x, axis)
    if x.size == 0:
        shape = (
            [1 if i in axes else d for i, d in enumerate(x.shape)]
            if _keep(node)
            else [d for i, d in enumerate(x.shape) if i not in axes]
        )
        low = -np.inf if np.issubdtype(x.dtype, np.floating) else np.iinfo(x.dtype).min
        return np.full(shape, low, dtype=x.dtype)
    return _requantized_extreme(node, np.max(x, axis=axes, keepdims=_keep(node)))


@kernel("REDUCE_MIN")
def reduce_min(node: Node, x: np.ndarray, axis: np.ndarray):
    axes = _axes(node, x, axis)
    if x.size == 0:
        shape = (
            [1 if i in axes else d for i, d in enumerate(x.shape)]
            if _keep(node)
            else [d for i, d in enumerate(x.shape) if i not in axes]
        )
        high = np.inf if np.issubdtype(x.dtype, np.floating) else np.iinfo(x.dtype).max
        return np.full(shape, high, dtype=x.dtype)
    return _requantized_extreme(node, np.min(x, axis=axes, keepdims=_keep(node)))


def _requantized_extreme(node: Node, out: np.ndarray) -> np.ndarray:
    """REDUCE_MAX/MIN keep values; rescale when input and output quantization differ."""
    if out.dtype in (np.int8, np.uint8, np.int16) and is_quantized(node.input(0)):
        in_q, out_q = scale_zp(node.input(0)), scale_zp(node.output())
        if in_q != out_q:
            m, s = quantize_multiplier(np.float64(in_q[0]) / np.float64(out_q[0]))
            v = multiply_by_quantized_multiplier(out.astype(np.int64) - in_q[1], m, s) + out_q[1]
            lo, hi = QUANT_RANGES[node.output().type]
            return np.clip(v, lo, hi).astype(out.dtype)
    return np.asarray(out)


@kernel("REDUCE_ANY")
def reduce_any(node: Node, x: np.ndarray, axis: np.ndarray):
    return np.any(x, axis=_axes(node, x, axis), keepdims=_keep(node))


@kernel("REDUCE_ALL")
def reduce_all(node: Node, x: np.ndarray, axis: np.ndarray):
    return np.all(x, axis=_axes(node, x, axis), keepdims=_keep(node))


def _arg(node: Node, x: np.ndarray, axis: np.ndarray, fn):
    a = int(np.asarray(axis).reshape(-1)[0])
    if not -x.ndim <= a < x.ndim:
        raise node.error(f"axis {a} is out of range for a rank-{x.ndim} input")
    return fn(x, axis=a).astype(node.out_dtype())


@kernel("ARG_MAX")
def arg_max(node: Node, x: np.ndarray, axis: np.ndarray):
    return _arg(node, x, axis, np.argmax)


@kernel("ARG_MIN")
def arg_min(node: Node, x: np.ndarray, axis: np.ndarray):
    return _arg(node, x, axis, np.argmin)


@kernel("CUMSUM")
def cumsum(node: Node, x: np.ndarray, axis: np.ndarray):
    a = int(np.asarray(axis).reshape(-1)[0]) % max(x.ndim, 1)
    exclusive = bool(node.options.get("exclusive", False))
    reverse = bool(node.options.get("reverse", False))
    v = np.flip(x, a) if reverse else x
    out = np.cumsum(v, axis=a, dtype=x.dtype)
    if exclusive:
        out = np.concatenate(
            [np.zeros_like(np.take(out, [0], axis=a)), np.take(out, range(x.shape[a] - 1), axis=a)],
            axis=a,
        )
    return np.flip(out, a) if reverse else out
