"""Plans the activation arena: one buffer, tensors placed by lifetime, storage reused.

A stored tensor lives from the step that writes it to the last step that reads it (inclusive:
a dispatch never writes over its own inputs). Reshape aliases share their root's storage. Tensors
are placed largest first at the lowest offset free over their whole lifetime (the greedy-by-size
plan TFLite's arena planner uses); offsets are in floats, 64-byte aligned.
"""

from __future__ import annotations

from dataclasses import dataclass

from tflc.backends.gpu.fusion import Group
from tflc.backends.gpu.graph import Graph

ALIGN = 16  # floats


@dataclass
class BufferPlan:
    offsets: dict[int, int]  # storage root tensor -> offset (floats)
    lifetimes: dict[int, tuple[int, int]]
    arena_floats: int
    naive_floats: int  # one buffer per tensor, for the report


def _loop_spans(groups: list[Group]) -> list[tuple[int, int]]:
    """(while_begin, while_end) group positions of every loop (control_flow.py's markers)."""
    spans, open_loops = [], []
    for i, g in enumerate(groups):
        if g.control and g.nodes[0].op == "while_begin":
            open_loops.append(i)
        elif g.control and g.nodes[0].op == "while_end":
            spans.append((open_loops.pop(), i))
    return spans


def plan_buffers(graph: Graph, groups: list[Group]) -> BufferPlan:
    first: dict[int, int] = {}
    last: dict[int, int] = {}

    def touch(tid: int, step: int) -> None:
        t = graph.tensors[tid]
        if t.const is not None:
            return
        root = graph.root(tid)
        first[root] = min(first.get(root, step), step)
        last[root] = max(last.get(root, step), step)

    for t in graph.inputs:
        touch(t, -1)
    for step, g in enumerate(groups):
        internal = g.internal()
        for node in g.nodes:
            for t in node.inputs:
                if t is not None and t not in internal:
                    touch(t, step)
        for t in g.outputs:
            touch(t, step)
    for t in graph.outputs:
        touch(t, len(groups))
    for t in graph.variables:  # their values live on between calls: storage of their own
        touch(t, -1)
        touch(t, len(groups))
    # A loop reads again in its next iteration what it did not write in this one (carried and
    # outer tensors): those stay alive to the loop's end, so no tensor of the loop reuses them.
    for begin, end in _loop_spans(groups):
        for root in first:
            if first[root] < begin <= last[root]:
                last[root] = max(last[root], end)

    def size(root: int) -> int:
        n = max(graph.tensors[root].size, 1)
        return n + (-n % ALIGN)

    placed: list[tuple[int, int, int, int]] = []  # (offset, size, first, last)
    offsets: dict[int, int] = {}
    for root in sorted(first, key=lambda r: (-size(r), first[r], r)):
        lo, hi, need = first[root], last[root], size(root)
        busy = sorted((o, s) for o, s, f, la in placed if not (la < lo or f > hi))
        offset = 0
        for o, s in busy:
            if offset + need <= o:
                break
            offset = max(offset, o + s)
        offsets[root] = offset
        placed.append((offset, need, lo, hi))
    arena = max((o + s for o, s, _, _ in placed), default=ALIGN)
    lifetimes = {r: (first[r], last[r]) for r in first}
    return BufferPlan(offsets, lifetimes, arena, sum(size(r) for r in first))
