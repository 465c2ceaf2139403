"""Spatial rearrangements of NHWC tensors: resizes, depth<->space, space<->batch."""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.node import Node


def _ints(a) -> list[int]:
    return [int(v) for v in np.asarray(a).reshape(-1)]


def _out_size(node: Node, x: np.ndarray, size: np.ndarray) -> tuple[int, int]:
    s = _ints(size)
    if len(s) != 2 or min(s) <= 0:
        raise node.error(f"output size {s} must be two positive integers")
    if x.ndim != 4:
        raise node.error(f"input must be 4-D NHWC, got rank {x.ndim}")
    return s[0], s[1]


def _scale(in_size: int, out_size: int, align_corners: bool) -> np.float32:
    if align_corners and out_size > 1:
        return np.float32(in_size - 1) / np.float32(out_size - 1)
    return np.float32(in_size) / np.float32(out_size)


def _interp_float(n_out, in_size, scale, half_pixel):
    """ComputeInterpolationValues for every output coordinate (float32 arithmetic)."""
    v = np.arange(n_out, dtype=np.float32)
    if half_pixel:
        s = (v + np.float32(0.5)) * scale - np.float32(0.5)
    else:
        s = v * scale
    s = s.astype(np.float32)
    lo = np.maximum(np.floor(s), 0).astype(np.int64)
    hi = np.minimum(np.ceil(s), in_size - 1).astype(np.int64)
    return s, lo, hi


@kernel("RESIZE_BILINEAR")
def resize_bilinear(node: Node, x: np.ndarray, size: np.ndarray):
    oh, ow = _out_size(node, x, size)
    align = bool(node.options.get("align_corners", False))
    half = bool(node.options.get("half_pixel_centers", False))
    _, ih, iw, _ = x.shape
    if x.dtype in (np.int8, np.int16):
        return _resize_bilinear_integer(x, oh, ow, align, half)
    sy, y0, y1 = _interp_float(oh, ih, _scale(ih, oh, align), half)
    sx, x0, x1 = _interp_float(ow, iw, _scale(iw, ow, align), half)
    dy = (sy - y0).astype(np.float32)[None, :, None, None]
    dx = (sx - x0).astype(np.float32)[None, None, :, None]
    one = np.float32(1)
    xf = x.astype(np.float32)
    top = xf[:, y0]
    bottom = xf[:, y1]
    out = (
        top[:, :, x0] * ((one - dy) * (one - dx))
        + top[:, :, x1] * ((one - dy) * dx)
        + bottom[:, :, x0] * (dy * (one - dx))
        + bottom[:, :, x1] * (dy * dx)
    )
    if x.dtype == np.uint8:
        return (out + np.float32(0.5)).astype(np.uint8)
    return out.astype(x.dtype)


