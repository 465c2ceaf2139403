"""The install extras match the optional parts, and every install hint names one that exists."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import tflc

ROOT = Path(tflc.__file__).resolve().parent


def extras() -> dict[str, list[str]]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["project"]["optional-dependencies"]


def self_references(requirements: list[str]) -> set[str]:
    found = set()
    for r in requirements:
        match = re.fullmatch(r"tflc\[([a-z0-9_,\s-]+)\]", r.strip())
        if match:
            found |= {e.strip() for e in match.group(1).split(",")}
    return found


def test_test_extra_brings_every_optional_part():
    all_extras = extras()
    parts = {
        name for name, reqs in all_extras.items() if name != "test" and not self_references(reqs)
    }
    assert {"tf", "gpu", "mcu"} <= parts
    assert self_references(all_extras["test"]) == parts


def test_pins_are_written_once():
    """A requirement pinned in pyproject is not pinned again in .ci's requirement files."""
    pinned = {
        re.split(r"[=<>\[]", r)[0].lower()
        for reqs in extras().values()
        for r in reqs
        if not r.startswith("tflc[")
    }
    for path in (ROOT / ".ci").glob("requirements*.txt"):
        lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
        again = {re.split(r"[=<>\[]", line)[0].lower() for line in lines if line} & pinned
        assert not again, f"{path.name} pins {sorted(again)} again"


def test_install_hints_name_existing_extras():
    """Install hints for an extra, in the README and in error messages."""
    hint = re.compile(r"""pip install[^\n]{0,40}?(?:tflc|\.)\[([a-z0-9_,]+)\]""")
    named = set()
    for path in [ROOT / "README.md", *ROOT.glob("**/*.py")]:
        for match in hint.finditer(path.read_text(errors="ignore")):
            named |= {(path.name, extra) for extra in match.group(1).split(",")}
    assert {extra for _, extra in named} >= {"tf", "gpu", "mcu", "test"}
    assert [(f, e) for f, e in sorted(named) if e not in extras()] == []
