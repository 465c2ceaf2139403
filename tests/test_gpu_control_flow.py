"""`tfl.while`, `tfl.if` and `tfl.call` on the gpu target: control flow on the host around each
subgraph's dispatches (backends/gpu/control_flow.py), against LiteRT. Runs apart from the
TensorFlow-using modules (the GPU stack and TensorFlow in one process crash)."""

from __future__ import annotations

import numpy as np
import pytest
from control_flow_models import (
    call_models,
    if_model,
    inputs_of,
    loop_with_branch_model,
    while_model,
)
from test_gpu_support import assert_close, litert_outputs, require_vulkan

pytestmark = require_vulkan()

RNG = np.random.default_rng(23)


def _gpu(model: bytes):
    from tflc.compiler import compile

    return compile(model, target="gpu")


def _steps_of_kind(compiled, kind: str) -> list[dict]:
    from tflc.runtime.gpu_steps import all_steps

    return [s for s in all_steps(compiled.artifacts.manifest["steps"]) if s["kind"] == kind]


@pytest.mark.parametrize(("limit", "swap"), [(5, False), (4, True), (0, False)])
def test_while_loop_runs_on_the_host_around_its_dispatches_like_litert(limit, swap):
    model = while_model(limit, swap)
    compiled = _gpu(model)
    (loop,) = _steps_of_kind(compiled, "while")
    assert loop["cond_steps"] and loop["body"]
    for _ in range(2):
        xs = inputs_of("while", RNG)
        expected = litert_outputs(model, xs)
        actual = compiled(*xs)
        np.testing.assert_array_equal(actual[0], expected[0])
        assert_close(expected[1:], actual[1:])


def test_if_runs_the_branch_its_condition_picks_like_litert():
    model = if_model()
    compiled = _gpu(model)
    (branch,) = _steps_of_kind(compiled, "if")
    assert branch["then"] and branch["else"]
    for flag in (True, False):
        xs = inputs_of("if", RNG, flag)
        assert_close(litert_outputs(model, xs), compiled(*xs))


def test_branch_nested_in_a_loop_matches_litert_also_saved_and_loaded(tmp_path):
    from tflc.runtime.gpu_runtime import GpuModel

    model = loop_with_branch_model()
    compiled = _gpu(model)
    (loop,) = _steps_of_kind(compiled, "while")
    assert any(s["kind"] == "if" for s in loop["body"])
    compiled.save(tmp_path)
    xs = inputs_of("while", RNG)
    expected = litert_outputs(model, xs)
    for actual in (compiled(*xs), GpuModel.load(tmp_path)(*xs)):
        np.testing.assert_array_equal(actual[0], expected[0])
        assert_close(expected[1:], actual[1:])


def test_call_dispatches_its_callee_like_litert_runs_the_callee():
    model, callee_only = call_models()
    xs = [RNG.standard_normal((3, 4)).astype(np.float32) for _ in range(2)]
    compiled = _gpu(model)
    assert compiled.report["dispatch_count"] >= 1
    assert_close(litert_outputs(callee_only, xs), compiled(*xs))


@pytest.mark.parametrize("name", ["while", "if", "call"])
def test_gpu_delegate_takes_control_flow_with_its_subgraphs(name):
    """The interpreter's gpu delegate compiles the op with the subgraphs it runs."""
    from tflc import delegates
    from tflc.runtime.interpreter import Interpreter

    model = {"while": while_model, "if": if_model, "call": lambda: call_models()[0]}[name]()
    delegate = delegates.gpu()
    interpreter = Interpreter(model_content=model, experimental_delegates=[delegate])
    xs = (
        [RNG.standard_normal((3, 4)).astype(np.float32) for _ in range(2)]
        if name == "call"
        else inputs_of(name, RNG)
    )
    assert delegate.not_delegated == [] and interpreter.delegated_nodes
    assert_close(Interpreter(model_content=model)(*xs), interpreter(*xs))
