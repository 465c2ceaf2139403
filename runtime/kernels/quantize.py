"""QUANTIZE, DEQUANTIZE, DENSIFY, CAST and FAKE_QUANT."""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.node import Node, channel_scales, is_quantized, scale_zp
from tflc.runtime.kernels.quant_math import (
    QUANT_RANGES,
    multiply_by_quantized_multiplier,
    quantize_multiplier,
    tflite_round,
)
from tflc.runtime.tflite_model import Tensor


def _f32(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)


def split_rounding(x: np.ndarray, multiplier, shift, vector_width: int = 16) -> np.ndarray:
    """Requantizes a flat array the way LiteRT's int8 NEON loops do: blocks of
    `vector_width` with ties rounded upward, the leftover tail with reference rounding."""
    flat = x.reshape(-1)
    n_vec = flat.size // vector_width * vector_width
    out = multiply_by_quantized_multiplier(flat, multiplier, shift)
    if n_vec:
        out[:n_vec] = multiply_by_quantized_multiplier(flat[:n_vec], multiplier, shift, "neon")
    return out.reshape(x.shape)


def _check_quantize(node: Node) -> str | None:
    if node.output().type not in QUANT_RANGES:
        return f"quantizing to {node.output().type} is not supported"
    return None


@kernel("QUANTIZE", check=_check_quantize)
def quantize(node: Node, x: np.ndarray):
    out_t = node.output()
    lo, hi = QUANT_RANGES.get(out_t.type, (None, None))
    if lo is None:
        raise node.error(f"quantizing to {out_t.type} is not supported")
    if x.dtype == np.float32:
        scales, zps, axis = channel_scales(out_t)
        if scales.size > 1:
            shape = [1] * x.ndim
            shape[axis] = -1
            s = _f32(scales).reshape(shape)
            q = tflite_round(_f32(x / s)).astype(np.int64) + zps.reshape(shape)
            return np.clip(q, lo, hi).astype(node.out_dtype())
        scale, zp = float(scales[0]), int(zps[0])
        if out_t.type == "INT8":
            return quantize_int8(x, scale, zp).astype(np.int8)
        if out_t.type == "INT16":
            return _quantize_int16(x, scale, zp).astype(np.int16)
        q = tflite_round(_f32(x / np.float32(scale))).astype(np.int64) + zp
        return np.clip(q, lo, hi).astype(node.out_dtype())
    # Requantize between integer types.
    in_s, in_zp = scale_zp(node.input(0))
    out_s, out_zp = scale_zp(out_t)
    m, s = quantize_multiplier(np.float64(in_s) / np.float64(out_s))
    v = x.astype(np.int64) - in_zp
    if x.dtype in (np.int8, np.uint8) and out_t.type in ("INT8", "UINT8"):
        if m == 1 << 30 and s == 1 and in_zp - out_zp in (-128, 128) and x.dtype != out_t.dtype:
            return (x.view(np.uint8) ^ 0x80).view(node.out_dtype())
        out = split_rounding(v, m, s)
    else:
        out = multiply_by_quantized_multiplier(v, m, s)
    return np.clip(out + out_zp, lo, hi).astype(node.out_dtype())


def _quantize_int16(x: np.ndarray, scale: float, zp: int) -> np.ndarray:
    """optimized_ops::AffineQuantize<int16> as LiteRT 2.3 runs it on x86 (measured): blocks of
    8 multiply by a float reciprocal and round ties to even (the int8 kernel rounds them away
    from zero); the tail divides in double and rounds ties away from zero."""
    flat = x.reshape(-1)
    n_vec = flat.size // 8 * 8
    out = np.empty(flat.size, dtype=np.int64)
    out[:n_vec] = np.rint(_f32(flat[:n_vec] * np.float32(1.0 / np.float32(scale))))
    out[n_vec:] = tflite_round(flat[n_vec:].astype(np.float64) / scale)
    return np.clip(out + zp, -32768, 32767).reshape(x.shape)


def quantize_int8(x: np.ndarray, scale: float, zp: int) -> np.ndarray:
    """optimized_ops::AffineQuantize<int8>: blocks of 8 multiply by a float reciprocal and
    round by adding +-0.5 in float; the tail divides in double."""
    flat = x.reshape(-1)
    n_vec = flat.size // 8 * 8
    out = np.empty(flat.size, dtype=np.int64)
    if n_vec:
        inv = np.float32(1.0 / scale)
        v = _f32(flat[:n_vec] * inv)
        v = _f32(v + np.where(v < 0, np.float32(-0.5), np.float32(0.5)))
        out[:n_vec] = np.trunc(v).astype(np.int64)
    if n_vec < flat.size:
        tail = flat[n_vec:].astype(np.float64) / scale
        out[n_vec:] = tflite_round(tail).astype(np.int64)
    return np.clip(out + zp, -128, 127).reshape(x.shape)


def _check_dequantize(node: Node) -> str | None:
    t = node.input(0)
    if t is None or t.type == "FLOAT16":
        return None
    if t.type not in ("INT4", "INT8", "UINT8", "INT16") or not is_quantized(t):
        return f"input 0 '{t.name}' is {t.type} without quantization parameters"
    return None


