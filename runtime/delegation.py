"""`Interpreter(experimental_delegates=[...])`: compiled code runs parts of the main graph.

Runtime code (no compiler import): a delegate is any object with a
`tflc_partition(model) -> list[DelegatedSegment]` method (`tflc.delegates.cpu()` and
`tflc.delegates.gpu()` are; they compile on their side). Each segment replaces consecutive nodes of the main graph with one call
of compiled code on the tensors it reads; the interpreter runs every other node with its own
kernels, in the original order. A segment runs where its first node was; the nodes between its
first and last that it does not cover only compute constants (dequantized weights), which the
compiled code holds itself (see DelegatedPlan).

When an input no longer has the shape the segment was compiled for (after
`resize_tensor_input`), that run executes the segment's nodes with the interpreter's kernels
instead: compiled code has static shapes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from tflc.errors import TflcError

if TYPE_CHECKING:
    from tflc.runtime.graph_plan import GraphPlan
    from tflc.runtime.tflite_model import Model

PARTITION_METHOD = "tflc_partition"


@dataclass(frozen=True)
class DelegatedSegment:
    nodes: tuple[int, ...]  # main-graph node indices it computes, in order
    inputs: tuple[int, ...]  # tensor indices it reads, in the order `run` takes them
    outputs: tuple[int, ...]  # tensor indices it writes, in the order `run` returns them
    input_shapes: tuple[tuple[int, ...], ...]  # what the compiled code was built for
    run: Callable[..., list[np.ndarray]]
    kind: str  # the node type the profile shows, e.g. "TFLC_CPU_DELEGATE"


class DelegatedStep:
    """One segment in the interpreter's run order (the profile reads `index` and `op`)."""

    __slots__ = ("covered", "free", "index", "inputs", "op", "outputs", "segment")

    def __init__(self, segment: DelegatedSegment, covered: list, free: list[int]):
        self.segment = segment
        self.covered = covered  # the interpreter's own steps, for runs compiled code cannot take
        self.free = free
        self.index = segment.nodes[0]
        self.op = segment.kind
        self.inputs = segment.inputs
        self.outputs = segment.outputs

    @property
    def name(self) -> str:
        return f"nodes {self.segment.nodes[0]}-{self.segment.nodes[-1]} compiled"


class DelegatedPlan:
    """The main graph's run order with delegated segments in place of their nodes.

    A node that only computes what compiled code holds as constants (a DEQUANTIZE of float16
    weights that only delegated nodes read, not as a segment input) is not run either: it is
    counted as delegated, and kept with the segment for runs on the interpreter's kernels.
    """

    def __init__(self, graph: GraphPlan, segments: Sequence[DelegatedSegment]):
        self.graph = graph
        owner = {n: s for s in segments for n in s.nodes}
        fed = self._constant_feeders(graph, owner, segments)
        delegated = {id(s): DelegatedStep(s, [], []) for s in segments}  # filled in below
        self.steps: list[Any] = []
        for step in graph.steps:
            segment = owner.get(step.index)
            targets = [segment] if segment is not None else fed.get(step.index, [])
            if not targets:
                self.steps.append(step)
                continue
            for target in targets:
                delegated[id(target)].covered.append(step)
            delegated[id(targets[0])].free.extend(step.free)
            if segment is not None and step.index == segment.nodes[0]:
                self.steps.append(delegated[id(segment)])
        self.delegated_nodes = tuple(sorted({*owner, *fed}))

    @staticmethod
    def _constant_feeders(graph, owner, segments) -> dict[int, list[DelegatedSegment]]:
        """Nodes outside the segments whose outputs only delegated nodes read, and not as a
        segment input (so the compiled code holds them), with the segments they feed."""
        readers: dict[int, set[int]] = {}
        for step in graph.steps:
            for ti in step.inputs:
                readers.setdefault(ti, set()).add(step.index)
        passed_in = {ti for s in segments for ti in s.inputs} | set(graph.subgraph.outputs)
        fed: dict[int, list[DelegatedSegment]] = {}
        for step in graph.steps:
            if step.index in owner or not step.outputs or passed_in.intersection(step.outputs):
                continue
            read_by = set().union(*(readers.get(ti, set()) for ti in step.outputs))
            if read_by and read_by <= owner.keys():
                fed[step.index] = list({id(owner[n]): owner[n] for n in sorted(read_by)}.values())
        return fed

    def execute(self, step, values: list) -> None:
        if not isinstance(step, DelegatedStep):
            self.graph.execute(step, values)
            return
        args = [values[ti] for ti in step.inputs]
        shapes = tuple(getattr(a, "shape", None) for a in args)
        if shapes != step.segment.input_shapes:
            for own in step.covered:
                self.graph.execute(own, values)
            return
        for ti, result in zip(step.outputs, step.segment.run(*args), strict=True):
            values[ti] = result


def delegated_plan(
    graph: GraphPlan, model: Model, delegates: Sequence[Any], num_threads: int | None = None
) -> DelegatedPlan:
    """The plan of `graph` (the main graph) with what each delegate takes; a node goes to the
    first delegate that claims it. `num_threads` (the interpreter's) is each delegate's thread
    count unless the delegate sets its own, as LiteRT hands its delegates the interpreter's."""
    segments: list[DelegatedSegment] = []
    taken: set[int] = set()
    for i, delegate in enumerate(delegates):
        partition = getattr(delegate, PARTITION_METHOD, None)
        if not callable(partition):
            raise TflcError(
                f"a {type(delegate).__module__}.{type(delegate).__qualname__} is not a tflc "
                "delegate: tflc's interpreter takes its own compiled targets "
                "(tflc.delegates.cpu(), tflc.delegates.gpu()); LiteRT delegates run in LiteRT's "
                "interpreter",
                f"experimental_delegates[{i}]",
            )
        for segment in partition(model, num_threads=num_threads):
            if not taken.intersection(segment.nodes):
                segments.append(segment)
                taken.update(segment.nodes)
    return DelegatedPlan(graph, segments)
