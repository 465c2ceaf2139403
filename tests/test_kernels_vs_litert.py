"""Every case of the kernel case tables, run in tflc's interpreter and in its oracle
(LiteRT's builtin kernels, or TensorFlow where LiteRT has no kernel); see kernel_case.py."""

from __future__ import annotations

import zlib

import pytest

pytest.importorskip("ai_edge_litert")

from kernel_case import run_case  # noqa: E402
from kernel_cases import ALL_CASES  # noqa: E402


def as_param(case):
    """A known mismatch is a strict xfail: fixing the kernel turns the case into a failure that
    asks for the mark to go."""
    marks = (
        [pytest.mark.xfail(strict=True, reason=case.known_mismatch)] if case.known_mismatch else []
    )
    return pytest.param(case, marks=marks, id=case.id)


@pytest.mark.parametrize("case", [as_param(c) for c in ALL_CASES])
def test_kernel_matches_oracle(case):
    run_case(case, seed=zlib.crc32(case.id.encode()))
