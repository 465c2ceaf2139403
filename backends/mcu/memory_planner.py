"""Static arena planning for the MCU target: lifetimes, aliases, overlapping reuse, offsets.

Every non-constant tensor belongs to a storage group: tensors that alias (RESHAPE, SQUEEZE,
EXPAND_DIMS) share one. A group holding a model input or output lives in the caller's buffer;
the others get arena offsets.

Groups are chained into blocks with fixed relative offsets when an op may write its output over
its dying input: elementwise ops and requantization exactly in place, convolutions and
depthwise convolutions with the input starting `d` bytes after the output (`window_overlap`
proves `d` safe from the kernel's loop order: no output byte is written before every input
byte under it has been read for the last time). Blocks are then placed greedily by size (as
TFLM's GreedyMemoryPlanner): largest first, at the lowest offset where none of its members
overlaps a placed member whose lifetime it shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tflc.backends.mcu.program import Program

ALIGNMENT = 4


@dataclass
class Storage:
    """Where a group of tensors lives: `kind` is "input", "output", "arena", "const" or
    "state" (a `tfl.variable`, kept between runs in a static buffer outside the arena)."""

    kind: str
    index: int = 0  # input/output position; arena or state buffer offset
    size: int = 0
    members: list[int] = field(default_factory=list)
    first: int = -1  # index of the call that writes it (-1: before the first call)
    last: int = -1  # index of the last call that reads it


@dataclass
class ArenaPlan:
    storage: dict[int, Storage]  # tensor id -> its group's storage
    arena_size: int
    copies: list[tuple[int, int]]  # (tensor, output index) copied into the output at the end
    in_place: list[int]  # indices of calls whose output overlaps their input
    state_size: int = 0  # bytes of the static state buffer (the variables)


def align(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def window_overlap(
    in_dims: tuple[int, int, int, int],
    out_dims: tuple[int, int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
    channelwise: bool,
) -> int | None:
    """The least safe offset d (input start - output start, bytes) for a windowed NHWC op.

    `in_dims` = (batches, height, width, bytes per pixel), `out_dims` = (height, width, bytes per
    pixel). Output pixels are written in row-major order; output pixel k must end at or before
    the first input byte that pixel k (unless `channelwise`: each channel is read before it is
    written) or any later pixel still reads. None when the op cannot overlap (batches > 1).
    """
    n, ih, iw, in_px = in_dims
    oh, ow, out_px = out_dims
    if n != 1 or oh * ow == 0 or (channelwise and in_px != out_px):
        return None

    def first_read(o: np.ndarray, s: int, p: int, d: int, size: int) -> np.ndarray:
        start = o * s - p
        skip = np.where(start < 0, (-start + d - 1) // d, 0)
        return np.minimum(start + skip * d, size - 1)

    ry = first_read(np.arange(oh), stride[0], padding[0], dilation[0], ih)
    rx = first_read(np.arange(ow), stride[1], padding[1], dilation[1], iw)
    first_pixel = (ry[:, None] * iw + rx[None, :]).ravel().astype(np.int64)
    need = np.minimum.accumulate(first_pixel[::-1])[::-1]  # min over pixels >= k
    if channelwise:
        need = np.append(need[1:], np.iinfo(np.int64).max // (2 * max(in_px, 1)))
    k = np.arange(oh * ow, dtype=np.int64)
    required = int(np.max((k + 1) * out_px - need * in_px))
    return align(max(required, 0))


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


def loop_spans(program: Program) -> list[tuple[int, int]]:
    """(begin, end) call positions of every `tfl.while` loop (control_flow.py's markers)."""
    spans, open_loops = [], []
    for i, call in enumerate(program.calls):
        if call.control == "while_begin":
            open_loops.append(i)
        elif call.control == "while_end":
            spans.append((open_loops.pop(), i))
    return spans


def plan_arena(program: Program, in_place: bool = True) -> ArenaPlan:
    tensors = program.tensors
    groups = _UnionFind()
    for t in tensors:
        groups.find(t)
    for alias, root in program.aliases.items():
        groups.union(alias, root)
    group_of = groups.find

    # A group binds to at most one caller buffer; an output whose group is taken (an input
    # reshaped straight to an output, one tensor returned twice, a constant) gets a copy.
    copies: list[tuple[int, int]] = []
    bound: dict[int, tuple[str, int]] = {}
    for k, t in enumerate(program.inputs):
        bound.setdefault(group_of(t), ("input", k))
    for k, t in enumerate(program.outputs):
        g = group_of(t)
        if g in bound or tensors[t].data is not None:
            copies.append((t, k))
        else:
            bound[g] = ("output", k)
    state_size = 0
    for tid, t in tensors.items():  # variables: never in the arena, alive from run to run
        if t.variable and group_of(tid) not in bound:
            bound[group_of(tid)] = ("state", state_size)
            state_size += align(t.nbytes)

    sizes: dict[int, int] = {}
    for tid, t in tensors.items():
        g = group_of(tid)
        sizes[g] = max(sizes.get(g, 0), t.nbytes)

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
    for t in program.outputs:
        last[group_of(t)] = len(program.calls)
    # A loop reads again in its next iteration what it did not write in this one (carried and
    # outer tensors): those stay alive to the loop's end, so no buffer of the body reuses them.
    uses: dict[int, list[int]] = {}
    for i, call in enumerate(program.calls):
        for t in (*call.inputs, *call.outputs):
            uses.setdefault(group_of(t), []).append(i)
    for begin, end in loop_spans(program):
        for g, steps in uses.items():
            if first.get(g, -1) < begin and any(begin < s < end for s in steps):
                last[g] = max(last.get(g, end), end)

    def is_arena(g: int) -> bool:
        return g not in bound and tensors[g].data is None

    # Overlap pairs: (input group, output group, d) allowing offset(input) = offset(output) + d.
    pairs: list[tuple[int, int, int, int]] = []  # (+ call index)
    partnered: set[int] = set()
    for i, call in enumerate(program.calls):
        if not in_place or call.overlap is None or not call.outputs:
            continue
        go = group_of(call.outputs[0])
        if not is_arena(go) or first.get(go) != i or go in partnered:
            continue
        for j in call.overlap_inputs:
            gi = group_of(call.inputs[j])
            if gi != go and is_arena(gi) and last.get(gi) == i:
                pairs.append((gi, go, call.overlap, i))
                partnered.add(go)
                break

    arena_groups = sorted(g for g in sizes if is_arena(g) and g == group_of(g) and g in first)
    offsets, arena_size = _place(arena_groups, sizes, first, last, pairs)
    overlapped = sorted(i for gi, go, d, i in pairs if offsets[gi] - offsets[go] == d)

    storage: dict[int, Storage] = {}
    by_group: dict[int, Storage] = {}
    for tid in tensors:
        g = group_of(tid)
        if g not in by_group:
            if tensors[g].data is not None:
                by_group[g] = Storage("const")
            elif g in bound:
                by_group[g] = Storage(*bound[g])
            else:
                by_group[g] = Storage(
                    "arena", offsets.get(g, 0), first=first.get(g, -1), last=last.get(g, -1)
                )
        s = by_group[g]
        s.members.append(tid)
        s.size = sizes[g]
        storage[tid] = s
    return ArenaPlan(storage, arena_size, copies, overlapped, state_size)


def _place(
    groups: list[int],
    sizes: dict[int, int],
    first: dict[int, int],
    last: dict[int, int],
    pairs: list[tuple[int, int, int, int]],
) -> tuple[dict[int, int], int]:
    """Greedy by size, each group at the lowest offset where it collides with no placed group
    whose lifetime it shares; a group whose overlap partner is placed first tries the offset the
    pair allows, where the two may share bytes."""
    relation: dict[tuple[int, int], int] = {}  # (a, b) -> required offset[a] - offset[b]
    partners: dict[int, list[tuple[int, int]]] = {}
    for gi, go, d, _ in pairs:
        relation[(gi, go)], relation[(go, gi)] = d, -d
        partners.setdefault(gi, []).append((go, d))
        partners.setdefault(go, []).append((gi, -d))
    order = sorted(groups, key=lambda g: (-align(sizes[g]), first[g], g))
    offsets: dict[int, int] = {}
    placed: list[int] = []
    end = 0
    for g in order:
        size, f, la = align(sizes[g]), first[g], last[g]

        def fits(base: int, g=g, size=size, f=f, la=la) -> bool:
            for p in placed:
                if first[p] > la or f > last[p]:
                    continue
                po, pe = offsets[p], offsets[p] + align(sizes[p])
                if base + size <= po or pe <= base:
                    continue
                if relation.get((g, p)) == base - po:
                    continue
                return False
            return True

        preferred = [offsets[p] + d for p, d in partners.get(g, []) if p in offsets]
        standard = sorted({0} | {offsets[p] + align(sizes[p]) for p in placed})
        for base in preferred + standard:
            if base >= 0 and fits(base):
                break
        offsets[g] = base
        placed.append(g)
        end = max(end, base + size)
    return offsets, end