def _resize_bilinear_integer(x, oh, ow, align, half):
    """reference_ops::ResizeBilinearInteger: 10-bit fixed-point coordinates."""
    _, ih, iw, _ = x.shape

    def axis(n_out, n_in):
        scale = ((1 << 10) * n_in + n_out // 2) // n_out
        if align and n_out > 1:
            scale = ((1 << 10) * (n_in - 1) + (n_out - 1) // 2) // (n_out - 1)
        v = np.arange(n_out, dtype=np.int64)
        s = v * scale + (scale // 2 - (1 << 9) if half else 0)
        lo = np.maximum(_trunc_div(s, 1 << 10), 0)
        hi = np.minimum(_trunc_div(s + (1 << 10) - 1, 1 << 10), n_in - 1)
        return s, lo, hi

    sy, y0, y1 = axis(oh, ih)
    sx, x0, x1 = axis(ow, iw)
    fy = (sy - (1 << 10) * y0)[None, :, None, None]
    fx = (sx - (1 << 10) * x0)[None, None, :, None]
    xi = x.astype(np.int64)
    top, bottom = xi[:, y0], xi[:, y1]
    out = (
        top[:, :, x0] * ((1 << 10) - fy) * ((1 << 10) - fx)
        + bottom[:, :, x0] * fy * ((1 << 10) - fx)
        + top[:, :, x1] * ((1 << 10) - fy) * fx
        + bottom[:, :, x1] * fy * fx
    )
    rnd = np.where(out > 0, 1 << 19, -(1 << 19))
    return _trunc_div(out + rnd, 1 << 20).astype(x.dtype)


def _trunc_div(a: np.ndarray, b: int) -> np.ndarray:
    return np.sign(a) * (np.abs(a) // b)


@kernel("RESIZE_NEAREST_NEIGHBOR")
def resize_nearest_neighbor(node: Node, x: np.ndarray, size: np.ndarray):
    oh, ow = _out_size(node, x, size)
    align = bool(node.options.get("align_corners", False))
    half = bool(node.options.get("half_pixel_centers", False))
    _, ih, iw, _ = x.shape

    def nearest(n_out, n_in):
        scale = _scale(n_in, n_out, align)
        offset = np.float32(0.5 if half else 0.0)
        v = ((np.arange(n_out, dtype=np.float32) + offset) * scale).astype(np.float32)
        idx = np.copysign(np.floor(np.abs(v) + 0.5), v) if align else np.floor(v)
        idx = np.minimum(idx.astype(np.int64), n_in - 1)
        return np.maximum(idx, 0) if half else idx

    return x[:, nearest(oh, ih)][:, :, nearest(ow, iw)]


@kernel("DEPTH_TO_SPACE")
def depth_to_space(node: Node, x: np.ndarray):
    b = node.options.get("block_size", 2)
    n, h, w, c = x.shape
    if c % (b * b):
        raise node.error(f"depth {c} is not divisible by block_size^2 = {b * b}")
    y = x.reshape(n, h, w, b, b, c // (b * b)).transpose(0, 1, 3, 2, 4, 5)
    return y.reshape(n, h * b, w * b, c // (b * b))


@kernel("SPACE_TO_DEPTH")
def space_to_depth(node: Node, x: np.ndarray):
    b = node.options.get("block_size", 2)
    n, h, w, c = x.shape
    if h % b or w % b:
        raise node.error(f"spatial size {h}x{w} is not divisible by block_size {b}")
    y = x.reshape(n, h // b, b, w // b, b, c).transpose(0, 1, 3, 2, 4, 5)
    return y.reshape(n, h // b, w // b, b * b * c)


@kernel("SPACE_TO_BATCH_ND")
def space_to_batch_nd(node: Node, x: np.ndarray, block: np.ndarray, paddings: np.ndarray):
    bs = _ints(block)
    pads = np.asarray(paddings).reshape(-1, 2).tolist()
    m = len(bs)
    fill = 0
    if node.input(0).quantization and node.input(0).quantization.zero_point:
        fill = node.input(0).quantization.zero_point[0]
    xp = np.pad(
        x, [(0, 0)] + [tuple(p) for p in pads] + [(0, 0)] * (x.ndim - 1 - m), constant_values=fill
    )
    n = xp.shape[0]
    spatial = xp.shape[1 : 1 + m]
    rest = xp.shape[1 + m :]
    if any(s % b for s, b in zip(spatial, bs, strict=True)):
        raise node.error(f"padded spatial shape {list(spatial)} is not divisible by {bs}")
    shape = [n]
    for s, b in zip(spatial, bs, strict=True):
        shape += [s // b, b]
    y = xp.reshape(shape + list(rest))
    perm = [2 * i + 2 for i in range(m)] + [0] + [2 * i + 1 for i in range(m)]
    perm += list(range(1 + 2 * m, y.ndim))
    y = y.transpose(perm)
    return y.reshape(
        [n * int(np.prod(bs))] + [s // b for s, b in zip(spatial, bs, strict=True)] + list(rest)
    )


@kernel("BATCH_TO_SPACE_ND")
def batch_to_space_nd(node: Node, x: np.ndarray, block: np.ndarray, crops: np.ndarray):
    bs = _ints(block)
    crop = np.asarray(crops).reshape(-1, 2).tolist()
    m = len(bs)
    prod = int(np.prod(bs))
    if x.shape[0] % prod:
        raise node.error(f"batch {x.shape[0]} is not divisible by the block size product {prod}")
    n = x.shape[0] // prod
    spatial = x.shape[1 : 1 + m]
    rest = x.shape[1 + m :]
    y = x.reshape(bs + [n] + list(spatial) + list(rest))
    perm = [m]
    for i in range(m):
        perm += [m + 1 + i, i]
    perm += list(range(1 + 2 * m, y.ndim))
    y = y.transpose(perm).reshape(
        [n] + [s * b for s, b in zip(spatial, bs, strict=True)] + list(rest)
    )
    index = [slice(None)] + [slice(c0, y.shape[1 + i] - c1) for i, (c0, c1) in enumerate(crop)]
    return np.ascontiguousarray(y[tuple(index)])
