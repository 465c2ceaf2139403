"""IREE as an independent executor of tflc's TOSA: tfl-legalize-to-tosa here, IREE elsewhere.

IREE (`iree-base-compiler`, `iree-base-runtime`) ships its own MLIR, newer than the bindings
tflc uses, so the two never share a process: tflc writes TOSA as MLIR text in the generic op
form (the custom assembly of tosa ops changes between MLIR versions, the generic form only when
an op changes), and `iree-compile` and the IREE runtime run in subprocesses.

    tosa = tosa_text("model.tflite")
    vmfb = iree_compile(tosa, workdir)        # Path, or why not (str)
    outputs = iree_run(vmfb, inputs, workdir)
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

# IREE's best standard flags for the machine it runs on: the llvm-cpu backend tuned for the
# host CPU (AVX-512 here), everything else at IREE's defaults (-O2 style).
IREE_CPU_FLAGS = [
    "--iree-hal-target-device=local",
    "--iree-hal-local-target-device-backends=llvm-cpu",
    "--iree-llvmcpu-target-cpu=host",
]


def iree_installed() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("iree.compiler", "iree.runtime"))


def tosa_text(model: str | Path) -> str:
    """The .tflite model lowered by tflc to TOSA, as generic-form MLIR text: read and
    optimized as `tflc.compile` does, so IREE starts from the graph tflc's targets start from."""
    import tflc
    from tflc.passes import run_pipeline

    module = tflc.load(str(model), static_shapes=True)
    run_pipeline(module, "tfl-optimize,tfl-legalize-to-tosa", source=str(model))
    return module.operation.get_asm(enable_debug_info=False, print_generic_op_form=True)


_COMPILE = r"""
import sys
import iree.compiler.tools as ireec
ireec.compile_file(sys.argv[1], input_type="tosa", output_file=sys.argv[2],
                   extra_args=sys.argv[3:])
"""


def iree_compile(tosa: str, workdir: Path, name: str = "model") -> Path | str:
    """A vmfb for the host CPU, or the reason there is none."""
    source, vmfb = workdir / f"{name}.tosa.mlir", workdir / f"{name}.vmfb"
    source.write_text(tosa)
    proc = subprocess.run(
        [sys.executable, "-c", _COMPILE, str(source), str(vmfb), *IREE_CPU_FLAGS],
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        if "ModuleNotFoundError" in proc.stderr:
            return "not installed"
        lines = [line for line in proc.stderr.splitlines() if "error" in line]
        return f"fails to compile: {(lines or ['?'])[0].strip()[:200]}"
    return vmfb


# IREE's fastest way to run on the host with a given number of threads: on one, the synchronous
# driver runs the dispatches in the calling thread (local-task hands each one to a worker and
# waits, measured 15.5 ms against 20-32 ms on MobileNetV2 here); on more, a task pool of that size.
IREE_RUNTIME = "local-sync for 1 thread, local-task with --task_topology_max_group_count=N"

# Runs `main` (or the module's first exported function) `runs` times after `warmup` calls on
# `threads` threads; prints the median ms and saves the outputs of the last call.
_RUN = r"""
import sys, time, numpy as np
import iree.runtime as rt
vmfb, out, threads, runs, warmup = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
if threads > 1:
    rt.flags.parse_flags(f"--task_topology_max_group_count={threads}")
ctx = rt.SystemContext(config=rt.Config("local-sync" if threads == 1 else "local-task"))
vm = rt.VmModule.copy_buffer(ctx.instance, open(vmfb, "rb").read())
ctx.add_vm_module(vm)
names = [n for n in vm.function_names if not n.startswith("__")]
fn = ctx.modules.module["main" if "main" in names else names[0]]
inputs = [np.load(p) for p in sys.argv[6:]]
for _ in range(warmup):
    fn(*inputs)
ts = []
for _ in range(max(runs, 1)):
    t = time.perf_counter(); y = fn(*inputs); ts.append(time.perf_counter() - t)
ys = y if isinstance(y, (list, tuple)) else [y]
np.savez(out, *[np.asarray(v) for v in ys])
print(np.median(ts) * 1e3)
"""


def iree_run(
    vmfb: Path,
    inputs: Sequence[np.ndarray],
    workdir: Path,
    threads: int = 1,
    runs: int = 1,
    warmup: int = 0,
) -> tuple[list[np.ndarray], float]:
    """(outputs, median ms of `runs` calls); raises RuntimeError when IREE fails."""
    paths = []
    for i, x in enumerate(inputs):
        paths.append(workdir / f"in{i}.npy")
        np.save(paths[-1], x)
    out = workdir / "outputs.npz"
    proc = subprocess.run(
        [sys.executable, "-c", _RUN, str(vmfb), str(out), str(threads), str(runs), str(warmup)]
        + [str(p) for p in paths],
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        raise RuntimeError(f"IREE run failed: {proc.stderr.strip()[-500:]}")
    with np.load(out) as saved:
        outputs = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    return outputs, float(proc.stdout.strip().splitlines()[-1])
