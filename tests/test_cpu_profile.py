"""Per-kernel profile of compiled cpu code (`profile_kernels`, `tflc run --target cpu --profile`):
every kernel of the generated code is a row, its time measured by running that kernel alone
through `<name>_run_kernels(i, i + 1)`."""

from __future__ import annotations

import time

import numpy as np
import pytest
from corpus import sample_inputs, tf_model_path
from test_cpu_fallback import _custom_model, cube_kernel  # noqa: F401 - a fixture
from tflc.compiler import compile as tflc_compile
from tflc.tools import run_cli

RUNS = 20


@pytest.fixture(scope="module")
def cnn_cpu():
    path = tf_model_path("cnn", "float32")
    return path, tflc_compile(str(path), target="cpu")


def test_every_kernel_is_a_row_and_the_rows_add_up_to_the_run(cnn_cpu) -> None:
    path, cm = cnn_cpu
    inputs = sample_inputs(path, seed=0)
    profile = cm.profile_kernels(*inputs, runs=RUNS)
    rows = sorted(profile.nodes.values(), key=lambda t: t.index)
    assert [t.index for t in rows] == list(range(cm.report["kernel_count"]))
    assert [t.op for t in rows] == [k["op"] for k in cm.manifest["kernels"]]
    assert {"conv_2d", "depthwise_conv_2d", "softmax"} <= {t.op for t in rows}
    assert all(len(t.times) == RUNS and min(t.times) > 0 for t in rows)
    # The whole model in one call of the same entry point, against the sum of its kernels
    # called one by one (fastest of RUNS each, which a busy machine disturbs least).
    ptrs = cm._buffers(inputs)[2]
    whole = []
    for _ in range(RUNS):
        start = time.perf_counter()
        cm._kernels(*ptrs, 0, len(rows))
        whole.append(time.perf_counter() - start)
    per_kernel = sum(min(t.times) for t in rows)
    call_cost = 5e-6 * len(rows)  # a ctypes call per kernel, generously
    assert 0.5 * min(whole) <= per_kernel <= 1.5 * min(whole) + call_cost
    # Timing kernel by kernel computes the model: the outputs are those of a plain run.
    timed = cm.run_timed(inputs, type(profile)(), 0)
    assert all(np.array_equal(a, b) for a, b in zip(timed, cm(*inputs), strict=True))


def test_tflc_run_prints_the_kernels_of_compiled_code(cnn_cpu, tmp_path, capsys) -> None:
    path, cm = cnn_cpu
    argv = ["--random-inputs", "--profile", "--runs", "2"]
    assert run_cli.main([str(path), "--target", "cpu", *argv]) == 0
    compiled_run = capsys.readouterr().out
    cm.save(tmp_path / "cnn")
    assert run_cli.main([str(tmp_path / "cnn"), *argv]) == 0
    saved_run = capsys.readouterr().out
    for out in (compiled_run, saved_run):
        assert "Per-kernel times of compiled code" in out
        assert f"Number of nodes executed: {cm.report['kernel_count']}" in out
        for i, kernel in enumerate(cm.manifest["kernels"]):
            assert f"[{i}: {kernel['name']}]" in out
    assert run_cli.main([str(path), "--option", "num_threads=2", "--random-inputs"]) == 1
    assert "--option needs --target cpu" in capsys.readouterr().err


def test_a_fallback_model_profiles_native_kernels_and_host_steps(cube_kernel) -> None:  # noqa: F811
    cm = tflc_compile(_custom_model(), target="cpu", fallback="runtime")
    x = np.linspace(-2, 2, 8, dtype=np.float32).reshape(1, 8)
    profile = cm.profile_kernels(x, runs=2)
    ops = [t.op for t in sorted(profile.nodes.values(), key=lambda t: t.index)]
    assert ops == ["relu", "host step", "add"]
    assert "Cube" in profile.nodes[1].name
    assert all(len(t.times) == 2 and min(t.times) > 0 for t in profile.nodes.values())
