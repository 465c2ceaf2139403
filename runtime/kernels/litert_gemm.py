"""float32 matrix products summed in the order of LiteRT's builtin kernels.

LiteRT's float conv, fully-connected and transpose-conv kernels multiply through Eigen, built
without FMA. Measured against LiteRT 2.3 on x86-64, bit for bit, the order is:

- a matrix-vector product (one output pixel or batch row, or one output channel) runs along
  the depth in 4-lane packets, folds the lanes as (l0 + l2) + (l1 + l3), then adds the depth
  tail one product at a time;
- a matrix product cuts the depth into blocks (one block up to Eigen's kc, more blocks sized so
  the last one is as large as possible) and adds the blocks' results in order. kc follows the
  host's L1 data cache as Eigen reads it through CPUID at run time (`max_depth_block`): 680
  for 32 KiB (AMD Zen, older Intel), 1016 for 48 KiB (Intel Ice Lake and Sapphire Rapids). In a block, output
  channels in groups of 8 sum one product at a time; a following group of 4 channels splits
  even and odd depths into two sums (over the depth rounded down to 8) and adds them, then the
  rest; the last < 4 channels keep 4 sums by depth mod 4 (over the depth rounded down to 4),
  add them pairwise, then the rest. Output pixels past the last multiple of 4 sum one product at
  a time in every channel group.

The bias is added after the product by the callers, as LiteRT does.
"""

from __future__ import annotations

import functools

import numpy as np
from tflc.runtime.host_cpu import host_eigen_l1_data_bytes
from tflc.runtime.kernel_threads import SERIAL, UFUNC_PASS, KernelThreads

_DEPTH_PEELING = 8
# LiteRT's Eigen is built for SSE: float packets of 4 lanes, an 8 x 4 register tile
# (mr output channels x nr output pixels).
_MR, _NR, _FLOAT_BYTES = 8, 4, 4
# Eigen's fallback when the CPU does not tell its L1 size.
_DEFAULT_L1_BYTES = 32 * 1024


