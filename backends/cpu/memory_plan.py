"""The static workspace plan: every activation gets a byte offset in one caller-provided buffer.

Reshape-like ops alias their input (no copy). Buffers whose lifetimes (first write to last read,
in node order) overlap never share bytes; the rest reuse space, placed greedily by size (largest
first, lowest fitting offset), as TFLite's arena planner does.
"""

from __future__ import annotations

from dataclasses import dataclass

from tflc.backends.cpu.graph import Graph, Node, Tensor

ALIAS_OPS = {"reshape", "squeeze", "expand_dims"}
ALIGNMENT = 64


@dataclass(frozen=True)
class Storage:
    kind: str  # "input", "output", "workspace", "const"
    index: int  # input/output position, or byte offset (workspace)


@dataclass
class MemoryPlan:
    storage: dict[int, Storage]  # tensor index -> where its first byte lives
    workspace_bytes: int
    naive_bytes: int  # sum of all activations, for the report


def _align(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def insert_output_copies(graph: Graph) -> None:
    """Graph outputs that no node writes (inputs, constants, repeated outputs) get a copy node."""
    produced = {t.index for n in graph.nodes for t in n.outputs}
    seen: set[int] = set()
    for i, t in enumerate(graph.outputs):
        if t.index in produced and t.index not in seen:
            seen.add(t.index)
            continue
        copy = Tensor(len(graph.tensors), t.shape, t.dtype, scale=t.scale, zero_point=t.zero_point)
        graph.tensors.append(copy)
        graph.nodes.append(Node("copy", [t], [copy], {}, "graph output"))
        graph.outputs[i] = copy
    # An alias op writing a graph output becomes a copy (its input may be an input or const).
    outs = {t.index for t in graph.outputs}
    for n in graph.nodes:
        if n.op in ALIAS_OPS and n.outputs[0].index in outs:
            n.op = "copy"


def loop_spans(nodes: list[Node]) -> list[tuple[int, int]]:
    """(while_begin, while_end) node positions of every loop (control_flow.py's markers)."""
    spans, open_loops = [], []
    for step, n in enumerate(nodes):
        if n.op == "while_begin":
            open_loops.append(step)
        elif n.op == "while_end":
            spans.append((open_loops.pop(), step))
    return spans


def condition_spans(nodes: list[Node]) -> list[tuple[int, int]]:
    """(while_test or if_begin, its while_end or if_end) node positions."""
    spans, open_tests = [], []
    for step, n in enumerate(nodes):
        if n.op in ("while_test", "if_begin"):
            open_tests.append(step)
        elif n.op in ("while_end", "if_end"):
            spans.append((open_tests.pop(), step))
    return spans


def plan_memory(graph: Graph) -> MemoryPlan:
    storage: dict[int, Storage] = {}
    for i, t in enumerate(graph.inputs):
        storage[t.index] = Storage("input", i)
    for i, t in enumerate(graph.outputs):
        storage[t.index] = Storage("output", i)
    root: dict[int, int] = {}  # tensor -> tensor whose buffer it uses

    def find(i: int) -> int:
        while i in root:
            i = root[i]
        return i

    for n in graph.nodes:
        if n.op in ALIAS_OPS and not n.inputs[0].is_const:
            root[n.outputs[0].index] = n.inputs[0].index
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    size: dict[int, int] = {}
    uses: dict[int, list[int]] = {}
    for step, n in enumerate(graph.nodes):
        for t in n.outputs:
            r = find(t.index)
            first.setdefault(r, step)
            last[r] = max(last.get(r, step), step)
            size[r] = max(size.get(r, 0), t.nbytes)
            uses.setdefault(r, []).append(step)
        for t in n.inputs:
            if t is None or t.is_const:
                continue
            r = find(t.index)
            last[r] = max(last.get(r, step), step)
            first.setdefault(r, -1)
            uses.setdefault(r, []).append(step)
    # A loop reads again in its next iteration what it did not write in this one (carried and
    # outer tensors): those stay alive to the loop's end, so no buffer of the body reuses them.
    for begin, end in loop_spans(graph.nodes):
        for r, steps in uses.items():
            if first[r] < begin and any(begin < s < end for s in steps):
                last[r] = max(last[r], end)
    # Every thread of `_run_slice` reads a loop's or branch's condition; a thread still about
    # to read it must not find it overwritten by a kernel inside: it lives to the region's end.
    for test, end in condition_spans(graph.nodes):
        r = find(graph.nodes[test].inputs[0].index)
        if r in last:
            last[r] = max(last[r], end)
    variables = {t.index for t in graph.tensors if t.variable}  # in the state region instead
    buffers = [r for r in first if r not in storage and r not in variables]
    buffers.sort(key=lambda r: (-size[r], first[r], r))
    placed: list[tuple[int, int, int, int]] = []  # offset, end, first, last
    top = 0
    for r in buffers:
        need = _align(size[r])
        offset = 0
        for off, end, f, lst in sorted(placed):
            if lst < first[r] or f > last[r]:
                continue  # lifetimes do not overlap
            if offset + need <= off:
                break
            offset = max(offset, _align(end))
        placed.append((offset, offset + need, first[r], last[r]))
        storage[r] = Storage("workspace", offset)
        top = max(top, offset + need)
    for t in graph.tensors:
        if t.index in root:
            storage[t.index] = storage[find(t.index)]
    naive = sum(_align(size[r]) for r in buffers)
    return MemoryPlan(storage, top, naive)
