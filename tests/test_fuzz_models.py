"""A short seeded run of the model fuzzer (tests/fuzz_models): no mutant of the corpus crashes,
hangs or ends in a raw traceback at any entry point. Long runs: benchmarks/fuzz_models.py.

Also checks the fuzzer itself: mutants are a function of (seed, index), and a crash or hang in a
batch of mutants is caught and charged to the mutant that caused it.
"""

from __future__ import annotations

from fuzz_models import (
    FAST_ENTRY_POINTS,
    FuzzConfig,
    Mutant,
    format_report,
    load_corpus,
    make_mutant,
    run_fuzz,
    run_mutants,
)
from fuzz_models.worker import CLEAN, CRASH, HANG, TRACEBACK

SEED = 14


def test_fast_entry_points_never_crash_hang_or_trace_back():
    """300 mutants of every corpus model through tflc.load, the Interpreter and tfl-translate."""
    report = run_fuzz(
        FuzzConfig(
            seed=SEED, mutants=300, entry_points=FAST_ENTRY_POINTS, workers=2, batch=50, timeout=60
        )
    )
    assert len(report.outcomes) == 300 * len(FAST_ENTRY_POINTS)
    assert not report.failures(), format_report(report)


def test_compilers_never_crash_hang_or_trace_back():
    """80 mutants of the small TF models compiled for cpu and mcu, then called."""
    report = run_fuzz(
        FuzzConfig(
            seed=SEED,
            mutants=80,
            models="small",
            entry_points=("cpu", "mcu"),
            workers=2,
            batch=20,
            timeout=120,
        )
    )
    assert len(report.outcomes) == 80 * 2
    assert not report.failures(), format_report(report)


def test_mutants_are_a_function_of_seed_and_index():
    corpus = load_corpus("small")
    again = load_corpus("small")
    for index in (0, 1, 57):
        a, b = make_mutant(corpus, SEED, index), make_mutant(again, SEED, index)
        assert (a.model, a.mutation, a.data) == (b.model, b.mutation, b.data)
    assert make_mutant(corpus, SEED, 0).data != make_mutant(corpus, SEED + 1, 0).data


def test_a_crash_or_hang_is_charged_to_its_mutant():
    """A batch where mutant 1 segfaults the worker and mutant 3 hangs: the others still run."""
    kinds = [b"clean", b"Segfault", b"clean", b"Hang", b"Traceback", b"clean"]
    mutants = [Mutant(i, "self-test", kind.decode(), kind) for i, kind in enumerate(kinds)]
    report = run_mutants(
        FuzzConfig(entry_points=("self-test",), batch=len(kinds), timeout=5), mutants
    )
    assert [o.cls for o in report.outcomes] == [CLEAN, CRASH, CLEAN, HANG, TRACEBACK, CLEAN]
    assert report.outcomes[1].type == "signal 11"
    assert report.outcomes[4].type == "KeyError"


# Runs in its own process: the SIGINT it sends itself must not reach pytest.
INTERRUPTED_RUN = """
import os, signal, threading
from fuzz_models import FuzzConfig, Mutant, format_report, run_mutants
mutants = [Mutant(0, "self-test", "hang", b"Hang"), Mutant(1, "self-test", "clean", b"clean")]
threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()
config = FuzzConfig(entry_points=("self-test",), batch=1, workers=1, timeout=5)
print(format_report(run_mutants(config, mutants)))
"""


def test_an_interrupted_run_reports_the_batches_that_ran():
    """SIGINT (Ctrl-C) during a long run: the batch under way finishes, the next is not
    started, and the report of what ran is printed."""
    import subprocess
    import sys
    from pathlib import Path

    run = subprocess.run(
        [sys.executable, "-c", INTERRUPTED_RUN],
        cwd=Path(__file__).parent, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    first = run.stdout.splitlines()[0]
    assert first.startswith("seed 0, 1 mutants") and first.endswith("(stopped early)"), first
    assert "hang" in run.stdout and "clean" in run.stdout
