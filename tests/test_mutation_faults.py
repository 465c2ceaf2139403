"""The mutation check's faults (benchmarks/mutation_faults.py) still name code that exists: each
fault's line occurs exactly once in its file, and each selected test file exists, so the check
(benchmarks/mutation_check.py, run by hand) does not rot as the code moves."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from mutation_faults import FAULTS  # noqa: E402


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_fault_applies_to_one_line_and_names_existing_tests(fault):
    assert (REPO / fault.path).read_text().count(fault.old) == 1
    for test in fault.tests:
        assert (REPO / test.split("::")[0]).exists(), test


def test_at_least_twenty_faults():
    assert len(FAULTS) >= 20
