"""The MCU target against TFLM on every int8 model of the corpus.

python benchmarks/mcu.py                 # all int8 corpus models (MobileNetV2 included)
python benchmarks/mcu.py --small         # without MobileNetV2
python benchmarks/mcu.py --no-callgrind  # skip instruction counts (valgrind is slow)

For each model: whether tflc compiles it, bit-exactness against LiteRT (reference kernels and
the default XNNPACK path, three seeds), tflc's arena against the arena TFLM's recording
allocator reports, flash (code + weights, arm-none-eabi-size, Cortex-M4 -Os), and instructions
per inference on the host (valgrind callgrind: tflc's `model_run` vs TFLM's
`MicroInterpreter::Invoke`, both on zero inputs). Exits 1 when a compiled model misses a stated
target: bit-exact with LiteRT's reference kernels, arena <= 0.8x TFLM's.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import corpus  # noqa: E402  (needs the path above)
from tflc.backends.mcu import toolchain  # noqa: E402
from tflc.compiler import compile as tflc_compile  # noqa: E402
from tflc.errors import TflcError  # noqa: E402

ARENA_TARGET = 0.8
ARENA_GOAL = 0.5

_TFLM_INVOKE = """
import sys
import numpy as np
from tflite_micro.python.tflite_micro import runtime
interpreter = runtime.Interpreter.from_file(sys.argv[1], arena_size=int(sys.argv[2]))
for i in range(int(sys.argv[3])):
    d = interpreter.get_input_details(i)
    interpreter.set_input(np.zeros(d["shape"], dtype=d["dtype"]), i)
interpreter.invoke()
"""


def tflm_instructions(path: Path, inputs: int) -> int | None:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "invoke.py")
        script.write_text(_TFLM_INVOKE)
        arena = max(path.stat().st_size * 4, 1 << 20)
        try:
            return toolchain.callgrind_instructions(
                [sys.executable, str(script), str(path), str(arena), str(inputs)],
                "*MicroInterpreter::Invoke()",
            )
        except (subprocess.CalledProcessError, TflcError):
            return None


def tflc_instructions(cm) -> int:
    root = cm.build("host/model_test")
    with tempfile.TemporaryDirectory() as tmp:
        zeros = Path(tmp, "input.bin")
        zeros.write_bytes(cm.pack_inputs([np.zeros(d["shape"], d["dtype"]) for d in cm.inputs]))
        return toolchain.callgrind_instructions(
            [str(root / "host/model_test"), str(zeros), str(Path(tmp, "output.bin"))],
            f"{cm.files['model.h'].decode().split('#define TFLC_RUN ')[1].split()[0]}",
        )


def agreement(cm, path: Path, kernels: str, seeds=(0, 1, 2)) -> str:
    """ "exact", "±d (n)" (largest difference, differing elements), or "n/a" (LiteRT cannot
    load the model with these kernels)."""
    worst, count = 0, 0
    for seed in seeds:
        x = corpus.sample_inputs(path, seed)
        try:
            want = corpus.litert_run(path, x, kernels=kernels)
        except (RuntimeError, ValueError):
            return "n/a"
        for a, b in zip(cm(*x), want, strict=True):
            diff = np.abs(a.astype(np.int64) - b.astype(np.int64))
            worst, count = max(worst, int(diff.max())), count + int(np.count_nonzero(diff))
    return "exact" if worst == 0 else f"±{worst} ({count})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="skip MobileNetV2")
    parser.add_argument("--models", nargs="+", choices=corpus.TF_MODELS)
    parser.add_argument("--no-callgrind", action="store_true", help="skip instruction counts")
    args = parser.parse_args(argv)
    models = args.models or (corpus.SMALL_TF_MODELS if args.small else corpus.TF_MODELS)
    callgrind = not args.no_callgrind and shutil.which("valgrind") is not None

    header = (
        f"{'model':<14} {'vs ref':>8} {'vs builtin':>10} {'vs XNNPACK':>10} "
        f"{'tflc arena':>11} {'TFLM arena':>11} "
        f"{'ratio':>6} {'+I/O ratio':>10} {'flash':>9} {'(code)':>8} {'tflc instr':>12} "
        f"{'TFLM instr':>12} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    failures: list[str] = []
    for name in models:
        path = corpus.tf_model_path(name, "int8")
        try:
            cm = tflc_compile(str(path), target="mcu", measure_flash=True)
        except TflcError as e:
            print(f"{name:<14} not compiled: {e.what}")
            continue
        r = cm.report
        vs = {k: agreement(cm, path, k) for k in ("reference", "builtin", "default")}
        tflm = r.get("tflm_arena_bytes")
        io = sum(int(np.prod(d["shape"])) * d["dtype"].itemsize for d in cm.inputs + cm.outputs)
        ratio = r["arena_bytes"] / tflm if tflm else float("nan")
        io_ratio = (r["arena_bytes"] + io) / tflm if tflm else float("nan")
        ours = tflc_instructions(cm) if callgrind else None
        theirs = tflm_instructions(path, len(cm.inputs)) if callgrind else None
        instr_ratio = ours / theirs if ours and theirs else float("nan")
        print(
            f"{name:<14} {vs['reference']:>8} {vs['builtin']:>10} {vs['default']:>10} "
            f"{r['arena_bytes']:>11,} {f'{tflm:,}' if tflm else 'n/a':>11} {ratio:>6.2f} "
            f"{io_ratio:>10.2f} "
            f"{r.get('flash_bytes', 0):>9,} {r.get('flash_code_bytes', 0):>8,} "
            f"{ours or 0:>12,} {f'{theirs:,}' if theirs else 'n/a':>12} {instr_ratio:>6.2f}"
        )
        if vs["reference"] not in ("exact", "n/a"):
            failures.append(f"{name}: not bit-exact with LiteRT's reference kernels")
        if tflm and ratio > ARENA_TARGET:
            failures.append(f"{name}: arena {ratio:.2f}x TFLM's (target <= {ARENA_TARGET})")
    print()
    print(
        f"arena: tflc's scratch arena (inputs and outputs are caller buffers); TFLM's includes "
        f"them, so '+I/O ratio' adds them to tflc's. Target <= {ARENA_TARGET}x, goal <= "
        f"{ARENA_GOAL}x. instr: host x86-64 gcc -O2, callgrind. vs: three seeds against LiteRT's "
        "reference kernels, its optimized builtin kernels and its default XNNPACK path; n/a: "
        "LiteRT cannot load the model with those kernels."
    )
    for failure in failures:
        print(f"MISSED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
