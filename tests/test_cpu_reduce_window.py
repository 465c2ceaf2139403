"""REDUCE_WINDOW on the cpu target against LiteRT: each reduce function on float32 and int32,
over dilated, strided windows (the mcu test's model, tests/stablehlo_model_builder.py). The
folds run in the interpreter's order, so results are equal, not close."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")

from corpus import litert_run  # noqa: E402
from stablehlo_model_builder import reduce_window_model  # noqa: E402
from tflc.compiler import compile as tflc_compile  # noqa: E402

RNG = np.random.default_rng(23)
FLOAT_INIT = {"ADD": 0, "MUL": 1, "MAXIMUM": -np.inf, "MINIMUM": np.inf}
INT_INIT = {"ADD": 0, "MUL": 1, "MAXIMUM": -(2**31), "MINIMUM": 2**31 - 1}


@pytest.mark.parametrize("dtype", ["FLOAT32", "INT32"])
@pytest.mark.parametrize("function", ["ADD", "MUL", "MAXIMUM", "MINIMUM"])
def test_reduce_window_matches_litert(function, dtype):
    if dtype == "INT32":
        init, x = INT_INIT[function], RNG.integers(-1000, 1000, (1, 7, 8, 3)).astype(np.int32)
    else:
        init, x = FLOAT_INIT[function], RNG.uniform(0.5, 1.5, (1, 7, 8, 3)).astype(np.float32)
    model = reduce_window_model(
        x.shape, dtype, function, init, [1, 3, 2, 1], [1, 2, 3, 1], [1, 1, 2, 1]
    )
    (expected,) = litert_run(model, [x], kernels="builtin")
    (actual,) = tflc_compile(model, target="cpu", optimize=False)(x)
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)  # the same folds in the same order
