"""Loads a model compiled by the cpu target: its shared library, called through ctypes.

Runtime code: numpy, ctypes and the manifest only (no MLIR, no llvmlite), so a saved model runs
where the compiler is absent:

    cm = tflc.load_compiled("out/")
    (probs,) = cm(image)
"""

from __future__ import annotations

import ctypes
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from tflc.errors import TflcError, saving_errors
from tflc.runtime.input_errors import checked_inputs
from tflc.runtime.kernels.control_flow import MAX_WHILE_ITERATIONS
from tflc.runtime.profile import Profile

MANIFEST = "manifest.json"
WORKSPACE_ALIGNMENT = 64


def _aligned_empty(nbytes: int) -> np.ndarray:
    raw = np.zeros(nbytes + WORKSPACE_ALIGNMENT, np.uint8)
    start = -raw.ctypes.data % WORKSPACE_ALIGNMENT
    return raw[start : start + nbytes]


class CompiledCpuModel:
    """`cm(*arrays) -> list[np.ndarray]` over a loaded library; `.inputs`, `.outputs`, `.report`."""

    def __init__(
        self, library: Path, manifest: dict[str, Any], files: dict[str, bytes] | None = None
    ):
        self.manifest = manifest
        self.inputs: list[dict[str, Any]] = manifest["inputs"]
        self.outputs: list[dict[str, Any]] = manifest["outputs"]
        self.report: dict[str, Any] = dict(manifest.get("report", {}))
        self._files = files  # artifacts to write on save (None: copy from the library's folder)
        self._dir = library.parent
        self._lib = ctypes.CDLL(str(library))
        self._run = getattr(self._lib, manifest["run_symbol"])
        self._run.restype = None
        n = len(self.inputs) + len(self.outputs) + 1
        self._run.argtypes = [ctypes.c_void_p] * n
        self._workspace = _aligned_empty(max(int(manifest["workspace_bytes"]), 1))
        self._slice = None
        if manifest.get("slice_symbol"):
            self._slice = getattr(self._lib, manifest["slice_symbol"])
            self._slice.restype = None
            self._slice.argtypes = [ctypes.c_void_p] * n + [ctypes.c_int64, ctypes.c_int64]
        self._kernels = None
        if manifest.get("kernels_symbol"):
            self._kernels = getattr(self._lib, manifest["kernels_symbol"])
            self._kernels.restype = None
            self._kernels.argtypes = [ctypes.c_void_p] * n + [ctypes.c_int64, ctypes.c_int64]
        self._reset = None
        if manifest.get("reset_symbol"):
            self._reset = getattr(self._lib, manifest["reset_symbol"])
            self._reset.restype, self._reset.argtypes = None, []
        self._pool: ThreadPoolExecutor | None = None
        self.num_threads = int(manifest.get("num_threads", 1))

    def _buffers(self, arrays) -> tuple[list[np.ndarray], list[np.ndarray], list[int]]:
        """The checked inputs, fresh outputs, and the run functions' pointer arguments."""
        ins = checked_inputs(self.inputs, arrays)
        outs = [np.empty(d["shape"], np.dtype(d["dtype"])) for d in self.outputs]
        ptrs = [a.ctypes.data for a in ins] + [a.ctypes.data for a in outs]
        ptrs.append(self._workspace.ctypes.data)
        return ins, outs, ptrs

    def __call__(self, *arrays) -> list[np.ndarray]:
        ins, outs, ptrs = self._buffers(arrays)
        nt = self.num_threads
        if nt <= 1 or self._slice is None:
            self._run(*ptrs)
            self._check_status()
            return outs
        # ctypes releases the GIL during the call: every thread runs its share of each kernel
        # and meets the others at the barrier inside the library.
        if self._pool is None or self._pool._max_workers != nt - 1:
            self._pool = ThreadPoolExecutor(nt - 1, thread_name_prefix="tflc-cpu")
        futures = [self._pool.submit(self._slice, *ptrs, tid, nt) for tid in range(1, nt)]
        self._slice(*ptrs, 0, nt)
        for f in futures:
            f.result()
        self._check_status()
        return outs

    def reset_state(self) -> None:
        """Zeroes the state the runs keep (random generators, recurrent variables): the next
        call gives what the first call after loading gave."""
        if self._reset is not None:
            self._reset()

    def _check_status(self) -> None:
        """A model with loops sets a workspace word when one ran past its iteration limit."""
        offset = self.manifest.get("status_offset")
        if offset is not None and self._workspace[offset : offset + 4].view(np.int32)[0]:
            raise TflcError(
                f"a loop did not finish within {MAX_WHILE_ITERATIONS} iterations",
                "compiled model call",
            )

    def profile_kernels(self, *arrays, runs: int = 1) -> Profile:
        """Times every kernel of the generated code on `arrays`, `runs` times, one thread:
        each kernel is one call of `<name>_run_kernels(i, i + 1)` from Python, so each row
        includes one ctypes call (the profile's note states its measured cost)."""
        profile = Profile()
        for _ in range(runs):
            self.run_timed(arrays, profile, 0)
        profile.notes.append(self.call_overhead_note())
        return profile

    def run_timed(self, arrays, profile: Profile, first_row: int) -> list[np.ndarray]:
        """One run, kernel by kernel, recording kernel i as row `first_row + i`."""
        if self._kernels is None:
            raise TflcError(
                "compiled before per-kernel profiling existed: compile it again", "profile"
            )
        _, outs, ptrs = self._buffers(arrays)
        for i, label in enumerate(self.manifest["kernels"]):
            start = time.perf_counter()
            self._kernels(*ptrs, i, i + 1)
            profile.record(first_row + i, label["op"], time.perf_counter() - start, label["name"])
        if self.manifest.get("control_flow"):
            # Kernel by kernel, loops ran once and both branches ran: the outputs come from
            # one whole run (a profile row is one kernel call, not its loop's total).
            self._run(*ptrs)
            self._check_status()
        return outs

    def call_overhead_note(self) -> str:
        _, _, ptrs = self._buffers([np.zeros(d["shape"], d["dtype"]) for d in self.inputs])
        start = time.perf_counter()
        for _ in range(100):
            self._kernels(*ptrs, 0, 0)
        overhead_us = (time.perf_counter() - start) * 1e4
        return (
            "Per-kernel times of compiled code (one thread); each includes one call from Python "
            f"(about {overhead_us:.1f} us, measured on an empty range)"
        )

    @saving_errors
    def save(self, directory) -> None:
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        if self._files is not None:
            for name, data in self._files.items():
                (out / name).write_bytes(data)
            return
        for name in self.manifest["files"]:
            if (self._dir / name).resolve() != (out / name).resolve():
                (out / name).write_bytes((self._dir / name).read_bytes())


def load_compiled(directory):
    """A model saved by `CompiledModel.save` of the cpu target (with or without fallback)."""
    d = Path(directory)
    try:
        manifest = json.loads((d / MANIFEST).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise TflcError(f"not a compiled cpu model ({e})", str(d)) from None
    if manifest.get("target") != "cpu":
        raise TflcError(f"not a cpu-target model (target {manifest.get('target')!r})", str(d))
    if "steps" in manifest:
        from tflc.runtime.cpu_pipeline import CompiledCpuPipeline

        return CompiledCpuPipeline.load(d, manifest)
    return CompiledCpuModel(d / manifest["library"], manifest)
