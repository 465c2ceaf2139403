"""The coverage matrix (benchmarks/model_coverage.py) on the small corpus models in every mode:
each cell on cpu, mcu and gpu matches LiteRT within its target's bound, or is a measured gap
with its reason in the script's KNOWN table, or a decline with the target's one-line error.

It runs as a user runs it, in a subprocess (the gpu's wgpu must not share this process with
TensorFlow). MobileNetV2, the mediapipe models and the converted control-flow models are the
script's full run (minutes), reported in the issue notes."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import corpus

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "model_coverage.py"


def _known_cells() -> set[tuple[str, str]]:
    """The keys of the script's KNOWN table (read from its source: the script runs in its own process)."""
    tree = ast.parse(SCRIPT.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "KNOWN":
            return {ast.literal_eval(key) for key in node.value.keys}
    raise AssertionError("model_coverage.py has no KNOWN table")


KNOWN_CELLS = _known_cells()


def test_small_models_on_every_target_match_litert_or_state_why():
    for name in corpus.SMALL_TF_MODELS:  # built here, so the subprocess finds them cached
        for mode in corpus.MODES:
            corpus.tf_model_path(name, mode)
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--models", ",".join(corpus.SMALL_TF_MODELS),
         "--no-mediapipe", "--no-converted"],
        capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    out = run.stdout
    assert run.returncode == 0, out + run.stderr[-3000:]
    rows = [ln for ln in out.splitlines() if ln.split("/")[0] in corpus.SMALL_TF_MODELS]
    assert len(rows) == len(corpus.SMALL_TF_MODELS) * len(corpus.MODES), out
    summary = out.strip().splitlines()[-1]
    assert summary.startswith(f"{3 * len(rows)} cells") and " 0 fail" in summary, summary
    # Below the table: the known gaps, and the declines, which must all be the mcu's refusal
    # of dynamic-range (hybrid) layers.
    for note in (ln for ln in out.splitlines() if re.match(r"\[\d+\] ", ln)):
        _, target, row, message = note.split(" ", 3)
        if (target, row.rstrip(":")) in KNOWN_CELLS:
            continue
        assert target == "mcu" and row.endswith("/dynamic:"), note
        assert "hybrid (dynamic-range)" in message, note
