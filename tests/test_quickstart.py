"""The README's main job: examples/quickstart.py checks every step against LiteRT and exits 0.

It runs in a subprocess, as a user runs it. Every target it lists must have run: the gpu line
may read "skipped" only where this machine has no Vulkan adapter (or no wgpu)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import tflc

QUICKSTART = Path(tflc.__file__).resolve().parent / "examples" / "quickstart.py"


# Asked in a child process: wgpu must not load into this pytest process next to TensorFlow.
VULKAN_PRESENT = """
import sys
try:
    from tflc.runtime.gpu_runtime import vulkan_adapter
except ImportError:  # wgpu is not installed
    sys.exit(3)
sys.exit(0 if vulkan_adapter() is not None else 3)
"""


def test_quickstart_agrees_with_litert_on_every_target():
    vulkan = (
        subprocess.run(
            [sys.executable, "-c", VULKAN_PRESENT], capture_output=True, timeout=120
        ).returncode
        == 0
    )
    run = subprocess.run(
        [sys.executable, str(QUICKSTART)], capture_output=True, text=True, timeout=600
    )
    out = run.stdout
    assert run.returncode == 0, out + run.stderr
    assert out.rstrip().endswith("all results agree"), out
    for model in ("tiny_cnn_int8.tflite", "tiny_cnn.tflite"):
        section = out.split(model + ":", 1)[1].split(".tflite:", 1)[0]
        for target in ("cpu", "mcu", "gpu"):
            line = next(ln for ln in section.splitlines() if f"target='{target}'" in ln)
            if target == "gpu" and not vulkan:
                assert "skipped" in line, line
            else:
                assert "LiteRT" in line and "skipped" not in line, line
    assert "DIFFERS" not in out and "TOO" not in out, out
