"""tflc's compiled targets as delegates of `tflc.Interpreter`:

    interp = tflc.Interpreter(model_path="m.tflite",
                              experimental_delegates=[tflc.delegates.cpu()])

The delegate partitions the main graph as the cpu target's `fallback="runtime"` does
(backends/cpu/partition.py: runs of ops with cpu kernels, split at the ops without), compiles
each run for this host, and hands the interpreter one segment per run (runtime/delegation.py);
the interpreter runs the other nodes with its own kernels, state and subgraphs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from tflc.errors import TflcError
from tflc.runtime.delegation import DelegatedSegment
from tflc.runtime.tflite_model import Model

CPU_SEGMENT_KIND = "TFLC_CPU_DELEGATE"


class CpuDelegate:
    """Runs the nodes the cpu target compiles. `options` are the cpu target's (num_threads,
    float_order, mr, nr, opt_level); `exclude_ops` names ops (tfl names without the prefix,
    'custom:Code' for custom ops) left to the interpreter even where the cpu has a kernel."""

    def __init__(self, exclude_ops: Iterable[str] = (), **options: Any):
        for key in ("name", "triple", "cpu", "fallback"):
            if key in options:
                raise TflcError(f"the cpu delegate does not take '{key}'", "tflc.delegates.cpu")
        self.exclude_ops = frozenset(exclude_ops)
        self.options = options
        # Segments the cpu target could not compile (they stay with the interpreter), and why.
        self.not_delegated: list[str] = []

    def tflc_partition(
        self, model: Model, num_threads: int | None = None
    ) -> list[DelegatedSegment]:
        from tflc.backends.cpu.module_builder import SUPPORTED_OPS

        options = dict(self.options)
        if num_threads is not None:
            options.setdefault("num_threads", num_threads)
        from tflc.backends.cpu.partition import main_function, split_steps, unsupported_ops
        from tflc.dialects.tflite_importer import TENSOR_OPS, import_model

        module = import_model(model, static_shapes=True)
        main_graph = model.subgraphs[0]
        with module.context:
            host_ops = unsupported_ops(module, SUPPORTED_OPS - self.exclude_ops)
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
                    f"{model.source} (cpu delegate)",
                )
            node_of = {op: n for n, op in enumerate(operators)}
            tensor_of = dict(zip(block.arguments, main_graph.inputs, strict=True))
            for op, operator in zip(operators, main_graph.operators, strict=True):
                tensor_of.update(zip(op.results, operator.outputs, strict=True))
            segments = []
            for i, step in enumerate(steps):
                if step.kind == "native" and step.outputs:
                    segment = self._segment(
                        model, step, node_of, tensor_of, f"delegate_step{i}", options
                    )
                    if segment is not None:
                        segments.append(segment)
        return segments

    def _segment(self, model, step, node_of, tensor_of, name, options) -> DelegatedSegment | None:
        from tflc.backends.cpu.partition import describe_op, step_module
        from tflc.compiler import compile as tflc_compile
        from tflc.runtime.cpu_loader import CompiledCpuModel

        where = f"ops from {describe_op(step.ops[0])}"
        values = [*step.inputs, *step.outputs]
        if not all(op in node_of for op in step.ops) or not all(v in tensor_of for v in values):
            self.not_delegated.append(f"{where}: reads a tensor that is not an operator's")
            return None
        try:
            part = tflc_compile(
                step_module(step), target="cpu", **options, name=name, fallback="none"
            )
        except TflcError as e:
            self.not_delegated.append(f"{where}: {e}")
            return None
        assert isinstance(part, CompiledCpuModel)  # compiled for this host: no triple option
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
            kind=CPU_SEGMENT_KIND,
        )


def cpu(exclude_ops: Iterable[str] = (), **options: Any) -> CpuDelegate:
    """A delegate that runs every node the cpu target compiles as native code for this host."""
    return CpuDelegate(exclude_ops, **options)
