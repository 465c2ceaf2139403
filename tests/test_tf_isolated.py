"""Runs the TensorFlow test modules in a fresh process when this one has the GPU stack loaded.

TensorFlow segfaults when it loads next to the Vulkan driver's LLVM (see tests/tf_support.py);
in a whole-suite run the GPU tests open a device while being collected, so the TensorFlow
modules skip themselves there and run here instead, with the same marker selection. Run on
their own (pytest tests/test_tf_convert.py) they run in-process and these tests skip.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import tf_support

TESTS = Path(__file__).resolve().parent


@pytest.mark.parametrize("module", tf_support.TF_TEST_MODULES)
def test_tf_module_in_fresh_process(module, request):
    if not tf_support.gpu_stack_loaded():
        pytest.skip(f"{module} runs in this process")
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(TESTS / module)]
    markexpr = request.config.getoption("markexpr")
    if markexpr:
        args += ["-m", markexpr]
    result = subprocess.run(args, cwd=TESTS.parent, capture_output=True, text=True, timeout=3000)
    # 5: every test deselected by the marker expression
    assert result.returncode in (0, 5), result.stdout[-6000:] + result.stderr[-3000:]


def test_tf_modules_are_collected_after_the_gpu_tests():
    """A whole-suite run collects modules by name: each TensorFlow module must come after every
    GPU one, so that TensorFlow is not used in-process before the GPU tests (see tf_support)."""
    gpu = [
        p.name
        for p in TESTS.glob("test_*.py")
        if "gpu" in p.name or p.name == "test_fallback_option.py"
    ]
    assert gpu
    early = [m for m in tf_support.TF_TEST_MODULES if m < max(gpu)]
    assert not early, f"TensorFlow modules named before {max(gpu)}: {early}"
