"""tflc's version, read from the one place it is written: pyproject.toml.

A source checkout (or an editable install) reads its own pyproject.toml beside the package, so
the number cannot go stale after an edit; an installed wheel, which ships no pyproject.toml,
reads the metadata that was built from it.
"""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent / "pyproject.toml"


def tflc_version() -> str:
    if PYPROJECT.is_file():
        with PYPROJECT.open("rb") as f:
            return tomllib.load(f)["project"]["version"]
    try:
        return metadata.version("tflc")
    except metadata.PackageNotFoundError:
        return "unknown"


def add_version_flag(parser) -> None:
    """`--version` on an argparse parser, printing `<prog> <version>` as MLIR's tools do."""
    parser.add_argument("--version", action="version", version=f"%(prog)s {tflc_version()}")
