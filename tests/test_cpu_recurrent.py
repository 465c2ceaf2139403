"""The float RNN builtins on the cpu target against LiteRT: test_mcu_recurrent's cases (from
test_interpreter_ops' RECURRENT_CASES) for RNN, sequence RNN, bidirectional RNN and SVDF, each run
three times, so the state kept in the state region between calls must continue the sequence as
LiteRT's variable tensors do; reset_state() restarts it as reset_all_variables does. Float
outputs within test_interpreter_ops.FLOAT_RTOL of the largest magnitude."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")


from test_interpreter_ops import FLOAT_RTOL, assert_close, random_input, single_op_model  # noqa: E402
from test_mcu_recurrent import FLOAT_CASES, _invoke, _litert, reset_restarts_like_litert  # noqa: E402
from tflc.backends.cpu.module_builder import SUPPORTED_OPS  # noqa: E402
from tflc.compiler import compile as tflc_compile  # noqa: E402

CPU_CASES = [c for c in FLOAT_CASES if c[1].lower() in SUPPORTED_OPS]


def test_the_cases_cover_every_recurrent_op_the_cpu_compiles():
    assert {c[1] for c in CPU_CASES} >= {
        "RNN",
        "UNIDIRECTIONAL_SEQUENCE_RNN",
        "BIDIRECTIONAL_SEQUENCE_RNN",
        "SVDF",
        "LSTM",
        "UNIDIRECTIONAL_SEQUENCE_LSTM",
        "BIDIRECTIONAL_SEQUENCE_LSTM",
    }


@pytest.mark.parametrize("case", CPU_CASES, ids=[c[0] for c in CPU_CASES])
def test_recurrent_state_continues_across_calls_as_in_litert(case):
    _, op, ins, outs, opts, table, version = case
    model = single_op_model(op, ins, outs, opts, table, version)
    compiled = tflc_compile(model, target="cpu", optimize=False)
    assert compiled.report["state_bytes"] > 0
    lite = _litert(model)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = random_input(rng, ins[0])
        expected = _invoke(lite, x)
        actual = compiled(x)
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert a.shape == e.shape and a.dtype == e.dtype
            assert_close(a, e, FLOAT_RTOL)


def test_reset_state_starts_the_sequence_again_as_litert_reset_all_variables():
    reset_restarts_like_litert(lambda model: tflc_compile(model, target="cpu", optimize=False))
