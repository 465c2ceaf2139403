"""A seeded mutation fuzzer over the test corpus (issue 14).

Each mutant of a corpus model (raw byte edits, or one field changed through the project's own
flatbuffer reader and writer) runs through tflc's entry points in a worker subprocess with
memory and time limits, and each run is classified: clean, a clear error (a `TflcError`, or for
the CLI exit 1 with one `error: ` line), internal (a `TflcError` that wraps a failure of tflc
itself, such as an interpreter kernel's exception), a raw traceback, a crash or a hang.

    from fuzz_models import FuzzConfig, run_fuzz, format_report
    report = run_fuzz(FuzzConfig(seed=1, mutants=200))
    print(format_report(report))

tests/test_fuzz_models.py runs a short seeded slice; benchmarks/fuzz_models.py runs long ones.
"""

from __future__ import annotations

from fuzz_models.mutations import MUTATIONS, CorpusModel, Mutant, make_mutant
from fuzz_models.runner import (
    ALL_ENTRY_POINTS,
    FAST_ENTRY_POINTS,
    FuzzConfig,
    FuzzReport,
    Outcome,
    format_report,
    load_corpus,
    run_fuzz,
    run_mutants,
)
from fuzz_models.worker import FAILURES

__all__ = [
    "ALL_ENTRY_POINTS",
    "FAILURES",
    "FAST_ENTRY_POINTS",
    "MUTATIONS",
    "CorpusModel",
    "FuzzConfig",
    "FuzzReport",
    "Mutant",
    "Outcome",
    "format_report",
    "load_corpus",
    "make_mutant",
    "run_fuzz",
    "run_mutants",
]
