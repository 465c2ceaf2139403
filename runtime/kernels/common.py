"""Helpers shared by kernel families: padding an NHWC tensor (the amounts come from
`geometry`), fused activations, patches, exact integer GEMM, and the input quantization of
hybrid (dynamic-range) kernels."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided
from tflc.runtime.kernel_threads import SERIAL, KernelThreads, gemm_ranges
from tflc.runtime.kernels.node import Node
from tflc.runtime.kernels.quant_math import tflite_round
from tflc.runtime.limits import check_allocation

_F32_EXACT = float(1 << 24)
_F64_EXACT = float(1 << 53)


def activation_in_place(part: np.ndarray, activation: str | int | None, node: Node) -> None:
    """float_activation written back into `part`."""
    result = float_activation(part, activation, node)
    if result is not part:
        part[...] = result


def float_activation(x: np.ndarray, activation: str | int | None, node: Node) -> np.ndarray:
    """Applies a fused activation to a float array, in place when possible."""
    if activation in (None, "NONE", 0):
        return x
    if activation == "RELU":
        return np.maximum(x, 0, out=x)
    if activation == "RELU6":
        return np.clip(x, 0, 6, out=x)
    if activation == "RELU_N1_TO_1":
        return np.clip(x, -1, 1, out=x)
    if activation == "TANH":
        return np.tanh(x, out=x)
    if activation == "SIGN_BIT":
        return np.signbit(x).astype(x.dtype)
    raise node.error(f"fused activation {activation} is not supported")


def patches(
    x: np.ndarray,
    kh: int,
    kw: int,
    stride: tuple[int, int],
    dilation: tuple[int, int],
    out_hw: tuple[int, int],
) -> np.ndarray:
    """A (N, OH, OW, KH, KW, C) strided view of the already padded NHWC `x` (no copy)."""
    n, _, _, c = x.shape
    sn, sh, sw, sc = x.strides
    return as_strided(
        x,
        shape=(n, out_hw[0], out_hw[1], kh, kw, c),
        strides=(sn, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1], sc),
        writeable=False,
    )


def pad_hw(x: np.ndarray, pads: tuple[int, int, int, int], value=0) -> np.ndarray:
    top, bottom, left, right = pads
    if not any(pads):
        return x
    # A huge dilation keeps SAME's output size but pads the input by as much.
    n, h, w, c = x.shape
    check_allocation((n, h + top + bottom, w + left + right, c), x.itemsize, "padded input")
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def exact_float_dtype(bound: float) -> np.dtype | None:
    """The float dtype whose GEMM is exact for integer operands whose every partial sum is at
    most `bound` in magnitude (so BLAS can do integer arithmetic), or None if neither is."""
    if bound < _F32_EXACT:
        return np.dtype(np.float32)
    if bound < _F64_EXACT:
        return np.dtype(np.float64)
    return None


def threaded_matmul(
    threads: KernelThreads, a: np.ndarray, b: np.ndarray, finish=None
) -> np.ndarray:
    """a (M, K) @ b (K, O) as numpy computes it, in ranges of output rows (or of columns, when
    the rows are few) that the shape alone fixes: the same BLAS calls on any thread count.
    `finish(part, columns)` then updates each range of the result in place, on the same thread
    (a bias and an activation, value by value); `columns` is the slice of output columns it
    holds."""
    (m, k), o = a.shape, b.shape[1]
    out = np.empty((m, o), dtype=np.result_type(a, b))
    rows = gemm_ranges(m, k * o)
    columns = gemm_ranges(o, k * m) if len(rows) == 1 else []
    if len(columns) > 1:

        def column_range(start: int, stop: int) -> None:
            out[:, start:stop] = a @ b[:, start:stop]
            if finish is not None:
                finish(out[:, start:stop], slice(start, stop))

        threads.run(columns, column_range)
    else:

        def row_range(start: int, stop: int) -> None:
            np.matmul(a[start:stop], b, out=out[start:stop])
            if finish is not None:
                finish(out[start:stop], slice(None))

        threads.run(rows, row_range)
    return out


def int_matmul(
    a: np.ndarray, b: np.ndarray, a_max: int, b_max: int, threads: KernelThreads = SERIAL
) -> np.ndarray:
    """Exact integer a @ b (2-D) as int64, on `threads`.

    Integer values whose partial sums stay below 2^24 (float32) or 2^53 (float64) are
    represented exactly by floats and every partial sum is exact, in any summation order, so
    the float GEMM computes the integer result exactly and fast; numpy's integer matmul (no
    BLAS) is the fallback.
    """
    k = a.shape[-1]
    dtype = exact_float_dtype(float(k) * a_max * b_max) or np.dtype(np.int64)
    return threaded_matmul(
        threads, a.astype(dtype, copy=False), b.astype(dtype, copy=False)
    ).astype(np.int64, copy=False)


def quantize_batches_asymmetric(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row asymmetric int8 quantization of hybrid kernels (NeonAsymmetricQuantizeFloats).

    `x` is (batches, n) float32. Returns (int8-valued int64 (batches, n), float32 scaling
    factors (batches,), int32 offsets (batches,)).
    """
    rmin32 = np.minimum(x.min(axis=1), 0).astype(np.float32)
    rmax32 = np.maximum(x.max(axis=1), 0).astype(np.float32)
    same = rmin32 == rmax32
    # LiteRT takes the range and the scale in float32: (rmax - rmin) rounds before the division
    # (measured: computing it in double moves the scale by one ulp on some MobileNetV2 layers).
    scale32 = np.where(same, np.float32(1), (rmax32 - rmin32) / np.float32(255)).astype(np.float32)
    rmin, rmax = rmin32.astype(np.float64), rmax32.astype(np.float64)
    scale = scale32.astype(np.float64)
    safe = np.where(same, 1.0, scale)
    zp_from_min = -128.0 - rmin / safe
    zp_from_max = 127.0 - rmax / safe
    err_min = 128.0 + np.abs(rmin / safe)
    err_max = 127.0 + np.abs(rmax / safe)
    zp = np.where(err_min < err_max, zp_from_min, zp_from_max)
    offset = np.where(zp <= -128, -128, np.where(zp >= 127, 127, tflite_round(zp)))
    offset = np.where(same, 0, offset).astype(np.int64)
    # The scaling factor is stored as float; its inverse is taken in double from that float.
    inv = (1.0 / scale32.astype(np.float64)).astype(np.float32)
    q = tflite_round(x * inv[:, None]).astype(np.int64) + offset[:, None]
    q = np.clip(q, -128, 127)
    q[same] = 0
    return q, scale32, offset


def quantize_batches_symmetric(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row symmetric int8 quantization of hybrid kernels (SymmetricQuantizeFloats).

    Returns (int8-valued int64 (batches, n), float32 scaling factors (batches,))."""
    rng = np.maximum(np.abs(x.min(axis=1)), np.abs(x.max(axis=1))).astype(np.float32)
    zero = rng == 0
    safe = np.where(zero, np.float32(1), rng)
    scale = np.where(zero, np.float32(1), safe / np.float32(127)).astype(np.float32)
    inv = (np.float32(127) / safe).astype(np.float32)
    q = np.clip(tflite_round(x * inv[:, None]).astype(np.int64), -127, 127)
    q[zero] = 0
    return q, scale


def flat_bias(b: np.ndarray | None) -> np.ndarray | None:
    """A conv-like op's bias by its elements: LiteRT reads it so whatever its shape (the reader
    checks it holds one value per output channel)."""
    return None if b is None else b.reshape(-1)
