"""RANDOM_UNIFORM and RANDOM_STANDARD_NORMAL on the cpu target: LiteRT's Philox stream bit for
bit over several invokes (the stream's counter kept in the state region between calls,
zeroed by `reset_state()`), with test_mcu_random's models and seeds."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")

from corpus import litert_interpreter  # noqa: E402
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


def test_c_callers_continue_and_reset_the_stream(tmp_path):
    """From C: two runs, model_reset(), a third run: LiteRT's first two invokes, then its
    first again; the header states the state size the report gives."""
    import shutil
    import subprocess
    import textwrap

    if shutil.which("cc") is None:
        pytest.skip("needs a C compiler")
    model = _model("RANDOM_STANDARD_NORMAL", (7, 11), shape=(2, 5))
    compiled = tflc_compile(model, target="cpu", optimize=False)
    compiled.save(tmp_path)
    header = (tmp_path / "model.h").read_text()
    assert f"#define MODEL_STATE_SIZE {compiled.report['state_bytes']}u" in header
    (tmp_path / "main.c").write_text(
        textwrap.dedent("""
        #include <stdio.h>
        #include "model.h"
        static float out[10];
        static _Alignas(64) unsigned char ws[MODEL_WORKSPACE_SIZE + 1];
        static void run(void) {
          model_run(out, ws);
          for (int i = 0; i < 10; i++) printf("%a\\n", out[i]);
        }
        int main(void) { run(); run(); model_reset(); run(); return 0; }
        """)
    )
    subprocess.run(["cc", "-o", "main", "main.c", "model.o", "-lm"], cwd=tmp_path, check=True)
    out = subprocess.run([str(tmp_path / "main")], capture_output=True, text=True, check=True)
    got = np.array([float.fromhex(v) for v in out.stdout.split()], np.float32).reshape(3, 2, 5)
    lite = litert_interpreter(model, "builtin")
    lite.allocate_tensors()
    expected = []
    for _ in range(2):
        lite.invoke()
        expected.append(lite.get_tensor(lite.get_output_details()[0]["index"]))
    np.testing.assert_array_equal(got, np.stack([expected[0], expected[1], expected[0]]))
