"""The float recurrent builtins on the mcu target (kernels/recurrent_f32.c) against LiteRT:
test_interpreter_ops' LSTM variants (plain, CIFG, peephole, projection with clips, layer
normalization), the one-step LSTM op, sequence and one-step RNN, bidirectional LSTM (merged or
not) and RNN, and SVDF, each run three times, so the state kept in the static state buffer
between runs must continue the sequence as LiteRT's variable tensors do. The generated C is
built with the address and undefined-behaviour sanitizers. Float outputs within
test_interpreter_ops.FLOAT_RTOL of the largest magnitude, the mcu's float contract.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")
pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")

from test_interpreter_ops import (  # noqa: E402
    FLOAT_RTOL,
    RECURRENT_CASES,
    assert_close,
    one_step_lstm_case,
    random_input,
    single_op_model,
)
from tflc.compiler import compile as tflc_compile  # noqa: E402
from tflc.errors import TflcError  # noqa: E402

FLOAT_CASES = [c for c in RECURRENT_CASES if "hybrid1" not in c[0]] + [one_step_lstm_case()]
HYBRID_CASES = [c for c in RECURRENT_CASES if "hybrid1" in c[0]]


def _litert(model: bytes):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    lite = Interpreter(
        model_content=model,
        num_threads=1,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    lite.allocate_tensors()
    return lite


def _invoke(lite, x: np.ndarray) -> list[np.ndarray]:
    lite.set_tensor(lite.get_input_details()[0]["index"], x)
    lite.invoke()
    return [lite.get_tensor(d["index"]) for d in lite.get_output_details()]


@pytest.mark.parametrize("case", FLOAT_CASES, ids=[c[0] for c in FLOAT_CASES])
def test_recurrent_state_continues_across_runs_as_in_litert(case):
    _, op, ins, outs, opts, table, version = case
    model = single_op_model(op, ins, outs, opts, table, version)
    compiled = tflc_compile(model, target="mcu", optimize=False, compare_tflm=False)
    assert compiled.report["state_bytes"] > 0
    assert compiled.report["arena_bytes"] >= 0
    lite = _litert(model)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = random_input(rng, ins[0])
        expected = _invoke(lite, x)
        actual = compiled(x, sanitize=True)
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert a.shape == e.shape and a.dtype == e.dtype
            assert_close(a, e, FLOAT_RTOL)


def test_reset_state_starts_the_sequence_again_as_litert_reset_all_variables():
    compiled = reset_restarts_like_litert(
        lambda model: tflc_compile(model, target="mcu", optimize=False, compare_tflm=False)
    )
    source = compiled.files["model.c"].decode()
    assert "void model_reset(void)" in source and "static uint64_t tflc_state[" in source


def reset_restarts_like_litert(compile_model):
    """An RNN compiled by `compile_model` continues LiteRT's sequence, and after reset_state()
    restarts it as LiteRT's reset_all_variables does; returns the compiled model."""
    _, op, ins, outs, opts, table, version = next(c for c in FLOAT_CASES if c[1] == "RNN")
    model = single_op_model(op, ins, outs, opts, table, version)
    compiled = compile_model(model)
    lite = _litert(model)
    rng = np.random.default_rng(1)
    first, second = random_input(rng, ins[0]), random_input(rng, ins[0])
    _invoke(lite, first)
    compiled(first)
    continued = _invoke(lite, second)
    assert_close(compiled(second)[0], continued[0], FLOAT_RTOL)
    lite.reset_all_variables()
    compiled.reset_state()
    restarted = _invoke(lite, second)
    assert not np.allclose(restarted[0], continued[0])  # the state mattered
    assert_close(compiled(second)[0], restarted[0], FLOAT_RTOL)
    return compiled


@pytest.mark.parametrize("case", HYBRID_CASES[:2], ids=[c[0] for c in HYBRID_CASES[:2]])
def test_hybrid_recurrent_ops_are_declined_by_name(case):
    _, op, ins, outs, opts, table, version = case
    model = single_op_model(op, ins, outs, opts, table, version)
    with pytest.raises(TflcError, match="hybrid .dynamic-range.") as e:
        tflc_compile(model, target="mcu", optimize=False, compare_tflm=False)
    assert "\n" not in str(e.value)
