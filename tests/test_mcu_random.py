"""RANDOM_UNIFORM and RANDOM_STANDARD_NORMAL on the mcu target: LiteRT's Philox stream bit for
bit (the host build calls the same C library's logf / sinf / cosf as LiteRT), the stream's
state carried from one run to the next in the static state buffer; the seeds of
test_interpreter_rare_ops' cases (negative and 64-bit ones too). Built with the address and
undefined-behaviour sanitizers."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")
pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")

from corpus import litert_interpreter  # noqa: E402
from test_interpreter_ops import single_op_model, spec  # noqa: E402
from tflc.compiler import compile as tflc_compile  # noqa: E402
from tflc.errors import TflcError  # noqa: E402


def _model(op: str, seeds: tuple[int, int], shape=(3, 7)) -> bytes:
    dims = spec([len(shape)], "INT32", data=np.array(shape, np.int32))
    return single_op_model(
        op, [dims], [spec(shape)], {"seed": seeds[0], "seed2": seeds[1]}, "RandomOptions"
    )


@pytest.mark.parametrize("op", ["RANDOM_UNIFORM", "RANDOM_STANDARD_NORMAL"])
@pytest.mark.parametrize("seeds", [(1, 2), (0, 7), (-5, 3), (12345678901, 2**33 + 7)])
def test_random_ops_continue_litert_philox_stream_across_runs(op, seeds):
    model = _model(op, seeds)  # 21 values: a partly used last Philox block
    compiled = tflc_compile(model, target="mcu", optimize=False, compare_tflm=False)
    assert compiled.report["state_bytes"] == 16
    continues_litert_stream(model, lambda: compiled(sanitize=True)[0], compiled.reset_state)


def continues_litert_stream(model: bytes, run, reset) -> None:
    """Three runs equal LiteRT's three invokes; after `reset()` a run gives the first again."""
    lite = litert_interpreter(model, "builtin")
    lite.allocate_tensors()
    runs = []
    for _ in range(3):
        lite.invoke()
        expected = lite.get_tensor(lite.get_output_details()[0]["index"])
        actual = run()
        np.testing.assert_array_equal(actual, expected)
        runs.append(actual)
    assert not np.array_equal(runs[0], runs[1])  # the stream moved on
    reset()
    np.testing.assert_array_equal(run(), runs[0])


def test_seeds_zero_are_refused_for_their_nondeterministic_stream():
    with pytest.raises(TflcError, match="nondeterministic stream") as e:
        tflc_compile(_model("RANDOM_UNIFORM", (0, 0)), target="mcu", compare_tflm=False)
    assert "\n" not in str(e.value) and "tfl.random_uniform" in str(e.value)
