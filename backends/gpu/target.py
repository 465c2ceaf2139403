"""The gpu target: tfl -> fused groups -> `gpu.func`s (MLIR) -> WGSL, run through wgpu.

cm = tflc.compile("model.tflite", target="gpu")        # fallback="runtime" for missing ops
outputs = cm(image)
cm.save("out/")   # manifest.json, weights.bin, shaders/*.wgsl: runtime/gpu_runtime.py runs it
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from mlir import ir, passmanager
from tflc.backends.fallback_option import OPTION as FALLBACK
from tflc.backends.fallback_option import fallback_enabled, warn_if_nothing_compiled
from tflc.backends.gpu.buffer_plan import plan_buffers
from tflc.backends.gpu.fusion import Group, fuse
from tflc.backends.gpu.graph import ARENA_DTYPES, Graph, build_graph
from tflc.backends.gpu.kernel_ir import KernelBuilder, gpu_module_text
from tflc.backends.gpu.lowering import (
    LANE_ANCHORS,
    SPLIT_ANCHORS,
    KernelContext,
    WeightsPacker,
    emit_group,
)
from tflc.backends.gpu.manifest import Artifacts, build_manifest, host_model
from tflc.backends.gpu.wgsl_printer import print_wgsl
from tflc.errors import TflcError, saving_errors
from tflc.passes import ir_dump
from tflc.runtime.gpu_steps import all_steps

MAX_GRID_X = 65535
GPU_PIPELINE = "builtin.module(canonicalize,cse,loop-invariant-code-motion,canonicalize,cse)"
OPTIONS = {FALLBACK, "split_k", "source"}
SPLIT_MAX_OUTPUTS = 1 << 16  # below this many outputs a GPU has idle lanes to share the K loop
SPLIT_WORKGROUP = 256
CPU_LANES = (8, 4)  # output channels per invocation in convolutions on CPU Vulkan devices


def choose_workgroup_size(group: Group, total: int) -> int:
    """Per op: reductions get 64-wide groups (register-heavy loops, many groups); elementwise and
    data movement 256; small outputs shrink to keep several groups in flight."""
    heavy = group.nodes[0].op in (
        "conv_2d",
        "depthwise_conv_2d",
        "fully_connected",
        "mean",
        "sum",
        "softmax",
        "average_pool_2d",
        "max_pool_2d",
    )
    size = 64 if heavy else 256
    while size > 32 and total < size * 8:
        size //= 2
    return size


def reduction_length(graph: Graph, group: Group) -> int:
    node = group.nodes[0]
    if node.op == "conv_2d":
        return graph.tensors[node.inputs[1]].shape[3]
    if node.op == "fully_connected":
        return graph.tensors[node.inputs[1]].shape[1]
    if node.op in ("mean", "sum"):
        return graph.tensors[node.inputs[0]].size // max(graph.tensors[node.outputs[0]].size, 1)
    return 0


def choose_split(graph: Graph, group: Group, total: int) -> int:
    """Split-K parts: long reductions over few outputs share each output among invocations."""
    if group.nodes[0].op not in SPLIT_ANCHORS or total >= SPLIT_MAX_OUTPUTS:
        return 1
    k = reduction_length(graph, group)
    parts = 1
    while parts < 32 and k // (parts * 2) >= 24 and total * parts < SPLIT_MAX_OUTPUTS * 2:
        parts *= 2
    return parts if parts >= 4 else 1


def grid_for(total: int, workgroup_size: int) -> tuple[int, int, int]:
    groups = max(1, -(-total // workgroup_size))
    gx = min(groups, MAX_GRID_X)
    return gx, -(-groups // gx), 1


def lower_to_gpu_module(
    graph: Graph, groups: list[Group], ctx: KernelContext, split_k: bool = True
) -> ir.Module:
    """One `gpu.module` with a `gpu.func` per dispatch, canonicalized and cse'd by MLIR."""
    kernels = []
    for g in groups:
        if g.host or g.control:
            continue
        total = graph.tensors[g.outputs[0]].size
        parts = choose_split(graph, g, total) if split_k else 1
        g.extra["split_k"] = parts
        lanes = _lanes(graph, g)
        if parts > 1:
            g.workgroup_size = SPLIT_WORKGROUP
            g.grid = grid_for(total * parts, g.workgroup_size)
        else:
            g.workgroup_size = choose_workgroup_size(g, total)
            g.grid = grid_for(total, g.workgroup_size)
        if parts > 1 or lanes > 1:
            # CPU Vulkan devices (lavapipe) run barriers as coroutine switches and gain from
            # several channels per invocation: their own kernel, on the GPU kernel's filter
            # layout (one copy of the weights).
            size = choose_workgroup_size(g, total // lanes)
            g.extra["cpu"] = {
                "name": f"{g.name}_cpu",
                "workgroup_size": [size, 1, 1],
                "grid": list(grid_for(total // lanes, size)),
                "split_k": 1,
                "lanes": lanes,
            }
            kernels.append(_kernel(g, f"{g.name}_cpu", size, ctx, 1, parts > 1, lanes))
        kernels.append(_kernel(g, g.name, g.workgroup_size, ctx, parts, keep_layout=parts > 1))
    module = ir.Module.parse(gpu_module_text(kernels))
    ir_dump.write_stage("gpu-kernels", module)
    passmanager.PassManager.parse(GPU_PIPELINE).run(module.operation)
    ir_dump.write_stage("gpu-canonicalized", module)
    return module


def _lanes(graph: Graph, g: Group) -> int:
    """Output channels per invocation of the CPU-device kernel (8 or 4 where they divide)."""
    node, shape = g.nodes[0], graph.tensors[g.outputs[0]].shape
    if node.op not in LANE_ANCHORS or len(shape) != 4:
        return 1
    return next((n for n in CPU_LANES if shape[3] % n == 0), 1)


def _kernel(
    g: Group, name: str, size: int, ctx: KernelContext, parts: int, keep_layout: bool, lanes=1
):
    b = KernelBuilder(name, size)
    ctx.keep_layout = keep_layout
    try:
        emit_group(b, g.nodes, ctx, parts, lanes)
    except TflcError as e:
        raise e.at(g.nodes[0].where) from None
    finally:
        ctx.keep_layout = False
    return b.finish()


def compile_graph(module: ir.Module, options: dict[str, Any]) -> Artifacts:
    unknown = set(options) - OPTIONS
    if unknown:
        raise TflcError(f"unknown gpu option(s): {', '.join(sorted(unknown))}", "--option")
    fallback = fallback_enabled(options, "gpu")
    graph = build_graph(module)
    for t in [*graph.inputs, *graph.outputs]:
        if graph.tensors[t].dtype not in ARENA_DTYPES:
            raise TflcError(
                f"tensor '{graph.tensors[t].name}' is {graph.tensors[t].dtype}; the gpu target "
                "takes float32 and int8 model inputs and outputs, and bool and integer ones "
                "without quantization",
                "gpu backend",
            )
    groups = fuse(graph, fallback)
    plan = plan_buffers(graph, groups)
    weights = WeightsPacker()
    ctx = KernelContext(graph, plan.offsets, weights)
    with module.context:
        gpu_module = lower_to_gpu_module(
            graph, groups, ctx, options.get("split_k", True) not in (False, 0, "false", "0")
        )
        funcs = {
            ir.StringAttr(f.attributes["sym_name"]).value: f
            for f in gpu_module.body.operations[0].regions[0].blocks[0].operations
            if f.operation.name == "gpu.func"
        }
        shaders = {f"shaders/{name}.wgsl": print_wgsl(func) for name, func in funcs.items()}
        hosts = {
            f"host/{g.name}.tflite": host_model(module.context, graph, g) for g in groups if g.host
        }
        gpu_text = str(gpu_module)
    return build_manifest(graph, groups, plan, weights, shaders, hosts, gpu_text)


class GpuCompiledModel:
    """`tflc.compile(model, target="gpu")`: callable on numpy arrays, saveable, with a report."""

    def __init__(self, artifacts: Artifacts, compile_seconds: float):
        self.artifacts = artifacts
        manifest = artifacts.manifest
        self.inputs = [dict(s, dtype=np.dtype(s["dtype"]).type) for s in manifest["inputs"]]
        self.outputs = [dict(s, dtype=np.dtype(s["dtype"]).type) for s in manifest["outputs"]]
        steps = list(all_steps(manifest["steps"]))  # those inside if / while steps too
        dispatches = [s for s in steps if s["kind"] == "dispatch"]
        self.report: dict[str, Any] = {
            "dispatch_count": len(dispatches),
            "fallback_ops": [s["op"] for s in steps if s["kind"] == "host"],
            "fused_ops": sum(len(s["ops"]) for s in dispatches),
            "arena_bytes": 4 * manifest["arena_floats"],
            "arena_bytes_without_reuse": manifest["buffer_plan"]["unplanned_bytes"],
            "weight_bytes": manifest["weights"]["bytes"],
            "compile_seconds": round(compile_seconds, 3),
        }
        warn_if_nothing_compiled(self.report, "gpu", len(dispatches))
        self._runtime = None

    @property
    def runtime(self):
        if self._runtime is None:
            from tflc.runtime.gpu_runtime import GpuModel

            a = self.artifacts
            self._runtime = GpuModel(a.manifest, a.shaders, a.weights, a.hosts)
        return self._runtime

    def __call__(self, *arrays) -> list[np.ndarray]:
        return self.runtime(*arrays)

    @saving_errors
    def save(self, directory) -> None:
        self.artifacts.save(directory)


class GpuTarget:
    name = "gpu"

    def emit(self, module, options: dict[str, Any]) -> GpuCompiledModel:
        start = time.perf_counter()
        artifacts = compile_graph(module, dict(options))
        return GpuCompiledModel(artifacts, time.perf_counter() - start)


TARGET = GpuTarget()
