"""RANDOM_UNIFORM and RANDOM_STANDARD_NORMAL on the cpu target: LiteRT's Philox stream bit for
bit over several invokes (the stream's counter kept in the state region between calls,
zeroed by `reset_state()`), with test_mcu_random's models and seeds."""

from __future__ import annotations

import pytest

pytest.importorskip("ai_edge_litert")

from test_mcu_random import _model, continues_litert_stream  # noqa: E402
from tflc.compiler import compile as tflc_compile  # noqa: E402
from tflc.errors import TflcError  # noqa: E402


@pytest.mark.parametrize("op", ["RANDOM_UNIFORM", "RANDOM_STANDARD_NORMAL"])
@pytest.mark.parametrize("seeds", [(1, 2), (0, 7), (-5, 3), (12345678901, 2**33 + 7)])
def test_random_ops_continue_litert_philox_stream_across_calls(op, seeds):
    model = _model(op, seeds)  # 21 values: a partly used last Philox block
    compiled = tflc_compile(model, target="cpu", optimize=False)
    assert compiled.report["state_bytes"] == 16
    continues_litert_stream(model, lambda: compiled()[0], compiled.reset_state)


def test_threaded_calls_draw_each_block_once():
    """Under num_threads=2 one thread runs the op: each call moves the stream on once."""
    model = _model("RANDOM_UNIFORM", (3, 4), shape=(5, 2))
    compiled = tflc_compile(model, target="cpu", optimize=False, num_threads=2)
    continues_litert_stream(model, lambda: compiled()[0], compiled.reset_state)


def test_seeds_zero_are_refused_for_their_nondeterministic_stream():
    with pytest.raises(TflcError, match="nondeterministic stream") as e:
        tflc_compile(_model("RANDOM_UNIFORM", (0, 0)), target="cpu")
    assert "\n" not in str(e.value) and "random_uniform" in str(e.value)
