"""QAT weights: the symmetric int8 grid training left them on, read back from the values.

A FakeQuant on weights (narrow range, min = -max, as quantization-aware training sets them)
leaves every weight at k * step, |k| <= 127. int8 quantization must reuse that step: scales
from max|w| / 127 would round the weights again whenever the trained range was wider than the
weights reach, or was one range for the whole tensor while int8 would take one per channel.
"""

from __future__ import annotations

import numpy as np

TOLERANCE = 1e-3  # in steps: float32 rounding of k * step stays far below this


def grid_step(w: np.ndarray) -> float | None:
    """The step of the finest symmetric int8 grid all of `w` lies on, or None: max|w| / n for
    the largest n <= 127 that puts every weight on a whole number of steps."""
    magnitudes = np.abs(w.reshape(-1)).astype(np.float64)
    bound = float(magnitudes.max()) if magnitudes.size else 0.0
    if bound == 0.0:
        return None
    for n in range(127, 0, -1):
        steps = magnitudes * (n / bound)
        if np.all(np.abs(steps - np.round(steps)) <= TOLERANCE):
            return bound / n
    return None


def trained_grid(
    w: np.ndarray, axis: int, per_tensor: bool
) -> tuple[np.ndarray, np.ndarray, int | None] | None:
    """(int8 values, scales, axis or None for per tensor) of the grid `w` is on: one step for
    the tensor if there is one, else one per channel along `axis` (unless `per_tensor`)."""
    step = grid_step(w)
    if step is not None:
        return _on_grid(w, np.float32([step]), None), np.float32([step]), None
    if per_tensor:
        return None
    steps = [grid_step(np.take(w, c, axis=axis)) for c in range(w.shape[axis])]
    if any(s is None for s in steps):
        return None
    scales = np.float32(steps)
    return _on_grid(w, scales, axis), scales, axis


def _on_grid(w: np.ndarray, scales: np.ndarray, axis: int | None) -> np.ndarray:
    shape = [1] * w.ndim
    if axis is not None:
        shape[axis] = -1
    return np.clip(np.round(w / scales.reshape(shape)), -127, 127).astype(np.int8)
