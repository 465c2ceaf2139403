"""The shared float formulas (runtime/kernels/float_formulas.py) keep the accuracy their module
states, checked against Python's float64 math.erf."""

from __future__ import annotations

import math

import numpy as np
from tflc.runtime.kernels import float_formulas as ff


def _erf_error(dtype) -> float:
    x = np.linspace(-6.0, 6.0, 200_001).astype(dtype)
    exact = np.array([math.erf(float(v)) for v in x])
    got = ff.render(ff.erf(ff.X), ff.NumpyTarget(np.dtype(dtype)), x)
    return float(np.abs(got.astype(np.float64) - exact).max())


def test_erf_is_within_its_stated_error_in_float64_and_float32():
    assert _erf_error(np.float64) < 1.2e-7
    assert _erf_error(np.float32) < 5e-7


def test_gelu_in_float32_is_within_two_ulps_of_exact_gelu():
    x = np.linspace(-8.0, 8.0, 100_001).astype(np.float32)
    exact = np.array([0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0))) for v in x.tolist()])
    got = ff.render(ff.FORMULAS["gelu"], ff.NumpyTarget(np.dtype(np.float32)), x).astype(np.float64)
    assert (np.abs(got - exact) / np.maximum(np.abs(exact), 1.0)).max() < 2.4e-7
