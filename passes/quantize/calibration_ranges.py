"""Calibration range rules: from the values a tensor took on the representative samples to the
[min, max] its int8 parameters are made from.

* `minmax`: the minimum and maximum over all samples (TensorFlow's converter);
* `moving-average`: an exponential moving average (factor 0.95, in sample order) of each
  sample's min and max (ai-edge-quantizer's default, and TF's QAT observers): one outlier
  sample no longer stretches the range of every other;
* `mse`: per tensor, the clipping range that minimizes the int8 quantization error of the
  observed values, searched on a histogram over the all-samples range. Values in range cost
  the rounding noise step^2/12, clipped ones their distance to the range's end squared.

A rule is a small object fed each sample's tensors in turn (`observe`), then asked for
`ranges()`; every rule needs one pass over the samples.
"""

from __future__ import annotations

import numpy as np
from tflc.errors import TflcError

METHODS = ("minmax", "moving-average", "mse")
# The default: the best int8 SQNR on EfficientNetB0, level with moving-average on MobileNetV2
# (benchmarks/quantize_sqnr.py), and the best mean over the 13 mediapipe models
# (benchmarks/quantize_vs_ai_edge_quantizer.py).
DEFAULT_METHOD = "mse"
MOVING_AVERAGE_FACTOR = 0.95
HISTOGRAM_BINS = 2048
# Candidate clipping ends, as fractions of the observed min / max (1.0 keeps the full range);
# every pair is scored, cheaply, from prefix sums over the histogram.
MSE_FRACTIONS = np.linspace(0.01, 1.0, 100)


def check_method(method: str) -> str:
    if method not in METHODS:
        raise TflcError(
            f"unknown calibration method '{method}'; use one of {', '.join(METHODS)}",
            "calibration_method",
        )
    return method


class MinMax:
    def __init__(self, count: int):
        self.lo = np.full(count, np.inf)
        self.hi = np.full(count, -np.inf)

    def observe(self, values: list[np.ndarray]) -> None:
        for j, v in enumerate(values):
            if v.size:
                self.lo[j] = min(self.lo[j], float(np.min(v)))
                self.hi[j] = max(self.hi[j], float(np.max(v)))

    def ranges(self) -> tuple[np.ndarray, np.ndarray]:
        return self.lo, self.hi


class MovingAverage:
    def __init__(self, count: int, factor: float = MOVING_AVERAGE_FACTOR):
        self.factor = factor
        self.lo = np.full(count, np.nan)
        self.hi = np.full(count, np.nan)

    def observe(self, values: list[np.ndarray]) -> None:
        f = self.factor
        for j, v in enumerate(values):
            if not v.size:
                continue
            lo, hi = float(np.min(v)), float(np.max(v))
            if np.isnan(self.lo[j]):  # the first sample starts the average
                self.lo[j], self.hi[j] = lo, hi
            else:
                self.lo[j] = f * self.lo[j] + (1 - f) * lo
                self.hi[j] = f * self.hi[j] + (1 - f) * hi

    def ranges(self) -> tuple[np.ndarray, np.ndarray]:
        missing = np.isnan(self.lo)
        return np.where(missing, np.inf, self.lo), np.where(missing, -np.inf, self.hi)


class MinimumError:
    """One histogram per tensor over the range seen so far (0 included), rebinned into the
    wider range when a sample extends it, as PyTorch's HistogramObserver does: one pass."""

    def __init__(self, count: int):
        self.lo = np.zeros(count)
        self.hi = np.zeros(count)
        self.seen = np.zeros(count, bool)
        self.histograms: list[np.ndarray | None] = [None] * count

    def observe(self, values: list[np.ndarray]) -> None:
        for j, v in enumerate(values):
            if not v.size:
                continue
            self.seen[j] = True
            lo, hi = min(float(np.min(v)), self.lo[j]), max(float(np.max(v)), self.hi[j])
            if hi <= lo:  # all zeros so far: exact in any grid, nothing to weigh
                continue
            if self.histograms[j] is None:
                self.histograms[j] = np.zeros(HISTOGRAM_BINS)
            elif lo < self.lo[j] or hi > self.hi[j]:
                self.histograms[j] = _rebin(self.histograms[j], self.lo[j], self.hi[j], lo, hi)
            self.lo[j], self.hi[j] = lo, hi
            self.histograms[j] += _histogram(v, lo, hi)

    def ranges(self) -> tuple[np.ndarray, np.ndarray]:
        lo = np.where(self.seen, self.lo, np.inf)
        hi = np.where(self.seen, self.hi, -np.inf)
        for j, counts in enumerate(self.histograms):
            if counts is not None:
                lo[j], hi[j] = best_clipping(counts, self.lo[j], self.hi[j])
        return lo, hi


