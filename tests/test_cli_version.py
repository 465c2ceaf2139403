"""`--version` on every tool and `tflc.__version__`, all read from pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import tflc

PYPROJECT = Path(tflc.__file__).resolve().parent / "pyproject.toml"


def project_version() -> str:
    with PYPROJECT.open("rb") as f:
        return tomllib.load(f)["project"]["version"]


@pytest.mark.parametrize(
    ("module", "prog"),
    [
        ("tflc.tools.tflc_cli", "tflc"),
        ("tflc.tools.tfl_opt", "tfl-opt"),
        ("tflc.tools.tfl_translate", "tfl-translate"),
    ],
)
def test_tools_print_the_project_version(module, prog):
    result = subprocess.run(
        [sys.executable, "-m", module, "--version"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{prog} {project_version()}\n"


def test_package_version():
    assert tflc.__version__ == project_version()
    assert "__version__" in dir(tflc)
