"""The MCU target: a tfl module -> a self-contained C99 project with a static arena.

    compiled = tflc.compile("model.tflite", target="mcu", max_arena=64 * 1024)
    compiled.save("out/")          # model.h, model.c, weights.c, kernels/, build.ninja, ...
    outputs = compiled(x)          # runs a host build of the generated C
    compiled.report                # arena, flash (arm-none-eabi-size), TFLM's arena

Options: `name` (C prefix, default "model"), `int8_only` (reject float ops), `max_arena`
(bytes; a larger plan is an error), `mcpu` (default cortex-m4), `in_place` (default True),
`custom_kernels` ({custom code: C file}: user kernels for custom ops, ops_custom.py),
`measure_flash` (default False: builds the Cortex-M library with arm-none-eabi-gcc and reports
its size), `compare_tflm` (default: when
the tflite-micro package is installed). Every error is raised before anything is written.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from tflc.backends.fallback_option import without_fallback
from tflc.backends.mcu import toolchain
from tflc.backends.mcu.c_emitter import CEmitter
from tflc.backends.mcu.lowering import lower
from tflc.backends.mcu.memory_planner import ArenaPlan, plan_arena
from tflc.backends.mcu.ops_custom import registered_kernels
from tflc.backends.mcu.program import Program
from tflc.errors import TflcError, saving_errors
from tflc.runtime.input_errors import checked_inputs
from tflc.runtime.limits import check_planned_buffer

KNOWN_OPTIONS = {
    "name",
    "int8_only",
    "max_arena",
    "mcpu",
    "arm_cflags",
    "in_place",
    "measure_flash",
    "compare_tflm",
    "custom_kernels",
    "source",
}


def _descriptor(program: Program, tid: int) -> dict[str, Any]:
    t = program.tensors[tid]
    d: dict[str, Any] = {"name": t.name, "shape": list(t.shape), "dtype": np.dtype(t.dtype)}
    if t.scale is not None:
        d["scale"], d["zero_point"] = t.scale, t.zero_point
    return d


class McuCompiledModel:
    """The generated project in memory; calling it runs a host build of that C."""

    def __init__(self, files: dict[str, bytes], program: Program, plan: ArenaPlan, report: dict):
        self.files = files
        self.program = program
        self.plan = plan
        self.report = report
        self.inputs = [_descriptor(program, t) for t in program.inputs]
        self.outputs = [_descriptor(program, t) for t in program.outputs]
        self._build_dir: tempfile.TemporaryDirectory | None = None
        self._state = b""  # the variables' bytes between calls (b"": zeros, as at startup)

    @saving_errors
    def save(self, directory) -> Path:
        root = Path(directory)
        for rel, data in self.files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_bytes() != data:
                path.write_bytes(data)
        return root

    def build(self, *targets: str) -> Path:
        """Builds `targets` of build.ninja in a private directory (kept while this object lives)."""
        if self._build_dir is None:
            self._build_dir = tempfile.TemporaryDirectory(prefix="tflc-mcu-")
            self.save(self._build_dir.name)
        root = Path(self._build_dir.name)
        toolchain.ninja(root, *targets)
        return root

    def pack_inputs(self, arrays) -> bytes:
        chunks = []
        for a in checked_inputs(self.inputs, arrays):
            data = a.tobytes()
            chunks.append(data + bytes(-len(data) % 4))
        return b"".join(chunks)

    def unpack_outputs(self, data: bytes) -> list[np.ndarray]:
        outputs, at = [], 0
        for d in self.outputs:
            n = int(np.prod(d["shape"], dtype=np.int64)) * d["dtype"].itemsize
            outputs.append(np.frombuffer(data[at : at + n], d["dtype"]).reshape(d["shape"]).copy())
            at += n + (-n % 4)
        return outputs

    @property
    def output_size(self) -> int:
        return sum(
            (n := int(np.prod(d["shape"], dtype=np.int64)) * d["dtype"].itemsize) + (-n % 4)
            for d in self.outputs
        )

    def __call__(self, *arrays, sanitize: bool = False) -> list[np.ndarray]:
        """Runs the model once; a model with variables (recurrent state) continues from the
        state the previous call left, as LiteRT's next invoke does."""
        target = "asan/model_test" if sanitize else "host/model_test"
        packed = self.pack_inputs(arrays)  # bad inputs are refused before the build
        root = self.build(target)
        if not self.plan.state_size:
            return self.unpack_outputs(toolchain.run_host(root / target, packed, self.output_size))
        data, self._state = toolchain.run_host(
            root / target, packed, self.output_size, state=self._state
        )
        return self.unpack_outputs(data)

    def reset_state(self) -> None:
        """Zeroes the variables, as the generated `<name>_reset()` and LiteRT's
        `reset_all_variables()` do."""
        self._state = b""

    def run_firmware(self, *arrays) -> tuple[int, list[np.ndarray] | None, str]:
        """Builds the Cortex-M firmware and runs it under qemu: (status, outputs, console)."""
        packed = self.pack_inputs(arrays)
        root = self.build("cortex-m/firmware.elf")
        status, text = toolchain.run_qemu(root / "cortex-m/firmware.elf", packed)
        try:
            outputs = self.unpack_outputs(toolchain.parse_firmware_output(text))
        except TflcError:
            outputs = None
        return status, outputs, text


