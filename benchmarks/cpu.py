"""tflc's cpu target against LiteRT (XNNPACK) and IREE (llvm-cpu, TOSA input), side by side.

    python benchmarks/cpu.py [--models mobilenet_v2] [--modes float32,int8] [--threads 1,2]
                             [--runs 30] [--no-iree]

One run on one machine: for each model, mode and thread count, the median of `--runs` timed
calls after warm-up, for tflc, LiteRT and IREE, then the ratio tflc / LiteRT. Targets (exit 1
when one is missed): ratio <= 1.5, tflc faster than IREE where IREE compiles, MobileNetV2
compiles in <= 20 s. A mode tflc cannot compile yet prints its error and counts as missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import corpus  # noqa: E402

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


_IREE_SCRIPT = r"""
import sys, time, numpy as np
import iree.runtime as rt
vmfb, threads, runs, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rt.flags.parse_flags(f"--task_topology_max_group_count={threads}")
config = rt.Config("local-task")
ctx = rt.SystemContext(config=config)
ctx.add_vm_module(rt.VmModule.copy_buffer(ctx.instance, open(vmfb, "rb").read()))
module = ctx.modules.module
fn = module[[n for n in dir(module) if not n.startswith("_")][0]] if not hasattr(module, "main") else module.main
inputs = [np.load(p) for p in sys.argv[5:]]
for _ in range(warmup): fn(*inputs)
ts = []
for _ in range(runs):
    t = time.perf_counter(); fn(*inputs); ts.append(time.perf_counter() - t)
print(np.median(ts) * 1e3)
"""


_IREE_COMPILE_SCRIPT = r"""
import sys
import tensorflow as tf
import iree.compiler.tools as ireec
tf.mlir.experimental.tflite_to_tosa_bytecode(sys.argv[1], sys.argv[2])
ireec.compile_file(sys.argv[2], input_type="tosa", target_backends=["llvm-cpu"],
                   extra_args=["--iree-llvmcpu-target-cpu=host"], output_file=sys.argv[3])
"""


def iree_compile(path: Path, workdir: Path) -> Path | str:
    """A vmfb for the host CPU, or the reason there is none (in a subprocess: IREE's MLIR
    and the MLIR bindings tflc uses do not share one process)."""
    tosa = workdir / f"{path.stem}.tosa.mlirbc"
    vmfb = workdir / f"{path.stem}.vmfb"
    proc = subprocess.run(
        [sys.executable, "-c", _IREE_COMPILE_SCRIPT, str(path), str(tosa), str(vmfb)],
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        if "ExperimentalTFLiteToTosaBytecode" in proc.stderr:
            return "no tflite->TOSA importer in this TensorFlow"
        if "ModuleNotFoundError" in proc.stderr:
            return "not installed"
        return "fails to compile"
    return vmfb


def iree_ms(vmfb: Path, inputs, threads: int, runs: int, workdir: Path) -> float | str:
    paths = []
    for i, x in enumerate(inputs):
        p = workdir / f"in{i}.npy"
        np.save(p, x)
        paths.append(str(p))
    proc = subprocess.run(
        [sys.executable, "-c", _IREE_SCRIPT, str(vmfb), str(threads), str(runs), str(WARMUP)]
        + paths,
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        return f"run failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr else '?'}"
    return float(proc.stdout.strip().splitlines()[-1])


def machine() -> str:
    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}"


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
                vmfb = None if args.no_iree else iree_compile(path, workdir)
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
