"""Runs the lit + FileCheck suite (tests/lit) as part of pytest, so one command runs both."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

LIT_DIR = Path(__file__).resolve().parent / "lit"


def test_lit_suite(tmp_path):
    lit = shutil.which("lit") or str(Path(sys.executable).parent / "lit")
    result = subprocess.run(
        [lit, "-v", str(LIT_DIR)],
        capture_output=True,
        text=True,
        env={**os.environ, "TFLC_LIT_OUT": str(tmp_path)},
        timeout=1200,
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
