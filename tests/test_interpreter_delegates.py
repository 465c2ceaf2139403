"""`tflc.Interpreter(experimental_delegates=[tflc.delegates.cpu()])`: compiled cpu code runs the
nodes the cpu target compiles, the interpreter the rest; outputs match LiteRT (float within the
cpu target's tolerance for small models, int8 bit for bit) and LiteRT's API keeps working."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tflc
from corpus import litert_interpreter, litert_run, sample_inputs, tf_model_path
from test_cpu import SMALL_MODEL_RTOL, assert_close
from tflc.errors import TflcError

TINY_CNN = Path(tflc.__file__).resolve().parent / "examples" / "tiny_cnn.tflite"
# cnn: CONV_2D x2, DEPTHWISE, CONV_2D, ADD, AVERAGE_POOL_2D (node 5), MAX_POOL_2D, ...
# Leaving AVERAGE_POOL_2D to the interpreter splits the graph: compiled, interpreted, compiled.
SPLIT_AT = "average_pool_2d"


def _delegated(path, **options) -> tflc.Interpreter:
    delegate = tflc.delegates.cpu(**options)
    interp = tflc.Interpreter(model_path=str(path), experimental_delegates=[delegate])
    assert delegate.not_delegated == []
    return interp


def _node_types(interp: tflc.Interpreter) -> list[str]:
    return [t.op for t in sorted(interp.profile.nodes.values(), key=lambda t: t.index)]


@pytest.mark.parametrize("mode", ["float32", "int8"])
def test_both_sides_run_and_match_litert(mode: str) -> None:
    path = tf_model_path("cnn", mode)
    interp = _delegated(path, exclude_ops=[SPLIT_AT])
    operators = interp._main.subgraph.operators
    assert 5 not in interp.delegated_nodes
    assert len(interp.delegated_nodes) == len(operators) - 1
    interp.enable_profiling()
    inputs = sample_inputs(path, seed=0)
    got = interp(*inputs)
    ref = litert_run(path, inputs)
    if mode == "int8":
        for g, r in zip(got, ref, strict=True):
            assert g.dtype == np.int8 and np.array_equal(g, r)
    else:
        assert_close(got, ref, SMALL_MODEL_RTOL)
    assert _node_types(interp) == ["TFLC_CPU_DELEGATE", "AVERAGE_POOL_2D", "TFLC_CPU_DELEGATE"]


def test_litert_calls_on_a_delegated_interpreter() -> None:
    ours = _delegated(TINY_CNN)
    litert = litert_interpreter(TINY_CNN)
    assert ours.delegated_nodes and len(ours.delegated_nodes) == len(ours._main.subgraph.operators)
    x = np.random.default_rng(3).random((1, 28, 28, 1), np.float32)
    for interp in (ours, litert):
        interp.allocate_tensors()
        interp.set_tensor(interp.get_input_details()[0]["index"], x)
        interp.invoke()
    out = ours.get_output_details()[0]["index"]
    assert_close([ours.get_tensor(out)], [litert.get_tensor(out)], SMALL_MODEL_RTOL)
    runner, litert_runner = ours.get_signature_runner(), litert.get_signature_runner()
    name = next(iter(ours.get_signature_list()["serving_default"]["inputs"]))
    got, ref = runner(**{name: x}), litert_runner(**{name: x})
    assert got.keys() == ref.keys()
    assert_close(list(got.values()), list(ref.values()))


def test_a_resized_input_runs_on_the_interpreters_kernels() -> None:
    # Compiled code has static shapes: with another batch size the interpreter's own kernels
    # run the delegated nodes, and the results are still LiteRT's.
    x = np.random.default_rng(4).random((3, 28, 28, 1), np.float32)
    got = []
    for interp in (_delegated(TINY_CNN), litert_interpreter(TINY_CNN)):
        interp.resize_tensor_input(interp.get_input_details()[0]["index"], [3, 28, 28, 1])
        interp.allocate_tensors()
        interp.set_tensor(interp.get_input_details()[0]["index"], x)
        interp.invoke()
        got.append(interp.get_tensor(interp.get_output_details()[0]["index"]))
    assert got[0].shape == (3, 10)
    assert_close(got[:1], got[1:])


@pytest.mark.parametrize("not_a_delegate", [object(), "cpu"])
def test_an_unknown_delegate_is_an_error(not_a_delegate) -> None:
    with pytest.raises(TflcError, match=r"experimental_delegates\[0\]: .* is not a tflc delegate"):
        tflc.Interpreter(model_path=str(TINY_CNN), experimental_delegates=[not_a_delegate])


def test_the_delegate_refuses_options_it_cannot_honour() -> None:
    with pytest.raises(TflcError, match="does not take 'triple'"):
        tflc.delegates.cpu(triple="aarch64-unknown-linux-gnu")


@pytest.mark.slow
def test_custom_ops_stay_with_the_interpreter(mediapipe_model_paths: list[Path]) -> None:
    # Landmarks2TransformMatrix, TransformTensorBilinear and TransformLandmarks have no cpu
    # kernel; LiteRT cannot run them either: the reference runs the model op by op, the
    # builtins in LiteRT, the custom ops as their float64 formulas (tests/op_by_op_oracle.py).
    import op_by_op_oracle

    (path,) = [p for p in mediapipe_model_paths if p.stem == "face_landmark_with_attention"]
    interp = _delegated(path)
    operators = interp._main.subgraph.operators
    codes = interp._model.operator_codes
    custom = {n for n, op in enumerate(operators) if codes[op.opcode_index].name == "CUSTOM"}
    assert custom and not custom & set(interp.delegated_nodes)
    assert len(interp.delegated_nodes) + len(custom) == len(operators)  # DEQUANTIZEs: compiled in
    inputs = sample_inputs(path, seed=0)
    assert_close(interp(*inputs), op_by_op_oracle.run(path, inputs))


@pytest.mark.parametrize(
    ("interpreter_threads", "delegate_options", "expected"),
    [
        (2, {}, 2),  # the interpreter's num_threads, as LiteRT hands it to its delegates
        (2, {"num_threads": 1}, 1),  # a delegate's own setting wins
        (None, {}, 1),
    ],
)
def test_num_threads_reaches_the_compiled_code(interpreter_threads, delegate_options, expected):
    delegate = tflc.delegates.cpu(**delegate_options)
    interp = tflc.Interpreter(
        model_path=str(TINY_CNN), num_threads=interpreter_threads, experimental_delegates=[delegate]
    )
    runs = [s.segment.run for s in interp._delegation.steps if hasattr(s, "segment")]
    assert runs and all(run.num_threads == expected for run in runs)
    x = np.random.default_rng(4).random((1, 28, 28, 1), np.float32)
    assert_close(interp(x), litert_run(TINY_CNN, [x]))