@kernel("DEQUANTIZE", check=_check_dequantize)
def dequantize(node: Node, x: np.ndarray):
    in_t = node.input(0)
    if x.dtype == np.float16:
        if in_t.sparsity is not None:
            x = densify_tensor(node, in_t)
        return x.astype(np.float32)
    if in_t.sparsity is not None:
        x = densify_tensor(node, in_t)
    if in_t.type == "INT4":
        from tflc.runtime.kernels.conv import filter_values

        x = filter_values(node, x, 0)
    scales, zps, axis = channel_scales(in_t)
    return dequantize_values(x, scales, zps, axis)


def dequantize_values(x: np.ndarray, scales, zero_points, axis: int | None) -> np.ndarray:
    """DEQUANTIZE's float32 arithmetic, (q - zero_point) * scale, per tensor or along `axis`
    (the gpu target dequantizes int8 weights at compile time with it)."""
    scales, zps = np.asarray(scales).reshape(-1), np.asarray(zero_points, np.int64).reshape(-1)
    if scales.size > 1:
        shape = [1] * x.ndim
        shape[axis] = -1
        s = _f32(scales).reshape(shape)
        return _f32((x.astype(np.int64) - zps.reshape(shape)).astype(np.float32) * s)
    return _f32((x.astype(np.int64) - int(zps[0])).astype(np.float32) * np.float32(scales[0]))


def densify_tensor(node: Node, t: Tensor) -> np.ndarray:
    """Expands a sparse constant (TFLite sparsity: traversal order, block map, CSR levels)."""
    key = f"dense_{id(t)}"
    if key in node.cache:
        return node.cache[key]
    values = np.frombuffer(node.model.buffer_data(t), dtype=t.dtype)
    sp = t.sparsity
    shape = list(t.shape)
    rank = len(shape)
    order = list(sp.traversal_order)
    levels = len(order)
    indices = np.zeros((1, 0), dtype=np.int64)
    prev = np.zeros(1, dtype=np.int64)
    for level in range(levels):
        meta = sp.dim_metadata[level]
        if meta.format == 0:  # DENSE
            size = meta.dense_size
            indices = np.repeat(indices, size, axis=0)
            i = np.tile(np.arange(size, dtype=np.int64), len(prev))
            prev = np.repeat(prev, size) * size + i
            indices = np.concatenate([indices, i[:, None]], axis=1)
        else:  # SPARSE_CSR
            segments = np.asarray(meta.array_segments[1], dtype=np.int64)
            idx = np.asarray(meta.array_indices[1], dtype=np.int64)
            starts, ends = segments[prev], segments[prev + 1]
            counts = ends - starts
            pos = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
            pos = pos + np.arange(int(counts.sum()))
            indices = np.concatenate([np.repeat(indices, counts, axis=0), idx[pos][:, None]], 1)
            prev = pos
    if len(indices) != values.size:
        raise node.error(
            f"sparse tensor '{t.name}' has {values.size} values, its metadata {len(indices)}"
        )
    orig = np.zeros((len(indices), rank), dtype=np.int64)
    for level in range(min(rank, levels)):
        orig[:, order[level]] = indices[:, level]
    for level in range(rank, levels):
        block = order[level] - rank
        dim = sp.block_map[block]
        block_size = sp.dim_metadata[level].dense_size
        orig[:, dim] = orig[:, dim] * block_size + indices[:, level]
    dense = np.zeros(shape, dtype=t.dtype)
    dense[tuple(orig.T)] = values
    node.cache[key] = dense
    return dense


def _check_densify(node: Node) -> str | None:
    t = node.input(0)
    if t is None or t.sparsity is None or not len(node.model.buffer_data(t)):
        return "input 0 is not a sparse constant"
    return None


@kernel("DENSIFY", check=_check_densify)
def densify(node: Node, x: np.ndarray):
    return densify_tensor(node, node.input(0))


@kernel("CAST")
def cast(node: Node, x: np.ndarray):
    dtype = node.out_dtype()
    if np.issubdtype(x.dtype, np.floating) and np.issubdtype(dtype, np.integer):
        with np.errstate(invalid="ignore"):
            return np.trunc(x).astype(dtype)  # static_cast truncates toward zero
    if np.issubdtype(x.dtype, np.complexfloating) and not np.issubdtype(dtype, np.complexfloating):
        return x.real.astype(dtype)
    return x.astype(dtype)


def fake_quant_grid(o: dict) -> tuple[np.float32, np.float32, np.float32, np.float32]:
    """FAKE_QUANT's nudged grid from its options: (min, max, scale, 1 / scale), as
    TensorFlow's FakeQuantWithMinMaxArgs nudges the range so that 0.0 is on the grid."""
    qmin, qmax = (1 if o.get("narrow_range") else 0), (1 << o.get("num_bits", 8)) - 1
    rmin, rmax = np.float32(o.get("min", 0.0)), np.float32(o.get("max", 0.0))
    scale = _f32((rmax - rmin) / np.float32(qmax - qmin))
    zp_from_min = np.float32(qmin) - rmin / scale
    if zp_from_min < qmin:
        zp = qmin
    elif zp_from_min > qmax:
        zp = qmax
    else:
        zp = int(tflite_round(zp_from_min))
    nmin, nmax = _f32((qmin - zp) * scale), _f32((qmax - zp) * scale)
    return nmin, nmax, scale, _f32(np.float32(1.0) / scale)


@kernel("FAKE_QUANT")
def fake_quant(node: Node, x: np.ndarray):
    nmin, nmax, scale, inv = fake_quant_grid(node.options)
    clamped = np.clip(x, nmin, nmax)
    return _f32(tflite_round(_f32((clamped - nmin) * inv)) * scale + nmin)
