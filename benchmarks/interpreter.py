"""tflc's interpreter vs LiteRT on MobileNetV2 (224x224), one thread each, or --threads N.

    python benchmarks/interpreter.py [--rounds 20] [--int8] [--threads 2]

Target: MobileNetV2 float32 within 10x of LiteRT (XNNPACK, num_threads=1). The runs alternate
in the same process, so machine noise hits all alike; the figures are median times. With
`--threads N`, tflc runs with num_threads=1 and num_threads=N (the speedup column), LiteRT with
num_threads=N, and the ratio (and the target) compares the two at N threads; a last line gives
the speedup plain numpy BLAS gets from N Python threads on the host at that moment, the
ceiling for tflc's (a host whose cores are busy with other work gives ~1x). The interpreter
holds numpy's BLAS to one thread itself (runtime/blas_threads.py); the variables below do the
same for a BLAS it cannot cap. Exits 1 if the target is missed.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy loads its BLAS

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
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


def measure(mode: str, rounds: int, threads: int = 1) -> dict:
    path = tf_model_path("mobilenet_v2", mode)
    inputs = sample_inputs(path, seed=0)
    runners = {"tflc": Interpreter(model_path=path, num_threads=threads)}
    if threads > 1:
        single = Interpreter(model_path=path, num_threads=1)
        runners["tflc_1"] = lambda: single(*inputs)
    lite = litert_interpreter(path, "default", num_threads=threads)
    lite.allocate_tensors()
    index = lite.get_input_details()[0]["index"]
    ours = runners["tflc"]
    runners["tflc"] = lambda: ours(*inputs)

    def run_lite():
        lite.set_tensor(index, inputs[0])
        lite.invoke()

    runners["litert"] = run_lite
    for _ in range(2):  # warm caches, thread pools and one-time weight packing everywhere
        for run in runners.values():
            run()
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(rounds):  # alternate, so load on the machine hits all alike
        for name, run in runners.items():
            times[name].append(_once(run))
    ms = {name: 1e3 * statistics.median(t) for name, t in times.items()}
    return {
        "mode": mode,
        "tflc_ms": ms["tflc"],
        "tflc_1_ms": ms.get("tflc_1", ms["tflc"]),
        "litert_ms": ms["litert"],
        "ratio": ms["tflc"] / ms["litert"],
    }


def host_parallelism(threads: int, rounds: int) -> float:
    """The speedup plain numpy gets from `threads` Python threads on this host now (the same
    BLAS products split among them, no tflc): the ceiling for the interpreter's speedup, which
    a host busy with other work lowers."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((1568, 576), dtype=np.float32)
    b = rng.standard_normal((576, 160), dtype=np.float32)
    per_thread = 4

    def products(count: int) -> None:
        for _ in range(count):
            a @ b

    def on_threads() -> None:
        workers = [threading.Thread(target=products, args=(per_thread,)) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    one, many = [], []
    for _ in range(rounds):
        one.append(_once(lambda: products(per_thread * threads)))
        many.append(_once(on_threads))
    return statistics.median(one) / statistics.median(many)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="timed runs of each (default 20)")
    parser.add_argument("--int8", action="store_true", help="also time the int8 model (no target)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        metavar="N",
        help="num_threads of tflc and LiteRT; N > 1 also times tflc on 1 thread (default 1)",
    )
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    rows = [measure("float32", args.rounds, args.threads)]
    if args.int8:
        rows.append(measure("int8", args.rounds, args.threads))
    n = args.threads
    threaded = n > 1
    head = f"{'model':<24}"
    if threaded:
        head += f"{'tflc 1t (ms)':>14}{f'tflc {n}t (ms)':>14}{'speedup':>9}"
    else:
        head += f"{'tflc (ms)':>12}"
    print(f"{head}{f'LiteRT {n}t (ms)':>16}{'ratio':>9}   target")
    ok = True
    for r in rows:
        target = ""
        if r["mode"] == "float32":
            met = r["ratio"] <= TARGET_RATIO
            ok &= met
            target = f"<= {TARGET_RATIO:g}x  {'met' if met else 'MISSED'}"
        line = f"{'mobilenet_v2 ' + r['mode']:<24}"
        if threaded:
            speedup = r["tflc_1_ms"] / r["tflc_ms"]
            line += f"{r['tflc_1_ms']:>14.1f}{r['tflc_ms']:>14.1f}{speedup:>8.2f}x"
        else:
            line += f"{r['tflc_ms']:>12.1f}"
        print(f"{line}{r['litert_ms']:>16.1f}{r['ratio']:>8.1f}x   {target}")
    print(
        f"(median of {args.rounds} alternating runs, num_threads={n}; numpy {np.__version__}, "
        f"{os.cpu_count()} cores)"
    )
    if threaded:
        ceiling = host_parallelism(n, args.rounds)
        print(f"host now: plain numpy BLAS on {n} Python threads runs {ceiling:.2f}x one thread")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
