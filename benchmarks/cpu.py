"""tflc's cpu target against LiteRT (XNNPACK) and IREE (llvm-cpu), side by side.

    python benchmarks/cpu.py [--models mobilenet_v2] [--modes float32,int8] [--threads 1,2]
                             [--runs 30] [--no-iree]

One run on one machine: for each model, mode and thread count, the median of `--runs` timed
calls after warm-up, for tflc, LiteRT and IREE, then the ratio tflc / LiteRT. Targets (exit 1
when one is missed): ratio <= 1.5, tflc faster than IREE where IREE compiles, MobileNetV2
compiles in <= 20 s. A mode tflc cannot compile yet prints its error and counts as missed.
IREE compiles the TOSA that tflc's tfl-legalize-to-tosa makes of the same optimized tfl graph
(flags printed in the header: llvm-cpu for the host CPU).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import corpus  # noqa: E402
import iree_support  # noqa: E402

MAX_RATIO = 1.5
MAX_COMPILE_SECONDS = 20.0
WARMUP = 5


def median_ms(fn, runs: int) -> float:
    for _ in range(WARMUP):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times) * 1e3)


def litert_ms(path: Path, inputs, threads: int, runs: int) -> float:
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(path), num_threads=threads)
    it.allocate_tensors()
    details = it.get_input_details()

    def run():
        for d, x in zip(details, inputs, strict=True):
            it.set_tensor(d["index"], x)
        it.invoke()

    return median_ms(run, runs)


def iree_compile(path: Path, workdir: Path) -> Path | str:
    """A vmfb for the host CPU, or the reason there is none. tflc lowers the model to TOSA
    (tfl-legalize-to-tosa) here; IREE compiles it in a subprocess (see tests/iree_support.py)."""
    from tflc.errors import TflcError

    if not iree_support.iree_installed():
        return "not installed"
    try:
        tosa = iree_support.tosa_text(path)
    except TflcError as e:
        return f"no TOSA from tflc ({str(e).splitlines()[0][-120:]})"
    return iree_support.iree_compile(tosa, workdir, path.stem)


def iree_ms(vmfb: Path, inputs, threads: int, runs: int, workdir: Path) -> float | str:
    try:
        _, ms = iree_support.iree_run(vmfb, inputs, workdir, threads, runs, WARMUP)
    except RuntimeError as e:
        return f"run failed: {str(e).splitlines()[-1]}"
    return ms


# The ISA extensions the cpu target's kernels and LiteRT's XNNPACK pick between.
ISA_FLAGS = ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx_vnni",
             "avx512_bf16", "amx_tile", "amx_int8", "asimddp", "i8mm")  # fmt: skip


def machine() -> str:
    """The CPU model, its ISA flags that matter here, the core count and the load."""
    name, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and name == (platform.processor() or platform.machine()):
                name = value.strip()
            elif key.strip() in ("flags", "Features"):
                flags = set(value.split())
    except OSError:
        pass
    isa = " ".join(f for f in ISA_FLAGS if f in flags) or "unknown"
    return f"{name} [{isa}], {os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--models", default="mobilenet_v2")
    ap.add_argument("--modes", default="float32,int8")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--no-iree", action="store_true")
    args = ap.parse_args()
    from tflc.compiler import compile as tflc_compile
    from tflc.errors import TflcError

    print(f"command: {' '.join([sys.executable, *sys.argv])}")
    print(f"machine: {machine()}")
    if not args.no_iree:
        print(f"IREE: tflc's TOSA, iree-compile {' '.join(iree_support.IREE_CPU_FLAGS)}")
        print(f"IREE runtime: {iree_support.IREE_RUNTIME}")
    header = f"{'model':<14}{'mode':<9}{'threads':>7}{'tflc ms':>10}{'LiteRT ms':>11}{'ratio':>7}"
    print(header + f"{'IREE ms':>10}  notes")
    missed = []
    threads = [int(t) for t in args.threads.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for name in args.models.split(","):
            for mode in args.modes.split(","):
                path = corpus.tf_model_path(name, mode)
                inputs = corpus.sample_inputs(path, seed=0)
                start = time.perf_counter()
                try:
                    cm = tflc_compile(str(path), target="cpu")
                    compile_s, error = time.perf_counter() - start, None
                except TflcError as e:
                    cm, compile_s, error = None, 0.0, str(e)
                iree_start = time.perf_counter()
                vmfb = None if args.no_iree else iree_compile(path, workdir)
                iree_compile_s = time.perf_counter() - iree_start
                for nt in threads:
                    lite = litert_ms(path, inputs, nt, args.runs)
                    iree: float | str = "skipped"
                    if isinstance(vmfb, Path):
                        iree = iree_ms(vmfb, inputs, nt, args.runs, workdir)
                    elif isinstance(vmfb, str):
                        iree = vmfb
                    iree_text = f"{iree:10.2f}" if isinstance(iree, float) else f"{'-':>10}"
                    notes = [] if isinstance(iree, float) else [f"IREE: {iree}"]
                    if cm is None:
                        print(
                            f"{name:<14}{mode:<9}{nt:>7}{'-':>10}{lite:11.2f}{'-':>7}{iree_text}  "
                            f"tflc: {error}"
                        )
                        missed.append(f"{name} {mode}: not compiled")
                        continue
                    cm.num_threads = nt
                    ms = median_ms(lambda cm=cm, inputs=inputs: cm(*inputs), args.runs)
                    ratio = ms / lite
                    if nt == threads[0]:
                        notes.append(f"compile {compile_s:.1f} s")
                        if isinstance(vmfb, Path):
                            notes.append(f"IREE compile {iree_compile_s:.1f} s")
                    print(
                        f"{name:<14}{mode:<9}{nt:>7}{ms:10.2f}{lite:11.2f}{ratio:7.2f}"
                        f"{iree_text}  {'; '.join(notes)}"
                    )
                    if ratio > MAX_RATIO:
                        missed.append(f"{name} {mode} {nt}t: ratio {ratio:.2f} > {MAX_RATIO}")
                    if isinstance(iree, float) and ms >= iree:
                        missed.append(f"{name} {mode} {nt}t: not faster than IREE")
                if cm is not None and name == "mobilenet_v2" and compile_s > MAX_COMPILE_SECONDS:
                    missed.append(
                        f"{name} {mode}: compile {compile_s:.1f} s > {MAX_COMPILE_SECONDS}"
                    )
    for m in missed:
        print(f"missed: {m}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
