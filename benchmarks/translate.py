"""Import and export time of the largest corpus models (target: under 2 s each for ~14 MB).

    python benchmarks/translate.py [--repeat 5]

Prints model, size, import s, export s, print s (median of --repeat runs) and exits non-zero when
an import or export of a model up to 16 MB takes 2 s or more.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import corpus  # noqa: E402
import tflc  # noqa: E402

TARGET_SECONDS = 2.0


def median_time(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    models = [corpus.tf_model_path("mobilenet_v2", mode) for mode in corpus.MODES]
    models += sorted(corpus.mediapipe_models(), key=lambda p: p.stat().st_size)[-2:]
    print(f"{'model':48} {'MB':>6} {'import s':>9} {'export s':>9} {'print s':>8}")
    missed = False
    for path in models:
        data = path.read_bytes()
        t_import, module = median_time(lambda data=data: tflc.load(data), args.repeat)
        t_export, _ = median_time(lambda module=module: tflc.to_flatbuffer(module), args.repeat)
        t_print, _ = median_time(lambda module=module: tflc.to_text(module), args.repeat)
        name = path.name
        print(
            f"{name[-48:]:48} {len(data) / 1e6:6.1f} {t_import:9.3f} {t_export:9.3f} {t_print:8.3f}"
        )
        if len(data) <= 16e6 and max(t_import, t_export) >= TARGET_SECONDS:
            missed = True
    if missed:
        print(f"FAIL: an import or export took {TARGET_SECONDS} s or more")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
