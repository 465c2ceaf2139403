"""tflc's compiled targets as delegates of `tflc.Interpreter`:

    interp = tflc.Interpreter(model_path="m.tflite",
                              experimental_delegates=[tflc.delegates.cpu()])   # or .gpu()

A delegate partitions the main graph as its target's `fallback="runtime"` does
(backends/cpu/partition.py: runs of ops the target compiles, split at the ops it does not),
compiles each run, and hands the interpreter one segment per run (runtime/delegation.py); the
interpreter runs the other nodes with its own kernels, state and subgraphs. The cpu and gpu
delegates are one `TargetDelegate` each, told apart by their `DelegateTarget`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from tflc.backends.fallback_option import OPTION as FALLBACK
from tflc.errors import TflcError
from tflc.runtime.delegation import DelegatedSegment
from tflc.runtime.tflite_model import Model

CPU_SEGMENT_KIND = "TFLC_CPU_DELEGATE"
GPU_SEGMENT_KIND = "TFLC_GPU_DELEGATE"
# Compile options a delegate sets itself: it compiles each run for this machine, without
# fallback (ops the target lacks stay with the interpreter), under its own names.
_DELEGATE_OWNS = frozenset({"name", "triple", "cpu", FALLBACK, "source"})


def _cpu_registry() -> tuple[set[str], set[str]]:
    from tflc.backends.cpu.module_builder import SUPPORTED_OPS
    from tflc.backends.cpu.target import KNOWN_OPTIONS

    return SUPPORTED_OPS, KNOWN_OPTIONS


def _gpu_registry() -> tuple[set[str], set[str]]:
    from tflc.backends.gpu.lowering import shader_ops
    from tflc.backends.gpu.target import OPTIONS

    return shader_ops(), OPTIONS


def _require_vulkan() -> None:
    from tflc.runtime.gpu_runtime import require_vulkan_adapter

    require_vulkan_adapter("tflc.delegates.gpu")


@dataclass(frozen=True)
class DelegateTarget:
    """What a delegate needs of a compiled target; the facts are read from the backend."""

    name: str  # the `tflc.compile` target
    kind: str  # the node type the profile shows for one of its segments
    registry: Callable[[], tuple[set[str], set[str]]]  # (ops it compiles, options it takes)
    require: Callable[[], None] = lambda: None  # raises a TflcError when it cannot run here


CPU = DelegateTarget("cpu", CPU_SEGMENT_KIND, _cpu_registry)
GPU = DelegateTarget("gpu", GPU_SEGMENT_KIND, _gpu_registry, _require_vulkan)


class TargetDelegate:
    """Runs the nodes `target` compiles. `options` are the target's compile options (cpu:
    num_threads, float_order, mr, nr, opt_level; gpu: split_k); `exclude_ops` names ops (tfl
    names without the prefix, 'custom:Code' for custom ops) left to the interpreter even where
    the target compiles them."""

    def __init__(self, target: DelegateTarget, exclude_ops: Iterable[str] = (), **options: Any):
        where = f"tflc.delegates.{target.name}"
        supported, known = target.registry()
        for key in sorted(options):
            if key in _DELEGATE_OWNS:
                raise TflcError(f"the {target.name} delegate does not take '{key}'", where)
            if key not in known:
                takes = ", ".join(sorted({"exclude_ops", *known} - _DELEGATE_OWNS))
                raise TflcError(
                    f"unknown {target.name} delegate option '{key}' (it takes {takes})", where
                )
        target.require()
        self.target = target
        self.supported = frozenset(supported) - frozenset(exclude_ops)
        self.exclude_ops = frozenset(exclude_ops)
        self.options = options
        self._takes = known
        # Segments the target could not compile (they stay with the interpreter), and why.
        self.not_delegated: list[str] = []

    def tflc_partition(
        self, model: Model, num_threads: int | None = None
    ) -> list[DelegatedSegment]:
        options = dict(self.options)
        if num_threads is not None and "num_threads" in self._takes:
            options.setdefault("num_threads", num_threads)
        from tflc.backends.cpu.partition import main_function, split_steps, unsupported_ops
        from tflc.dialects.tflite_importer import TENSOR_OPS, import_model

        module = import_model(model, static_shapes=True)
        main_graph = model.subgraphs[0]
        with module.context:
            host_ops = unsupported_ops(module, self.supported)
            steps, _ = split_steps(module, host_ops)
            block = main_function(module).regions[0].blocks[0]
            operators = [
                op.operation
                for op in block.operations
                if op.operation.name not in TENSOR_OPS and op.operation.name != "func.return"
            ]
            if len(operators) != len(main_graph.operators):
                raise TflcError(
                    f"the import has {len(operators)} ops for {len(main_graph.operators)} "
                    "operators",
                    f"{model.source} ({self.target.name} delegate)",
                )
            node_of = {op: n for n, op in enumerate(operators)}
            tensor_of = dict(zip(block.arguments, main_graph.inputs, strict=True))
            for op, operator in zip(operators, main_graph.operators, strict=True):
                tensor_of.update(zip(op.results, operator.outputs, strict=True))
            segments = []
            for i, step in enumerate(steps):
                if step.kind == "native" and step.outputs:
                    if "name" in self._takes:  # the cpu target names its library's symbols
                        options["name"] = f"delegate_step{i}"
                    segment = self._segment(model, step, node_of, tensor_of, options)
                    if segment is not None:
                        segments.append(segment)
        return segments

    def _segment(self, model, step, node_of, tensor_of, options) -> DelegatedSegment | None:
        from tflc.backends.cpu.partition import describe_op, step_module
        from tflc.compiler import compile as tflc_compile

        where = f"ops from {describe_op(step.ops[0])}"
        values = [*step.inputs, *step.outputs]
        if not all(op in node_of for op in step.ops) or not all(v in tensor_of for v in values):
            self.not_delegated.append(f"{where}: reads a tensor that is not an operator's")
            return None
        try:
            part = tflc_compile(
                step_module(step), target=self.target.name, **options, fallback="none"
            )
        except TflcError as e:
            self.not_delegated.append(f"{where}: {e}")
            return None
        tensors = model.subgraphs[0].tensors
        inputs = tuple(tensor_of[v] for v in step.inputs)
        outputs = tuple(tensor_of[v] for v in step.outputs)
        for ti, desc in zip([*inputs, *outputs], [*part.inputs, *part.outputs], strict=True):
            if np.dtype(desc["dtype"]) != tensors[ti].dtype:
                self.not_delegated.append(
                    f"{where}: tensor '{tensors[ti].name}' compiles as {desc['dtype']}"
                )
                return None
        return DelegatedSegment(
            nodes=tuple(sorted(node_of[op] for op in step.ops)),
            inputs=inputs,
            outputs=outputs,
            input_shapes=tuple(tuple(d["shape"]) for d in part.inputs),
            run=part,
            kind=self.target.kind,
        )


def cpu(exclude_ops: Iterable[str] = (), **options: Any) -> TargetDelegate:
    """A delegate that runs every node the cpu target compiles as native code for this host."""
    return TargetDelegate(CPU, exclude_ops, **options)


def gpu(exclude_ops: Iterable[str] = (), **options: Any) -> TargetDelegate:
    """A delegate that runs every node the gpu target compiles as compute shaders on the best
    Vulkan adapter (a TflcError when `wgpu` or a Vulkan adapter is missing)."""
    return TargetDelegate(GPU, exclude_ops, **options)