class McuTarget:
    name = "mcu"

    def emit(self, module, options: dict[str, Any]) -> McuCompiledModel:
        options = without_fallback(
            options,
            self.name,
            "its C sources run where no interpreter does; every op needs a C kernel",
        )
        unknown = set(options) - KNOWN_OPTIONS
        if unknown:
            raise TflcError(
                f"unknown MCU option(s) {', '.join(sorted(unknown))}; known: "
                f"{', '.join(sorted(KNOWN_OPTIONS))}",
                "--option",
            )
        source = str(options.get("source", "<model>"))
        custom_kernels = registered_kernels(options.get("custom_kernels"))
        program = lower(module, source, bool(options.get("int8_only", False)), custom_kernels)
        plan = plan_arena(program, bool(options.get("in_place", True)))
        check_planned_buffer(plan.arena_size, "mcu arena", f"{source} (mcu target)")
        max_arena = options.get("max_arena")
        if max_arena is not None and plan.arena_size > int(max_arena):
            raise TflcError(
                f"the arena needs {plan.arena_size} bytes, more than the {int(max_arena)} "
                "allowed by --max-arena",
                source,
            )
        emitter = CEmitter(
            program, plan, str(options.get("name", "model")), source, options, custom_kernels
        )
        files = emitter.files()
        weights = sum(t.nbytes for t in emitter.weights)
        report: dict[str, Any] = {
            "arena_bytes": plan.arena_size,
            "state_bytes": plan.state_size,
            "weight_bytes": weights,
            "kernel_count": sum(1 for c in program.calls if not c.control),
            "kernel_names": list(emitter.kernels()),
        }
        compiled = McuCompiledModel(files, program, plan, report)
        # Building the firmware library for its size is most of a large model's compile time,
        # so it is measured only when asked for.
        if options.get("measure_flash", False):
            if not toolchain.have("arm-none-eabi-gcc"):
                raise TflcError("needs arm-none-eabi-gcc on PATH", "measure_flash")
            root = compiled.build("cortex-m/libmodel.a")
            sizes = toolchain.arm_size(root / "cortex-m/libmodel.a")
            report["flash_bytes"] = sizes["text"] + sizes["data"]
            report["flash_weight_bytes"] = toolchain.arm_size_by_object(
                root / "cortex-m/libmodel.a"
            ).get("weights.o", 0)
            report["flash_code_bytes"] = report["flash_bytes"] - report["flash_weight_bytes"]
        if options.get("compare_tflm", True):
            # TFLM allocates while running the model on zeros, where a loop may not end
            loops = any(c.control == "while_begin" for c in program.calls)
            tflm = _tflm_arena(module, len(program.inputs), 20 if loops else 600)
            if tflm:  # absent, not None, where tflite-micro is not installed
                report["tflm_arena_bytes"] = tflm
                report["arena_vs_tflm"] = round(plan.arena_size / tflm, 3)
        return compiled


def _tflm_arena(module, input_count: int, timeout: float) -> int | None:
    from tflc.backends.tflite.exporter import export_flatbuffer

    try:
        data = export_flatbuffer(module)
    except TflcError:
        return None
    with tempfile.TemporaryDirectory(prefix="tflc-tflm-") as tmp:
        path = Path(tmp, "model.tflite")
        path.write_bytes(data)
        return toolchain.tflm_arena_bytes(path, input_count, timeout)


TARGET = McuTarget()
