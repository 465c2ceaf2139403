"""`tflc.Interpreter(experimental_delegates=[tflc.delegates.gpu()])`: compute shaders run the
nodes the gpu target compiles, the interpreter the rest; float outputs match LiteRT within the
gpu tests' tolerances (test_gpu_support: SMALL_MODEL_RTOL for a small model, op_rtol for
one op)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import tflc
from corpus import litert_run, sample_inputs, tf_model_path
from test_gpu_support import SMALL_MODEL_RTOL, assert_close, op_rtol, require_vulkan
from test_interpreter_delegates import SPLIT_AT, _node_types
from tflc.errors import TflcError


@require_vulkan()
def test_both_sides_run_and_match_litert() -> None:
    path = tf_model_path("cnn", "float32")
    delegate = tflc.delegates.gpu(exclude_ops=[SPLIT_AT])
    interp = tflc.Interpreter(model_path=str(path), experimental_delegates=[delegate])
    assert delegate.not_delegated == []
    assert 5 not in interp.delegated_nodes  # AVERAGE_POOL_2D, left to the interpreter
    assert len(interp.delegated_nodes) == len(interp._main.subgraph.operators) - 1
    interp.enable_profiling()
    inputs = sample_inputs(path, seed=0)
    assert_close(litert_run(path, inputs), interp(*inputs), SMALL_MODEL_RTOL)
    assert _node_types(interp) == ["TFLC_GPU_DELEGATE", "AVERAGE_POOL_2D", "TFLC_GPU_DELEGATE"]


@require_vulkan()
def test_a_run_the_gpu_refuses_stays_with_the_interpreter() -> None:
    # The gpu target computes float32 and int8 models: a 16x8 model's run is refused, not
    # miscomputed, and runs on the interpreter's kernels.
    path = tf_model_path("cnn", "int16x8")
    delegate = tflc.delegates.gpu()
    interp = tflc.Interpreter(model_path=str(path), experimental_delegates=[delegate])
    assert interp.delegated_nodes == ()
    assert delegate.not_delegated and all(
        "takes float32 and int8" in r for r in delegate.not_delegated
    )
    inputs = sample_inputs(path, seed=0)
    for got, ref in zip(interp(*inputs), litert_run(path, inputs), strict=True):
        assert got.dtype == ref.dtype and np.array_equal(got, ref)


@require_vulkan()
def test_an_int8_model_runs_on_the_gpu_delegate() -> None:
    # int8 computed in float from dequantized weights (tests/test_gpu_int8.py: cnn is 0 steps
    # from LiteRT on the gpu target)
    path = tf_model_path("cnn", "int8")
    delegate = tflc.delegates.gpu()
    interp = tflc.Interpreter(model_path=str(path), experimental_delegates=[delegate])
    assert len(interp.delegated_nodes) == len(interp._main.subgraph.operators)
    inputs = sample_inputs(path, seed=0)
    for got, ref in zip(interp(*inputs), litert_run(path, inputs), strict=True):
        assert got.dtype == np.int8 and np.abs(got.astype(int) - ref.astype(int)).max() <= 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"num_threads": 2}, r"unknown gpu delegate option 'num_threads' \(it takes .*split_k"),
        ({"fallback": "runtime"}, "the gpu delegate does not take 'fallback'"),
    ],
)
def test_options_the_gpu_target_does_not_take_are_refused(options, message) -> None:
    with pytest.raises(TflcError, match=rf"^tflc\.delegates\.gpu: {message}"):
        tflc.delegates.gpu(**options)


def test_a_missing_vulkan_adapter_is_named(monkeypatch) -> None:
    from tflc.runtime import gpu_runtime

    monkeypatch.setattr(gpu_runtime, "vulkan_adapter", lambda kind=None: None)
    with pytest.raises(TflcError, match=r"^tflc\.delegates\.gpu: no Vulkan adapter found") as e:
        tflc.delegates.gpu()
    assert "\n" not in str(e.value)


def test_a_missing_wgpu_is_named(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "wgpu", None)  # `import wgpu` raises ImportError
    with pytest.raises(TflcError, match=r"^tflc\.delegates\.gpu: .*needs the `wgpu` package") as e:
        tflc.delegates.gpu()
    assert "\n" not in str(e.value)


@require_vulkan()
def test_recurrent_ops_stay_with_the_interpreter_which_owns_their_variables() -> None:
    # The gpu target keeps a compiled model's tfl.variable states in its arena; under the
    # delegate the interpreter owns them (reset_all_variables), so the run is not delegated.
    from test_gpu_ops import _recurrent_case

    model, shape = _recurrent_case("UNIDIRECTIONAL_SEQUENCE_RNN", False)
    delegate = tflc.delegates.gpu()
    interp = tflc.Interpreter(model_content=model, experimental_delegates=[delegate])
    assert interp.delegated_nodes == () and delegate.not_delegated
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    from ai_edge_litert.interpreter import Interpreter

    litert = Interpreter(model_content=model)
    litert.allocate_tensors()
    for _ in range(2):
        litert.set_tensor(litert.get_input_details()[0]["index"], x)
        litert.invoke()
        expected = litert.get_tensor(litert.get_output_details()[0]["index"])
        # the interpreter runs it: its float contract, the accumulated class's 1e-5
        assert_close([expected], interp(x), op_rtol("UNIDIRECTIONAL_SEQUENCE_RNN"))
