"""Runs a compiled GPU model through `wgpu` (Vulkan): no MLIR, no compiler imports.

An artifact directory holds `manifest.json`, `weights.bin` and `shaders/*.wgsl`. Every shader
binds the same two buffers, the activation arena (binding 0, read-write) and the weights
(binding 1, read-only); tensor offsets are constants in the shader code. Steps run in order:
`dispatch` steps in compute passes, `host` steps (ops without a shader, compiled with
`fallback="runtime"`) on the CPU through tflc's numpy interpreter, between two submissions, and
`if` / `while` steps (gpu_steps.py) on the host around their nested steps, reading their
one-element condition back from the arena.
The arena holds float32 values only: an int8 model input or output (its manifest entry has
`quantization`) is dequantized on upload and quantized on download, with LiteRT's QUANTIZE
rounding, as TFLite's GPU delegate converts at the graph's edges; bool and integer inputs and
outputs convert to and from exact float values (`gpu_arena.py`).

    model = GpuModel.load("out/")
    (probs,) = model(image)
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from tflc.errors import TflcError
from tflc.runtime.gpu_arena import from_arena, to_arena
from tflc.runtime.gpu_steps import all_steps, for_device
from tflc.runtime.input_errors import checked_inputs, input_place
from tflc.runtime.kernels.control_flow import MAX_WHILE_ITERATIONS
from tflc.runtime.kernels.quantize import dequantize_values, quantize_int8

MANIFEST_FORMAT = "tflc-gpu/1"
_XDG_RUNTIME_DIR: tempfile.TemporaryDirectory | None = None
_PREFERENCE = {"DiscreteGPU": 0, "IntegratedGPU": 1, "VirtualGPU": 2, "CPU": 3, "Unknown": 4}


def _wgpu():
    # Mesa's Vulkan drivers print "error: XDG_RUNTIME_DIR is invalid" on every adapter query
    # where the variable is unset (headless machines, CI); give them the private directory
    # the variable names (only when there is none).
    # The directory is removed when the process exits.
    global _XDG_RUNTIME_DIR
    if not os.environ.get("XDG_RUNTIME_DIR"):
        _XDG_RUNTIME_DIR = tempfile.TemporaryDirectory(prefix="tflc-xdg-")
        os.environ["XDG_RUNTIME_DIR"] = _XDG_RUNTIME_DIR.name
    try:
        import wgpu
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise TflcError(
            "the gpu runtime needs the `wgpu` package (pip install 'tflc[gpu]')", "gpu"
        ) from e
    return wgpu


def vulkan_adapter(kind: str | None = None):
    """The best Vulkan adapter (a discrete GPU first, lavapipe last), or None when there is none.

    `kind` (or `$TFLC_GPU_ADAPTER`), e.g. "CPU", picks an adapter type.
    """
    wgpu = _wgpu()
    kind = kind or os.environ.get("TFLC_GPU_ADAPTER")
    adapters = [
        a for a in wgpu.gpu.enumerate_adapters_sync() if a.info.get("backend_type") == "Vulkan"
    ]
    if kind:
        adapters = [a for a in adapters if a.info.get("adapter_type") == kind]
    adapters.sort(key=lambda a: _PREFERENCE.get(a.info.get("adapter_type"), 9))
    return adapters[0] if adapters else None


def require_vulkan_adapter(where: str = "gpu"):
    """The adapter `vulkan_adapter()` picks; a one-line TflcError at `where` naming what is
    missing (the `wgpu` package, or a Vulkan adapter) when there is none."""
    try:
        adapter = vulkan_adapter()
    except TflcError as e:
        raise TflcError(e.what, where) from None
    if adapter is None:
        raise TflcError("no Vulkan adapter found (install mesa-vulkan-drivers for lavapipe)", where)
    return adapter


class GpuModel:
    """A compiled model loaded on a Vulkan device."""

    def __init__(
        self,
        manifest: dict[str, Any],
        shaders: dict[str, str],
        weights: bytes,
        host_models: dict[str, bytes] | None = None,
        adapter=None,
        device_class: str | None = None,
    ):
        if manifest.get("format") != MANIFEST_FORMAT:
            raise ValueError(f"not a {MANIFEST_FORMAT} manifest: {manifest.get('format')}")
        wgpu = _wgpu()
        self.wgpu = wgpu
        self.manifest = manifest
        self.inputs = manifest["inputs"]
        self.outputs = manifest["outputs"]
        self.adapter = adapter or require_vulkan_adapter()
        limits = self.adapter.limits
        arena_bytes = 4 * manifest["arena_floats"]
        need = max(arena_bytes, len(weights))
        if need > limits["max-storage-buffer-binding-size"]:
            raise RuntimeError(f"buffers of {need} bytes exceed the adapter's binding limit")
        features = [f for f in ("timestamp-query",) if f in self.adapter.features]
        self.device = self.adapter.request_device_sync(
            required_features=features,
            required_limits={
                "max-storage-buffer-binding-size": limits["max-storage-buffer-binding-size"],
                "max-buffer-size": limits["max-buffer-size"],
            },
        )
        self.timestamps = bool(features)
        usage = wgpu.BufferUsage
        self.arena = self.device.create_buffer(
            size=arena_bytes, usage=usage.STORAGE | usage.COPY_DST | usage.COPY_SRC
        )
        self.weights = self.device.create_buffer(
            size=max(len(weights), 16), usage=usage.STORAGE | usage.COPY_DST
        )
        self.device.queue.write_buffer(self.weights, 0, weights)
        stored = [o for o in self.outputs if "value" not in o]  # the others are constants
        self.readback_floats = sum(int(np.prod(o["shape"])) for o in stored)
        self.readback = self.device.create_buffer(
            size=max(4 * self.readback_floats, 16), usage=usage.MAP_READ | usage.COPY_DST
        )
        self.layout = self.device.create_bind_group_layout(
            entries=[
                {
                    "binding": 0,
                    "visibility": wgpu.ShaderStage.COMPUTE,
                    "buffer": {"type": wgpu.BufferBindingType.storage},
                },
                {
                    "binding": 1,
                    "visibility": wgpu.ShaderStage.COMPUTE,
                    "buffer": {"type": wgpu.BufferBindingType.read_only_storage},
                },
            ]
        )
        self.bind_group = self.device.create_bind_group(
            layout=self.layout,
            entries=[
                {"binding": 0, "resource": {"buffer": self.arena}},
                {"binding": 1, "resource": {"buffer": self.weights}},
            ],
        )
        pipeline_layout = self.device.create_pipeline_layout(bind_group_layouts=[self.layout])
        # A step may carry variants per device class ("cpu": lavapipe's kernel): pick ours.
        if device_class is None:
            device_class = "cpu" if self.adapter.info.get("adapter_type") == "CPU" else "gpu"
        self.steps = for_device(manifest["steps"], device_class)
        self.pipelines: dict[str, Any] = {}
        for step in all_steps(self.steps):
            if step["kind"] == "dispatch":
                module = self.device.create_shader_module(code=shaders[step["shader"]])
                self.pipelines[step["name"]] = self.device.create_compute_pipeline(
                    layout=pipeline_layout, compute={"module": module, "entry_point": "main"}
                )
        self.host_models = host_models or {}
        self._host_interpreters: dict[str, Any] = {}
        self.host_ms: dict[str, list[float]] = {}  # wall time of each host step (with transfers)

    @classmethod
    def load(cls, directory: str | os.PathLike, adapter=None) -> GpuModel:
        root = Path(directory)
        manifest = json.loads((root / "manifest.json").read_text())
        shaders = {f"shaders/{p.name}": p.read_text() for p in (root / "shaders").glob("*.wgsl")}
        hosts = {
            s["model"]: (root / s["model"]).read_bytes()
            for s in all_steps(manifest["steps"])
            if s["kind"] == "host"
        }
        weights = (root / manifest["weights"]["file"]).read_bytes()
        return cls(manifest, shaders, weights, hosts, adapter)

    @property
    def adapter_name(self) -> str:
        info = self.adapter.info
        return f"{info.get('device')} ({info.get('adapter_type')}, {info.get('backend_type')})"

    # ---- running ------------------------------------------------------------------------------

    def __call__(self, *arrays: np.ndarray) -> list[np.ndarray]:
        self._upload(arrays)
        self._run_steps(self.steps)
        return self._download()

    def _upload(self, arrays) -> None:
        checked = checked_inputs(self.inputs, arrays)
        for i, (spec, data) in enumerate(zip(self.inputs, checked, strict=True)):
            if "quantization" in spec:
                q = spec["quantization"]
                data = dequantize_values(data, q["scale"], q["zero_point"], None)
            data = to_arena(data, input_place(i, spec["name"]))
            self.device.queue.write_buffer(self.arena, 4 * spec["offset"], data)

    def _encode(self, steps, encoder, query_set=None) -> None:
        """One compute pass for all steps (wgpu orders read-write storage use between dispatches
        with barriers), or, when timing, one pass per step with its two timestamps."""
        if query_set is None:
            cpass = encoder.begin_compute_pass()
            cpass.set_bind_group(0, self.bind_group)
            for step in steps:
                cpass.set_pipeline(self.pipelines[step["name"]])
                cpass.dispatch_workgroups(*step["grid"])
            cpass.end()
            return
        for k, step in enumerate(steps):
            writes = {
                "query_set": query_set,
                "beginning_of_pass_write_index": 2 * k,
                "end_of_pass_write_index": 2 * k + 1,
            }
            cpass = encoder.begin_compute_pass(timestamp_writes=writes)
            cpass.set_pipeline(self.pipelines[step["name"]])
            cpass.set_bind_group(0, self.bind_group)
            cpass.dispatch_workgroups(*step["grid"])
            cpass.end()

    def _run_steps(self, steps) -> None:
        """Dispatches in batches; a host step, or an `if` / `while` step (which reads its
        condition back), after the dispatches before it have run."""
        batch: list = []
        for step in steps:
            if step["kind"] == "dispatch":
                batch.append(step)
                continue
            self._submit(batch)
            batch = []
            if step["kind"] == "if":
                self._run_steps(step["then"] if self._holds(step["cond"]) else step["else"])
            elif step["kind"] == "while":
                self._run_loop(step)
            else:
                start = time.perf_counter()
                self._run_host(step)
                ms = (time.perf_counter() - start) * 1e3
                self.host_ms.setdefault(step["name"], []).append(ms)
        self._submit(batch)

    def _run_loop(self, step) -> None:
        for _ in range(MAX_WHILE_ITERATIONS):
            self._run_steps(step["cond_steps"])
            if not self._holds(step["cond"]):
                return
            self._run_steps(step["body"])
        raise TflcError(
            f"loop did not finish within {MAX_WHILE_ITERATIONS} iterations", "gpu while step"
        )

    def _holds(self, cond: dict) -> bool:
        """The one-element condition, read back from the arena (after the queue's work)."""
        return bool(self._read_arena(cond["offset"], [1])[0] != 0)

    def _submit(self, steps) -> None:
        if steps:
            encoder = self.device.create_command_encoder()
            self._encode(steps, encoder)
            self.device.queue.submit([encoder.finish()])

    def _download(self) -> list[np.ndarray]:
        encoder = self.device.create_command_encoder()
        at = 0
        for spec in self.outputs:
            if "value" in spec:
                continue
            n = int(np.prod(spec["shape"]))
            encoder.copy_buffer_to_buffer(
                self.arena, 4 * spec["offset"], self.readback, 4 * at, 4 * n
            )
            at += n
        self.device.queue.submit([encoder.finish()])
        self.readback.map_sync(self.wgpu.MapMode.READ)
        data = np.frombuffer(self.readback.read_mapped(), np.float32).copy()
        self.readback.unmap()
        results, at = [], 0
        for spec in self.outputs:
            if "value" in spec:  # known at compile time
                results.append(np.array(spec["value"], spec["dtype"]).reshape(spec["shape"]))
                continue
            n = int(np.prod(spec["shape"]))
            value = data[at : at + n].reshape(spec["shape"])
            if "quantization" in spec:
                q = spec["quantization"]
                value = quantize_int8(value, q["scale"], q["zero_point"]).astype(np.int8)
            else:
                value = from_arena(value, spec["dtype"])
            results.append(value)
            at += n
        return results

    def _read_arena(self, offset: int, shape) -> np.ndarray:
        n = int(np.prod(shape))
        data = self.device.queue.read_buffer(self.arena, 4 * offset, 4 * n)
        return np.frombuffer(data, np.float32).reshape(shape).copy()

    def _run_host(self, step) -> None:
        from tflc.runtime.interpreter import Interpreter

        interp = self._host_interpreters.get(step["model"])
        if interp is None:
            interp = Interpreter(model_content=self.host_models[step["model"]])
            interp.allocate_tensors()
            self._host_interpreters[step["model"]] = interp
        for detail, spec in zip(interp.get_input_details(), step["inputs"], strict=True):
            value = self._read_arena(spec["offset"], spec["shape"])
            interp.set_tensor(detail["index"], from_arena(value, detail["dtype"]))
        interp.invoke()
        for detail, spec in zip(interp.get_output_details(), step["outputs"], strict=True):
            value = to_arena(interp.get_tensor(detail["index"]), f"host step {step['op']}")
            self.device.queue.write_buffer(self.arena, 4 * spec["offset"], value)

    # ---- timing -------------------------------------------------------------------------------

    def profile(self, *arrays: np.ndarray, repeats: int = 10) -> dict[str, Any]:
        """Latency: total (upload, every step, download; median wall ms), per dispatch (GPU
        timestamps when the adapter has them, else wall time of each dispatch submitted alone),
        and per host step (the CPU fallback's cost: read back, run on the CPU, upload)."""
        self(*arrays)
        self.host_ms.clear()
        totals = []
        for _ in range(repeats):
            start = time.perf_counter()
            self(*arrays)
            totals.append((time.perf_counter() - start) * 1e3)
        dispatches = [s for s in all_steps(self.steps) if s["kind"] == "dispatch"]
        per = self._per_dispatch_ms(dispatches, max(1, repeats // 2))
        return {
            "total_ms": float(np.median(totals)),
            "per_dispatch_ms": dict(zip([s["name"] for s in dispatches], per, strict=True)),
            "per_dispatch_source": "gpu timestamps" if self.timestamps else "wall clock",
            "per_host_step_ms": {k: float(np.median(v)) for k, v in self.host_ms.items()},
        }

    def _per_dispatch_ms(self, steps, repeats: int) -> list[float]:
        samples = []
        for _ in range(repeats):
            if self.timestamps:
                samples.append(self._timestamps(steps))
            else:
                row = []
                for step in steps:
                    start = time.perf_counter()
                    self._submit([step])
                    self.device.queue.read_buffer(self.arena, 0, 4)
                    row.append((time.perf_counter() - start) * 1e3)
                samples.append(row)
        return [float(x) for x in np.median(np.asarray(samples), axis=0)]

    def _timestamps(self, steps) -> list[float]:
        wgpu = self.wgpu
        count = 2 * len(steps)
        query_set = self.device.create_query_set(type=wgpu.QueryType.timestamp, count=count)
        resolve = self.device.create_buffer(
            size=8 * count, usage=wgpu.BufferUsage.QUERY_RESOLVE | wgpu.BufferUsage.COPY_SRC
        )
        encoder = self.device.create_command_encoder()
        self._encode(steps, encoder, query_set)
        encoder.resolve_query_set(query_set, 0, count, resolve, 0)
        self.device.queue.submit([encoder.finish()])
        ticks = np.frombuffer(self.device.queue.read_buffer(resolve), np.uint64).astype(np.int64)
        period = getattr(self.device.queue, "get_timestamp_period", lambda: 1.0)()
        return list((ticks[1::2] - ticks[0::2]) * period / 1e6)
