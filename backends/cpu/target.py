"""The cpu target: tfl -> kernels in MLIR (scf/vector/memref) -> LLVM IR -> llvmlite object.

Options (`tflc.compile(m, target="cpu", **options)` or `--option key=value`):

    name         symbol prefix and file stem (default "model": model.o, model.h, libmodel.so)
    cpu, triple  override the host (e.g. triple="aarch64-unknown-linux-gnu", cpu="cortex-a76");
                 a cross-compiled model is saved but cannot be called here
    opt_level    LLVM optimization level (default 3)
    mr, nr       micro-kernel tile: output pixels x output-channel vectors (default 6 x 2)
    float_order  "fused" (fused multiply-adds, fastest) or "tflite" (TFLite's builtin kernels'
                 order of float roundings); default "tflite" for dynamic-range models, whose
                 run-time quantization turns one-ulp differences into whole steps
    fallback     "none" (default: an op without a cpu kernel is an error) or "runtime" (such
                 ops, e.g. custom ops, run with tflc's interpreter kernels between native
                 steps, at the cost the report and profile() state): backends/fallback_option.py
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from tflc.backends.cpu import codegen
from tflc.backends.cpu import kernels_hybrid as hybrid
from tflc.backends.cpu.fallback import emit_with_fallback
from tflc.backends.cpu.graph import extract_graph, tensor_descriptor
from tflc.backends.cpu.header import write_header
from tflc.backends.cpu.kernels_conv import Tiling
from tflc.backends.cpu.memory_plan import insert_output_copies, plan_memory
from tflc.backends.cpu.module_builder import SUPPORTED_OPS, build_module
from tflc.backends.cpu.partition import innermost_unsupported, op_label, unsupported_ops
from tflc.backends.fallback_option import OPTION as FALLBACK
from tflc.backends.fallback_option import fallback_enabled, suggest_fallback
from tflc.dialects.tfl_verifier import describe_location
from tflc.errors import TflcError, saving_errors
from tflc.runtime.cpu_loader import MANIFEST, CompiledCpuModel
from tflc.runtime.limits import check_planned_buffer

KNOWN_OPTIONS = {
    "name",
    "cpu",
    "triple",
    "opt_level",
    "mr",
    "nr",
    "num_threads",
    "source",
    "float_order",
    FALLBACK,
}


class CrossCompiledModel:
    """A model compiled for another machine: saveable, not callable here."""

    def __init__(self, manifest: dict[str, Any], files: dict[str, bytes]):
        self.manifest = manifest
        self.inputs, self.outputs = manifest["inputs"], manifest["outputs"]
        self.report = dict(manifest["report"])
        self._files = files

    def __call__(self, *arrays):
        raise TflcError(
            f"this model was compiled for {self.manifest['triple']} and cannot run on this host",
            "compiled model call",
        )

    @saving_errors
    def save(self, directory) -> None:
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        for name, data in self._files.items():
            (out / name).write_bytes(data)


class CpuTarget:
    name = "cpu"

    def emit(self, module, options: dict[str, Any]):
        start = time.perf_counter()
        unknown = set(options) - KNOWN_OPTIONS
        if unknown:
            raise TflcError(f"unknown cpu option(s): {', '.join(sorted(unknown))}", "--option")
        name = str(options.get("name", "model"))
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise TflcError(f"name must be a C identifier, got '{name}'", "--option name")
        fallback = fallback_enabled(options, self.name)
        with module.context:
            missing = unsupported_ops(module, SUPPORTED_OPS)
        if missing and fallback:
            return emit_with_fallback(self, module, options, missing)
        if missing:
            with module.context:
                op = innermost_unsupported(module, missing[0], SUPPORTED_OPS)
            raise TflcError(
                f"the cpu target cannot compile {op_label(op)}: no kernel for it yet "
                f"({suggest_fallback('it')})",
                f"'{op.name}' at {describe_location(op.location) or '<unknown>'}",
            )
        spec = codegen.target_spec(options.get("triple"), options.get("cpu"))
        lanes = spec.f32_lanes
        with module.context:
            graph = extract_graph(module, SUPPORTED_OPS)
        inexact = hybrid.quantize_conv_inputs(graph)
        # Dynamic-range layers quantize float activations at run time, so one ulp upstream can
        # move a rounding step: their models keep TFLite's float summation order.
        order = options.get("float_order", "tflite" if hybrid.has_hybrid_layers(graph) else "fused")
        if order not in ("fused", "tflite"):
            raise TflcError(f"float_order must be 'fused' or 'tflite', got '{order}'", "--option")
        tflite_order = order == "tflite"
        tiling = Tiling(
            lanes,
            int(options.get("mr", 6)),
            int(options.get("nr", 2)),
            not tflite_order,
            spec.u8s8_dot,
            spec.byte_permute,
        )
        insert_output_copies(graph)
        plan = plan_memory(graph)
        source = str(options.get("source", "<module>"))
        check_planned_buffer(plan.workspace_bytes, "cpu workspace", f"{source} (cpu target)")
        built = build_module(graph, plan, tiling, name)
        t_ir = time.perf_counter()
        llvm_ir = codegen.lower_to_llvm_ir(built.text)
        blob_size = max(built.blob.size, 64)
        weights = codegen.weights_ir(f"{name}_weights", built.blob.data(), -(-blob_size // 64) * 64)
        obj = codegen.compile_object(llvm_ir, weights, spec, int(options.get("opt_level", 3)))
        t_obj = time.perf_counter()
        inputs = [tensor_descriptor(t) for t in graph.inputs]
        outputs = [tensor_descriptor(t) for t in graph.outputs]
        header = write_header(
            name,
            inputs,
            outputs,
            built.workspace_bytes,
            built.blob.size,
            built.status_offset,
            built.state_bytes,
        )
        report = {
            "triple": spec.triple,
            "cpu": spec.cpu,
            "vector_lanes_f32": lanes,
            "kernel_count": len(built.kernels),
            "gflop": round(sum(k.flops for k in built.kernels) / 1e9, 4),
            "arena_bytes": built.workspace_bytes,
            "arena_bytes_without_reuse": plan.naive_bytes,
            "weight_bytes": built.blob.size,
            "state_bytes": built.state_bytes,
            "object_bytes": len(obj),
            "code_bytes": max(len(obj) - built.blob.size, 0),
            "codegen_seconds": round(t_obj - t_ir, 3),
        }
        if inexact:
            # Dynamic-range convs whose float sums may round once where TFLite's int32 don't.
            report["dynamic_range_inexact_layers"] = inexact
        manifest = {
            "target": "cpu",
            "name": name,
            "triple": spec.triple,
            "cpu": spec.cpu,
            "run_symbol": f"{name}_run",
            "library": f"lib{name}.so",
            "inputs": inputs,
            "outputs": outputs,
            "workspace_bytes": built.workspace_bytes,
            "slice_symbol": f"{name}_run_slice",
            "kernels_symbol": f"{name}_run_kernels",
            "reset_symbol": f"{name}_reset",
            "state_bytes": built.state_bytes,
            "kernels": built.kernel_labels,
            "control_flow": built.control_flow,
            "status_offset": built.status_offset,
            "num_threads": int(options.get("num_threads", 1)),
            "report": report,
        }
        files = {f"{name}.o": obj, f"{name}.h": header.encode()}
        host = spec.triple == codegen.target_spec().triple
        if not host:
            manifest["files"] = [*files, MANIFEST]
            del manifest["library"]
            files[MANIFEST] = (json.dumps(manifest, indent=1) + "\n").encode()
            report["compile_seconds"] = round(time.perf_counter() - start, 3)
            return CrossCompiledModel(manifest, files)
        # The linker needs files; once loaded, the library stays mapped after they are deleted,
        # and save() writes the bytes kept in `files`: nothing is left in the temp folder.
        with tempfile.TemporaryDirectory(prefix="tflc-cpu-") as build:
            tmp = Path(build)
            (tmp / f"{name}.o").write_bytes(obj)
            codegen.link_shared(tmp / f"{name}.o", tmp / f"lib{name}.so")
            files[f"lib{name}.so"] = (tmp / f"lib{name}.so").read_bytes()
            manifest["files"] = [*files, MANIFEST]
            report["compile_seconds"] = round(time.perf_counter() - start, 3)
            files[MANIFEST] = (json.dumps(manifest, indent=1) + "\n").encode()
            return CompiledCpuModel(tmp / f"lib{name}.so", manifest, files)


TARGET = CpuTarget()

__all__ = ["TARGET", "CpuTarget"]
