"""Static arena planning for the MCU target: lifetimes, aliases, in-place reuse, offsets.

Every non-constant tensor gets a storage group: tensors that alias (RESHAPE, SQUEEZE,
EXPAND_DIMS) share one, and an op that may write over its input (elementwise ops, requantize,
activations) joins its output to its input's group when the input dies at that op. A group that
holds a model input or output lives in the caller's buffer; every other group gets an offset in
the arena. Offsets come from greedy-by-size placement (as TFLM's GreedyMemoryPlanner): largest
first, each at the lowest offset where it overlaps no placed buffer whose lifetime it shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tflc.backends.mcu.lowering import Program

ALIGNMENT = 4


@dataclass
class Storage:
    """Where a group of tensors lives: `kind` is "input", "output", "arena" or "const"."""

    kind: str
    index: int = 0  # input/output position; arena offset
    size: int = 0
    members: list[int] = field(default_factory=list)
    first: int = -1  # index of the call that writes it (-1: before the first call)
    last: int = -1  # index of the last call that reads it


@dataclass
class ArenaPlan:
    storage: dict[int, Storage]  # tensor id -> its group's storage
    arena_size: int
    copies: list[tuple[int, int]]  # (tensor, output index) copied into the output at the end
    in_place: list[int]  # indices of calls that run in place


def _align(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def plan_arena(program: Program, in_place: bool = True) -> ArenaPlan:
    tensors = program.tensors
    groups = _UnionFind()
    for t in tensors:
        groups.find(t)
    for alias, root in program.aliases.items():
        groups.union(alias, root)

    # A group binds to at most one caller buffer; an output whose group is taken (an input
    # reshaped straight to an output, one tensor returned twice, a constant) gets a copy.
    copies: list[tuple[int, int]] = []
    bound: dict[int, tuple[str, int]] = {}
    for k, t in enumerate(program.inputs):
        bound.setdefault(groups.find(t), ("input", k))
    for k, t in enumerate(program.outputs):
        g = groups.find(t)
        if g in bound or tensors[t].data is not None:
            copies.append((t, k))
        else:
            bound[g] = ("output", k)

    def group_of(t: int) -> int:
        return groups.find(t)

    # Lifetimes per group.
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for i, call in enumerate(program.calls):
        for t in call.inputs:
            g = group_of(t)
            last[g] = max(last.get(g, -1), i)
        for t in call.outputs:
            g = group_of(t)
            first.setdefault(g, i)
            last.setdefault(g, i)
    n_calls = len(program.calls)
    for t in program.outputs:
        last[group_of(t)] = n_calls

    # In place: the output joins the input's group when the input dies here.
    in_place_calls: list[int] = []
    if in_place:
        for i, call in enumerate(program.calls):
            if not call.in_place:
                continue
            gi, go = group_of(call.inputs[0]), group_of(call.outputs[0])
            ti, to = tensors[call.inputs[0]], tensors[call.outputs[0]]
            if gi == go or gi in bound or go in bound or ti.data is not None:
                continue
            if last.get(gi) != i or ti.nbytes != to.nbytes:
                continue
            start, end = first.get(gi, -1), last.get(go, i)
            groups.union(gi, go)
            first[group_of(gi)], last[group_of(gi)] = start, end
            in_place_calls.append(i)

    storage: dict[int, Storage] = {}
    by_group: dict[int, Storage] = {}
    for tid, t in tensors.items():
        g = group_of(tid)
        if g not in by_group:
            if t.data is not None and g == tid:
                by_group[g] = Storage("const")
            elif g in bound:
                kind, k = bound[g]
                by_group[g] = Storage(kind, k)
            else:
                by_group[g] = Storage("arena", first=first.get(g, -1), last=last.get(g, -1))
        s = by_group[g]
        s.members.append(tid)
        s.size = max(s.size, t.nbytes)
        storage[tid] = s
    arena = [
        s
        for s in {id(s): s for s in by_group.values()}.values()
        if s.kind == "arena" and (s.first >= 0 or s.last >= 0)
    ]
    size = _place(arena)
    return ArenaPlan(storage, size, copies, in_place_calls)


def _place(buffers: list[Storage]) -> int:
    placed: list[Storage] = []
    order = sorted(buffers, key=lambda s: (-_align(s.size), s.first, min(s.members)))
    end = 0
    for s in order:
        live = sorted(
            (p for p in placed if p.first <= s.last and s.first <= p.last), key=lambda p: p.index
        )
        offset = 0
        for p in live:
            if offset + _align(s.size) <= p.index:
                break
            offset = max(offset, p.index + _align(p.size))
        s.index = offset
        placed.append(s)
        end = max(end, offset + _align(s.size))
    return end
