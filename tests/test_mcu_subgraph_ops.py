"""REDUCE_WINDOW, CALL, DENSIFY and the gpu tests' control-flow models on the mcu target against
LiteRT, the generated C built with the address and undefined-behaviour sanitizers: REDUCE_WINDOW with each reduce function (window
constants in the second options union, as test_interpreter_stablehlo builds it), CALL lowered
at its call site (oracle: LiteRT running the callee as the model, as LiteRT has no CALL
kernel), and DENSIFY of mediapipe's sparse weights, densified at compile time."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")
pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")

import corpus  # noqa: E402
from control_flow_models import (  # noqa: E402
    call_models,
    if_model,
    inputs_of,
    loop_with_branch_model,
    while_model,
)
from corpus import litert_run  # noqa: E402
from stablehlo_model_builder import reduce_window_model  # noqa: E402
from test_interpreter_ops import assert_close  # noqa: E402
from test_kernels_stateful import accumulator_model  # noqa: E402
from tflc.compiler import compile as tflc_compile  # noqa: E402
from tflc.errors import TflcError  # noqa: E402

RNG = np.random.default_rng(17)


def _mcu(model):
    return tflc_compile(model, target="mcu", optimize=False, compare_tflm=False)


@pytest.mark.parametrize(
    ("function", "dtype"),
    [("ADD", "FLOAT32"), ("MAXIMUM", "FLOAT32"), ("MUL", "FLOAT32"), ("MINIMUM", "FLOAT32")]
    + [("ADD", "INT32"), ("MAXIMUM", "INT32")],
)
def test_reduce_window_matches_litert(function, dtype):
    init = {"ADD": 0, "MUL": 1, "MAXIMUM": -np.inf, "MINIMUM": np.inf}[function]
    if dtype == "INT32":
        init = {"ADD": 0, "MAXIMUM": -(2**31)}[function]
        x = RNG.integers(-1000, 1000, (1, 7, 8, 3)).astype(np.int32)
    else:
        x = RNG.uniform(0.5, 1.5, (1, 7, 8, 3)).astype(np.float32)
    model = reduce_window_model(
        x.shape, dtype, function, init, [1, 3, 2, 1], [1, 2, 3, 1], [1, 1, 2, 1]
    )
    (expected,) = litert_run(model, [x], kernels="builtin")
    (actual,) = _mcu(model)(x, sanitize=True)
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)  # the same folds in the same order


def test_call_runs_its_subgraph_like_litert_runs_that_subgraph():
    # called twice: each call site gets the callee's kernels and tensors of its own
    model, callee_only = call_models(twice=True)
    xs = [RNG.standard_normal((3, 4)).astype(np.float32) for _ in range(2)]
    (first,) = litert_run(callee_only, xs, kernels="builtin")
    (expected,) = litert_run(callee_only, [first, xs[0]], kernels="builtin")
    compiled = _mcu(model)
    assert compiled.report["kernel_count"] == 4
    (actual,) = compiled(*xs, sanitize=True)
    np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("name", ["while", "while-swap", "if", "loop-with-branch"])
def test_control_flow_models_match_litert(name):
    """The gpu target's control-flow models (tests/control_flow_models.py) on the mcu too."""
    model = {
        "while": lambda: while_model(5),
        "while-swap": lambda: while_model(4, swap=True),
        "if": if_model,
        "loop-with-branch": loop_with_branch_model,
    }[name]()
    compiled = _mcu(model)
    for flag in (True, False):
        xs = inputs_of("if" if name == "if" else "while", RNG, flag)
        expected = litert_run(model, xs, kernels="builtin")
        for a, e in zip(compiled(*xs, sanitize=True), expected, strict=True):
            assert_close(a, e, 1e-5)


def test_call_once_is_declined_for_its_resource_variables():
    model = accumulator_model(np.ones((2, 3), np.float32))
    with pytest.raises(TflcError, match=r"'tfl.call_once'.* resource variables") as e:
        _mcu(model)
    assert "\n" not in str(e.value)


def test_densify_of_sparse_weights_matches_litert(mediapipe_model_paths):
    path = next(p for p in mediapipe_model_paths if p.stem == "pose_detection")
    assert "DENSIFY" in corpus.op_names(path.read_bytes())
    compiled = tflc_compile(path, target="mcu", compare_tflm=False)
    x = corpus.sample_inputs(path, seed=3)
    expected = litert_run(path, x)
    for a, e in zip(compiled(*x), expected, strict=True):
        assert_close(a, e, 1e-4)


def test_complex_ops_are_declined_for_their_element_type():
    from test_interpreter_ops import i32, single_op_model, spec

    model = single_op_model("RFFT2D", [spec((4, 8)), i32([4, 8])], [spec((4, 5), "COMPLEX64")])
    with pytest.raises(TflcError, match="the C arena has no complex element type") as e:
        _mcu(model)
    assert "\n" not in str(e.value) and "tfl.rfft2d" in str(e.value)
