"""tflc's interpreter vs LiteRT on MobileNetV2 (224x224), one thread each.

    python benchmarks/interpreter.py [--rounds 20] [--int8]

Target: MobileNetV2 float32 within 10x of LiteRT (XNNPACK, num_threads=1). The two run
alternately in the same process, so machine noise hits both; the figure is the ratio of their
median times. numpy's BLAS is pinned to one thread to match. Exits 1 if the target is missed.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy loads its BLAS

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from corpus import litert_interpreter, sample_inputs, tf_model_path  # noqa: E402
from tflc.runtime.interpreter import Interpreter  # noqa: E402

TARGET_RATIO = 10.0


def _once(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(mode: str, rounds: int) -> dict:
    path = tf_model_path("mobilenet_v2", mode)
    inputs = sample_inputs(path, seed=0)
    ours = Interpreter(model_path=path)
    lite = litert_interpreter(path, "default")
    lite.allocate_tensors()
    index = lite.get_input_details()[0]["index"]

    def run_ours():
        ours(*inputs)

    def run_lite():
        lite.set_tensor(index, inputs[0])
        lite.invoke()

    for _ in range(2):  # warm caches and one-time weight packing on both sides
        run_ours()
        run_lite()
    t_ours, t_lite = [], []
    for _ in range(rounds):  # alternate, so load on the machine hits both alike
        t_ours.append(_once(run_ours))
        t_lite.append(_once(run_lite))
    ms_ours = 1e3 * statistics.median(t_ours)
    ms_lite = 1e3 * statistics.median(t_lite)
    return {"mode": mode, "tflc_ms": ms_ours, "litert_ms": ms_lite, "ratio": ms_ours / ms_lite}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="timed runs of each (default 20)")
    parser.add_argument("--int8", action="store_true", help="also time the int8 model (no target)")
    args = parser.parse_args(argv)
    rows = [measure("float32", args.rounds)]
    if args.int8:
        rows.append(measure("int8", args.rounds))
    print(f"{'model':<24}{'tflc (ms)':>12}{'LiteRT (ms)':>14}{'ratio':>9}   target")
    ok = True
    for r in rows:
        target = ""
        if r["mode"] == "float32":
            met = r["ratio"] <= TARGET_RATIO
            ok &= met
            target = f"<= {TARGET_RATIO:g}x  {'met' if met else 'MISSED'}"
        print(
            f"{'mobilenet_v2 ' + r['mode']:<24}{r['tflc_ms']:>12.1f}{r['litert_ms']:>14.1f}"
            f"{r['ratio']:>8.1f}x   {target}"
        )
    print(f"(median of {args.rounds} alternating runs, one thread each; numpy {np.__version__})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
