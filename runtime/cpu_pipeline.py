"""A cpu-target model with runtime-kernel fallback: native libraries and interpreter steps in turn.

Runtime code (numpy, ctypes, the interpreter; no MLIR, no llvmlite). The manifest's `steps`
name, in order, what each step reads and writes as value ids (the model's inputs are ids
0..n-1); a native step is a compiled cpu model saved in its own folder, a host step a one-op
.tflite run by tflc's interpreter. Host steps cost a round trip through numpy arrays and the
interpreter's per-op overhead: `.host_ms` keeps their wall times, `profile()` summarizes them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from tflc.errors import TflcError, saving_errors
from tflc.runtime.cpu_loader import MANIFEST, CompiledCpuModel
from tflc.runtime.input_errors import checked_inputs
from tflc.runtime.profile import Profile

PIPELINE_FORMAT = "tflc-cpu-pipeline/1"


class CompiledCpuPipeline:
    """`cm(*arrays) -> list[np.ndarray]`, `.inputs`, `.outputs`, `.report`, `.save(dir)`."""

    def __init__(
        self,
        manifest: dict[str, Any],
        natives: dict[str, CompiledCpuModel],
        host_models: dict[str, bytes],
    ):
        self.manifest = manifest
        self.inputs: list[dict[str, Any]] = manifest["inputs"]
        self.outputs: list[dict[str, Any]] = manifest["outputs"]
        self.report: dict[str, Any] = dict(manifest.get("report", {}))
        self._natives = natives
        self._host_models = host_models
        self._interpreters: dict[str, Any] = {}
        self.host_ms: dict[str, list[float]] = {}
        self._num_threads = int(manifest.get("num_threads", 1))
        self.num_threads = self._num_threads

    @property
    def num_threads(self) -> int:
        return self._num_threads

    @num_threads.setter
    def num_threads(self, n: int) -> None:
        self._num_threads = int(n)
        for part in self._natives.values():
            part.num_threads = self._num_threads

    def _interpreter(self, name: str):
        from tflc.runtime.interpreter import Interpreter

        if name not in self._interpreters:
            self._interpreters[name] = Interpreter(model_content=self._host_models[name])
        return self._interpreters[name]

    def reset_state(self) -> None:
        """The state the runs keep back to its start: the native steps' state regions zeroed,
        the host steps' interpreters made afresh on their next run."""
        for part in self._natives.values():
            part.reset_state()
        self._interpreters.clear()

    def __call__(self, *arrays) -> list[np.ndarray]:
        values: dict[int, np.ndarray] = dict(enumerate(checked_inputs(self.inputs, arrays)))
        for step in self.manifest["steps"]:
            args = [values[i] for i in step["inputs"]]
            if step["kind"] == "native":
                results = self._natives[step["name"]](*args)
            else:
                start = time.perf_counter()
                results = self._interpreter(step["name"])(*args)
                ms = (time.perf_counter() - start) * 1e3
                self.host_ms.setdefault(step["name"], []).append(ms)
            for i, r in zip(step["outputs"], results, strict=True):
                values[i] = r
        return [np.array(values[i]) for i in self.manifest["output_ids"]]

    def profile(self, *arrays, repeats: int = 10) -> dict[str, Any]:
        """Median wall ms of the whole model and of each host (fallback) step."""
        self.host_ms.clear()
        total = []
        for _ in range(repeats):
            start = time.perf_counter()
            self(*arrays)
            total.append((time.perf_counter() - start) * 1e3)
        return {
            "total_ms": float(np.median(total)),
            "per_host_step_ms": {k: float(np.median(v)) for k, v in self.host_ms.items()},
        }

    def profile_kernels(self, *arrays, runs: int = 1) -> Profile:
        """Per-kernel times of the native steps (CompiledCpuModel.profile_kernels) and the
        wall time of each host step, one row each, in run order."""
        profile = Profile()
        for _ in range(runs):
            values: dict[int, np.ndarray] = dict(enumerate(checked_inputs(self.inputs, arrays)))
            row = 0
            for step in self.manifest["steps"]:
                args = [values[i] for i in step["inputs"]]
                if step["kind"] == "native":
                    part = self._natives[step["name"]]
                    results = part.run_timed(args, profile, row)
                    row += len(part.manifest["kernels"])
                else:
                    start = time.perf_counter()
                    results = self._interpreter(step["name"])(*args)
                    profile.record(row, "host step", time.perf_counter() - start, step["op"])
                    row += 1
                values.update(zip(step["outputs"], results, strict=True))
        if self._natives:
            profile.notes.append(next(iter(self._natives.values())).call_overhead_note())
        return profile

    @saving_errors
    def save(self, directory) -> None:
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        for name, part in self._natives.items():
            part.save(out / name)
        for name, data in self._host_models.items():
            (out / f"{name}.tflite").write_bytes(data)
        (out / MANIFEST).write_text(json.dumps(self.manifest, indent=1) + "\n")

    @classmethod
    def load(cls, directory: Path, manifest: dict[str, Any]) -> CompiledCpuPipeline:
        natives, hosts = {}, {}
        for step in manifest["steps"]:
            where = directory / step["name"]
            try:
                if step["kind"] == "native":
                    part = json.loads((where / MANIFEST).read_text())
                    natives[step["name"]] = CompiledCpuModel(where / part["library"], part)
                else:
                    hosts[step["name"]] = (directory / f"{step['name']}.tflite").read_bytes()
            except (OSError, json.JSONDecodeError, KeyError) as e:
                raise TflcError(
                    f"step '{step['name']}' cannot be loaded ({e})", str(directory)
                ) from None
        return cls(manifest, natives, hosts)