def max_depth_block(l1_bytes: int) -> int:
    """Eigen's largest depth block kc for a float GEMM: an mr x kc panel of one operand and a
    kc x nr panel of the other, plus the mr x nr result tile, fit in the L1 data cache; kc a
    multiple of the depth peeling (computeProductBlockingSizes, one thread)."""
    l1 = l1_bytes if l1_bytes > 0 else _DEFAULT_L1_BYTES
    k_sub = _MR * _NR * _FLOAT_BYTES
    k_div = (_MR + _NR) * _FLOAT_BYTES
    return max(((l1 - k_sub) // k_div) & ~(_DEPTH_PEELING - 1), 1)


@functools.cache
def host_max_depth_block() -> int:
    """kc on this host, as LiteRT's Eigen computes it here."""
    return max_depth_block(host_eigen_l1_data_bytes())


def depth_blocks(depth: int, limit: int | None = None) -> list[int]:
    """Eigen's depth blocking: blocks of kc, kc chosen so the last block is as large as can be
    while keeping the same number of blocks. `limit` is the largest block (default: this
    host's)."""
    if limit is None:
        limit = host_max_depth_block()
    if depth <= limit:
        return [depth]
    rest = depth % limit
    kc = (
        limit
        if rest == 0
        else limit
        - _DEPTH_PEELING * ((limit - 1 - rest) // (_DEPTH_PEELING * (depth // limit + 1)))
    )
    sizes, left = [], depth
    while left > 0:
        sizes.append(min(kc, left))
        left -= kc
    return sizes


def _accumulate(a: np.ndarray, w: np.ndarray, depths, sums: list[np.ndarray]) -> None:
    """sums[i % len(sums)] += a[:, k] * w[:, k] for the i-th depth k of `depths`."""
    product = np.empty_like(sums[0])
    for i, k in enumerate(depths):
        np.multiply(a[:, k, None], w[None, :, k], out=product)
        sums[i % len(sums)] += product


def _block(a: np.ndarray, w: np.ndarray, kind: str) -> np.ndarray:
    """(M, d) x (R, d)^T for one depth block and one channel group kind."""
    depth = a.shape[1]
    zeros = lambda: np.zeros((a.shape[0], w.shape[0]), dtype=np.float32)  # noqa: E731
    if kind == "sequential":
        out = zeros()
        _accumulate(a, w, range(depth), [out])
        return out
    if kind == "even_odd":
        peeled = depth & ~(_DEPTH_PEELING - 1)
        even, odd = zeros(), zeros()
        _accumulate(a, w, range(peeled), [even, odd])
        out = even + odd
    else:  # "four_sums"
        peeled = depth & ~3
        sums = [zeros() for _ in range(4)]
        _accumulate(a, w, range(peeled), sums)
        out = (sums[0] + sums[1]) + (sums[2] + sums[3])
    _accumulate(a, w, range(peeled, depth), [out])
    return out


def _channel_groups(channels: int) -> list[tuple[int, int, str]]:
    full = channels // 8 * 8
    groups = [(0, full, "sequential")]
    if channels - full >= 4:
        groups.append((full, full + 4, "even_odd"))
        full += 4
    if full < channels:
        groups.append((full, channels, "four_sums"))
    return [g for g in groups if g[1] > g[0]]


def gemv(rows: np.ndarray, v: np.ndarray) -> np.ndarray:
    """rows (R, K) . v (K) -> (R,), as Eigen's row-major matrix-vector product."""
    r, k = rows.shape
    k4 = k // 4 * 4
    lanes = np.zeros((r, 4), dtype=np.float32)
    for c in range(0, k4, 4):
        lanes += rows[:, c : c + 4] * v[c : c + 4]
    out = (lanes[:, 0] + lanes[:, 2]) + (lanes[:, 1] + lanes[:, 3])
    for j in range(k4, k):
        out += rows[:, j] * v[j]
    return out


def litert_matmul(a: np.ndarray, w: np.ndarray, threads: KernelThreads = SERIAL) -> np.ndarray:
    """a (M, K) times w (O, K) transposed -> (M, O) float32, in LiteRT's summation order.

    On `threads`, output rows go in ranges of multiples of 4 pixels, each at least 4 long (or,
    for fewer pixels, channels in ranges of multiples of 8): every pixel and channel stays in its
    register tile or its tail group, so each output element keeps its order."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    w = np.ascontiguousarray(w, dtype=np.float32)
    m, k = a.shape
    o = w.shape[0]
    if m == 1:
        return gemv(w, a[0])[None, :]
    if o == 1:
        return gemv(a, w[0])[:, None]
    out = np.empty((m, o), dtype=np.float32)

    work = 2 * UFUNC_PASS * m * k * o  # a multiply and an add pass per product
    pixels = threads.ranges(m, work, align=_NR)
    channels = threads.ranges(o, work, align=_MR) if len(pixels) == 1 else []
    if len(channels) > 1:

        def channel_range(start: int, stop: int) -> None:
            out[:, start:stop] = _blocked_matmul(a, w[start:stop])

        threads.run(channels, channel_range)
    else:

        def pixel_range(start: int, stop: int) -> None:
            out[start:stop] = _blocked_matmul(a[start:stop], w)

        threads.run(pixels, pixel_range)
    return out


def _blocked_matmul(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Eigen's blocked GEMM of at least 2 pixels and 2 channels (litert_matmul)."""
    m, o = a.shape[0], w.shape[0]
    full_pixels = m // _NR * _NR
    out = None
    k0 = 0
    for size in depth_blocks(a.shape[1]):
        ab, wb = a[:, k0 : k0 + size], w[:, k0 : k0 + size]
        k0 += size
        block = np.empty((m, o), dtype=np.float32)
        for c0, c1, kind in _channel_groups(o):
            if full_pixels:
                block[:full_pixels, c0:c1] = _block(ab[:full_pixels], wb[c0:c1], kind)
            if full_pixels < m:
                block[full_pixels:, c0:c1] = _block(ab[full_pixels:], wb[c0:c1], "sequential")
        out = block if out is None else out + block
    return out