def _histogram(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
    # Bin index by arithmetic (np.histogram sorts for each call: slower).
    bins = ((v.astype(np.float64).ravel() - lo) * (HISTOGRAM_BINS / (hi - lo))).astype(np.int64)
    return np.bincount(np.clip(bins, 0, HISTOGRAM_BINS - 1), minlength=HISTOGRAM_BINS)


def _rebin(counts: np.ndarray, lo: float, hi: float, new_lo: float, new_hi: float) -> np.ndarray:
    """`counts` over [lo, hi] moved into bins over the wider [new_lo, new_hi]: each old bin
    goes where its center falls (new bins are at least as wide, so it moves at most one)."""
    if hi <= lo:
        return np.zeros(HISTOGRAM_BINS)
    centers = lo + (hi - lo) / HISTOGRAM_BINS * (np.arange(HISTOGRAM_BINS) + 0.5)
    index = ((centers - new_lo) * (HISTOGRAM_BINS / (new_hi - new_lo))).astype(np.int64)
    index = np.clip(index, 0, HISTOGRAM_BINS - 1)
    return np.bincount(index, weights=counts, minlength=HISTOGRAM_BINS)


def _with_zero(lo: float, hi: float) -> tuple[float, float]:
    return min(float(lo), 0.0), max(float(hi), 0.0)


def best_clipping(counts: np.ndarray, lo: float, hi: float) -> tuple[float, float]:
    """The [a, b] within [lo, hi] (0 inside) whose asymmetric int8 grid gives the least squared
    error over the histogram `counts` of equal bins spanning [lo, hi]."""
    width = (hi - lo) / counts.size
    centers = lo + width * (np.arange(counts.size) + 0.5)
    a = lo * MSE_FRACTIONS[:, None]  # every pair of candidate ends
    b = hi * MSE_FRACTIONS[None, :]
    a, b = np.broadcast_arrays(a, b)
    a, b = a.ravel(), b.ravel()
    scale = np.maximum(b - a, 1e-12) / 255.0
    # The grid int8 really uses: the zero point rounds, so the ends move by up to half a step.
    zero_point = np.clip(np.round(-128 - a / scale), -128, 127)
    grid_lo = (-128 - zero_point) * scale
    grid_hi = (127 - zero_point) * scale
    # Squared distance of the values beyond each end, from prefix sums of n, n*c, n*c^2.
    n = np.concatenate([[0.0], np.cumsum(counts)])
    s1 = np.concatenate([[0.0], np.cumsum(counts * centers)])
    s2 = np.concatenate([[0.0], np.cumsum(counts * centers**2)])
    i = np.searchsorted(centers, grid_lo)  # bins [0, i) lie below the grid
    k = np.searchsorted(centers, grid_hi, side="right")  # bins [k, end) above it
    below = grid_lo**2 * n[i] - 2 * grid_lo * s1[i] + s2[i]
    above = grid_hi**2 * (n[-1] - n[k]) - 2 * grid_hi * (s1[-1] - s1[k]) + (s2[-1] - s2[k])
    inside = n[k] - n[i]
    error = below + above + inside * scale**2 / 12
    best = int(np.argmin(error))
    return float(a[best]), float(b[best])


RULES = {
    "minmax": MinMax,
    "moving-average": MovingAverage,
    "mse": MinimumError,
}


def range_rule(method: str, count: int):
    """The statistics object for `method` over `count` tensors."""
    return RULES[check_method(method)](count)
