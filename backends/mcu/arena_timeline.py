"""The MCU arena as a picture: each arena tensor a bar over the kernel calls it lives through
(x: call order) at its offset (y: bytes), the way memory planners are usually drawn.

Tensors that share storage (reshapes, in-place ops) are one bar, named after the op that
first writes it (the tensor name TensorFlow gave that op's output).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tflc.errors import TflcError


@dataclass(frozen=True)
class ArenaBar:
    name: str  # the location of the op that writes it first
    offset: int
    size: int
    first: int  # the call that writes it
    last: int  # the last call that reads it


def arena_bars(compiled) -> list[ArenaBar]:
    """The arena's storage groups of an MCU `compiled` model, by offset."""
    plan, program = compiled.plan, compiled.program
    writer = {}  # tensor id -> location of the op that writes it
    for call in program.calls:
        for tid in call.outputs:
            writer.setdefault(tid, call.location.split(";")[0])
    groups = {id(s): s for s in plan.storage.values() if s.kind == "arena" and s.size}
    bars = []
    for s in groups.values():
        named = [writer[t] for t in s.members if writer.get(t)]
        name = named[0] if named else program.tensors[s.members[0]].name
        first = max(s.first, 0)
        bars.append(ArenaBar(name, s.index, s.size, first, max(s.last, first)))
    return sorted(bars, key=lambda b: (b.offset, b.first))


def write_arena_timeline(compiled, path: str | Path) -> Path:
    """Draws the arena of an MCU `compiled` model into a PNG at `path`."""
    from tflc.plotting import new_figure, save_png

    bars = arena_bars(compiled)
    if not bars:
        raise TflcError("the model needs no arena: nothing to draw", str(path))
    calls = compiled.program.calls
    arena = compiled.plan.arena_size
    figure = new_figure(str(path), max(7.0, 0.3 * len(calls) + 3.0), 5.0)
    ax = figure.add_subplot()
    colors = [f"C{i % 10}" for i in range(len(bars))]
    for bar, color in zip(bars, colors, strict=True):
        ax.broken_barh(
            [(bar.first - 0.4, bar.last - bar.first + 0.8)],
            (bar.offset, bar.size),
            facecolors=color,
            edgecolors="black",
            linewidth=0.5,
        )
        if bar.size > 0.04 * arena:
            ax.text(
                (bar.first + bar.last) / 2,
                bar.offset + bar.size / 2,
                "/".join(bar.name.split("/")[-2:])[-32:],
                ha="center",
                va="center",
                fontsize=6,
            )
    ax.axhline(arena, color="black", linestyle="--", linewidth=0.8)
    ax.set_xlim(-0.6, len(calls) - 0.4)
    ax.set_ylim(0, arena * 1.05)
    if len(calls) <= 60:
        ax.set_xticks(range(len(calls)), [c.kernel for c in calls])
        ax.tick_params(axis="x", labelrotation=90, labelsize=7)
    ax.set_xlabel("kernel call")
    ax.set_ylabel("arena offset (bytes)")
    ax.set_title(f"MCU arena: {arena} bytes, {len(bars)} buffers over {len(calls)} calls")
    return save_png(figure, path)
