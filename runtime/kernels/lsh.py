"""LSH_PROJECTION: locality-sensitive hashing of the input's rows into bit signatures.

Each bit is the sign of sum_i weight[i] * Fingerprint64(seed || row i) (as a signed 64-bit
integer, summed in double), for one float seed of the `hash` tensor per bit.
"""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.farmhash import fingerprint64
from tflc.runtime.kernels.node import Node


def _sign_bit(seed: np.float32, rows: list[bytes], weights: np.ndarray | None) -> int:
    seed_bytes = np.float32(seed).tobytes()
    score = 0.0
    for i, row in enumerate(rows):
        h = fingerprint64(seed_bytes + row)
        value = float(h - (1 << 64) if h >= 1 << 63 else h)
        score += value if weights is None else float(np.float32(weights[i])) * value
    return 1 if score > 0 else 0


def _check_lsh(node: Node) -> str | None:
    kind = node.options.get("type")
    if kind not in ("SPARSE", "DENSE"):
        return f"projection type {kind} is not supported"
    return None


@kernel("LSH_PROJECTION", check=_check_lsh)
def lsh_projection(node: Node, hash_seeds: np.ndarray, x: np.ndarray, weights=None):
    num_hash, num_bits = hash_seeds.shape
    data = np.ascontiguousarray(x)
    rows = [r.tobytes() for r in data.reshape(data.shape[0], -1)] if data.ndim else []
    if weights is not None:
        weights = weights.reshape(-1)
    seeds = hash_seeds.astype(np.float32)
    bits = np.array(
        [[_sign_bit(seeds[i, j], rows, weights) for j in range(num_bits)] for i in range(num_hash)],
        dtype=np.int64,
    ).reshape(num_hash, num_bits)
    if node.options["type"] == "DENSE":
        return bits.reshape(-1).astype(np.int32)
    # SPARSE: one signature per hash function, offset into its own bucket range.
    signatures = (bits << np.arange(num_bits - 1, -1, -1)).sum(axis=1)
    signatures = signatures.astype(np.int32) + np.arange(num_hash, dtype=np.int32) * (1 << num_bits)
    return signatures.astype(np.int32)
