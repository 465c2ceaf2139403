"""No command or API call leaves files in the temp folder (issue #19).

Each case runs in its own process with TMPDIR set to a fresh, empty directory, and checks the
directory after the process has ended, so temp files removed only at exit count as removed and
files that outlive the process are caught.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import tflc

TINY_CNN = Path(tflc.__file__).resolve().parent / "examples" / "tiny_cnn.tflite"
HAS_WGPU = importlib.util.find_spec("wgpu") is not None


def run_with_private_tmp(
    tmp_path: Path, args: list[str]
) -> tuple[subprocess.CompletedProcess, Path]:
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(private_tmp)}
    env.pop("XDG_RUNTIME_DIR", None)  # the gpu runtime makes one for Vulkan's drivers
    result = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env
    )
    return result, private_tmp


def leftovers(private_tmp: Path) -> list[str]:
    return sorted(p.name for p in private_tmp.iterdir())


TFLC = ["-m", "tflc.tools.tflc_cli"]
CLI_CASES = {
    "compile-cpu": [*TFLC, "compile", str(TINY_CNN), "--target", "cpu", "-o", "out"],
    "compile-mcu": [*TFLC, "compile", str(TINY_CNN), "--target", "mcu", "-o", "out"],
    "quantize-dynamic": [*TFLC, "quantize", str(TINY_CNN), "--mode", "dynamic", "-o", "q.tflite"],
    "optimize": [*TFLC, "optimize", str(TINY_CNN), "-o", "o.tflite"],
    "run": [*TFLC, "run", str(TINY_CNN), "--random-inputs"],
    "translate": ["-m", "tflc.tools.tfl_translate", "--tflite-to-mlir", str(TINY_CNN)],
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_cli_leaves_nothing(tmp_path, case):
    result, private_tmp = run_with_private_tmp(tmp_path, CLI_CASES[case])
    assert result.returncode == 0, result.stderr
    assert leftovers(private_tmp) == []


@pytest.mark.skipif(not HAS_WGPU, reason="needs wgpu")
def test_gpu_compile_leaves_nothing(tmp_path):
    args = [*TFLC, "compile", str(TINY_CNN), "--target", "gpu", "-o", "out"]
    result, private_tmp = run_with_private_tmp(tmp_path, args)
    assert result.returncode == 0, result.stderr
    assert leftovers(private_tmp) == []


def test_failing_pipeline_writes_no_reproducer_unless_asked(tmp_path):
    source = tmp_path / "in.mlir"
    source.write_text(
        "func.func @f(%a: tensor<2xf32>) -> tensor<2xf32> {\n  return %a : tensor<2xf32>\n}\n"
    )
    args = ["-m", "tflc.tools.tfl_opt", str(source), "-p", "tfl-dce,no-such-pass"]
    result, private_tmp = run_with_private_tmp(tmp_path, args)
    assert result.returncode == 1
    assert f"note: reproduce with: tfl-opt {source} -p tfl-dce,no-such-pass" in result.stderr
    assert leftovers(private_tmp) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mlir", "tmp"]

    # Asked for: the IR that entered the pipeline, named in the note, and it replays the failure.
    repro = tmp_path / "repro.mlir"
    shutil.rmtree(private_tmp)
    asked = [*args, "--mlir-pass-pipeline-crash-reproducer", str(repro)]
    result, private_tmp = run_with_private_tmp(tmp_path, asked)
    assert f"note: reproduce with: tfl-opt {repro} -p tfl-dce,no-such-pass" in result.stderr
    assert "func.func @f" in repro.read_text()
    assert leftovers(private_tmp) == []


API_SCRIPT = textwrap.dedent(
    """
    import os, sys, tempfile
    import numpy as np
    import tflc

    x = np.random.default_rng(0).random((1, 28, 28, 1), np.float32) - 0.5
    cpu = tflc.compile(sys.argv[1], target="cpu")
    assert os.listdir(tempfile.gettempdir()) == [], os.listdir(tempfile.gettempdir())
    want = tflc.Interpreter(model_path=sys.argv[1])(x)
    # sums in another order, the softmax's expf: measured 7.3e-8 of max |want| (cpu and gpu)
    np.testing.assert_allclose(cpu(x)[0], want[0], rtol=1e-5, atol=1e-6)
    cpu.save("saved")
    np.testing.assert_array_equal(tflc.load_compiled("saved")(x)[0], cpu(x)[0])  # same code
    mcu = tflc.compile(sys.argv[1], target="mcu")
    if sys.argv[2] == "host-build":
        mcu(x)
    if sys.argv[3] == "gpu":
        from tflc.runtime.gpu_runtime import vulkan_adapter

        gpu = tflc.compile(sys.argv[1], target="gpu")
        if vulkan_adapter() is not None:
            np.testing.assert_allclose(gpu(x)[0], want[0], rtol=1e-5, atol=1e-6)
    print("ok")
    """
)


def test_api_compiles_leave_nothing_after_exit(tmp_path):
    script = tmp_path / "api.py"
    script.write_text(API_SCRIPT)
    host_build = "host-build" if shutil.which("gcc") else "no-build"
    gpu = "gpu" if HAS_WGPU else "no-gpu"
    args = [str(script), str(TINY_CNN), host_build, gpu]
    result, private_tmp = run_with_private_tmp(tmp_path, args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert leftovers(private_tmp) == []
