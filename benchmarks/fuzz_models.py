"""Long runs of the model fuzzer (tests/fuzz_models): mutants of the corpus through tflc.load,
the Interpreter, cpu and mcu compile + call, and tfl-translate.

    python benchmarks/fuzz_models.py --mutants 20000 --seed 1 [--entry-points load,interpreter]
        [--models all|small|mediapipe] [--workers 2] [--timeout 60] [--sanitize]
    python benchmarks/fuzz_models.py --seed 1 --only 4711 --save /tmp/m   # rebuild one mutant

Prints the outcomes per entry point and class and one row per distinct failure (entry point,
class, exception type, innermost tflc frame) with an example mutant; exits non-zero on any
crash, raw traceback or hang. A mutant is a function of (corpus, seed, index) alone, so
`--only INDEX` reruns any row's example, and `--start N` continues a run. Ctrl-C (SIGINT, or
SIGTERM) stops a run after the batches under way and prints the report of what ran.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fuzz_models import (  # noqa: E402
    ALL_ENTRY_POINTS,
    FuzzConfig,
    format_report,
    load_corpus,
    make_mutant,
    run_fuzz,
)
from fuzz_models.worker import FAILURES, INTERNAL  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mutants", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start", type=int, default=0, help="first mutant index")
    p.add_argument("--only", help="comma-separated mutant indices to run alone")
    p.add_argument(
        "--entry-points",
        default=",".join(ALL_ENTRY_POINTS),
        help=f"comma-separated subset of {','.join(ALL_ENTRY_POINTS)}",
    )
    p.add_argument("--models", default="all", choices=("all", "small", "mediapipe"))
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--batch", type=int, default=25, help="mutants per worker process")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per mutant and entry")
    p.add_argument("--memory-limit", type=float, default=4.0, help="GiB of address space")
    p.add_argument("--sanitize", action="store_true", help="MCU host build under ASan/UBSan")
    p.add_argument("--save", type=Path, help="write the mutants (of --only) to this directory")
    p.add_argument("--examples", type=int, default=1, help="example mutants per distinct row")
    args = p.parse_args()

    entry_points = tuple(e for e in args.entry_points.split(",") if e)
    unknown = set(entry_points) - set(ALL_ENTRY_POINTS)
    if unknown:
        p.error(f"unknown entry point(s) {', '.join(sorted(unknown))}")
    only = tuple(int(i) for i in args.only.split(",")) if args.only else ()
    config = FuzzConfig(
        seed=args.seed,
        mutants=args.mutants,
        start=args.start,
        entry_points=entry_points,
        models=args.models,
        workers=args.workers,
        batch=args.batch,
        timeout=args.timeout,
        memory_limit=int(args.memory_limit * (1 << 30)),
        sanitize=args.sanitize,
        only=only,
    )
    corpus = load_corpus(args.models)
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for i in only or range(args.start, args.start + args.mutants):
            m = make_mutant(corpus, args.seed, i)
            (args.save / f"mutant{i}.tflite").write_bytes(m.data)
            print(f"mutant{i}.tflite: {m.model}: {m.mutation}")
    started = time.monotonic()
    last = [started]

    def progress(report) -> None:
        if time.monotonic() - last[0] > 60:
            last[0] = time.monotonic()
            done = len({o.index for o in report.outcomes})
            counts = dict(sorted(report.counts().items()))
            print(f"[{time.monotonic() - started:6.0f} s] {done} mutants: {counts}", flush=True)

    # A run started in the background inherits SIGINT ignored (a shell without job control
    # does that): restore it, and let SIGTERM stop a run the same way.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    report = run_fuzz(config, corpus, progress)
    print(format_report(report, classes=(*FAILURES, INTERNAL), examples=args.examples))
    return 1 if report.failures() else 0


if __name__ == "__main__":
    sys.exit(main())
