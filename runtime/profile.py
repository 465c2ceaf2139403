"""Per-node timings of interpreter runs, reported the way TFLite's benchmark_model does."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tflc.runtime.tflite_model import Model


@dataclass
class NodeTiming:
    index: int
    op: str
    name: str
    times: list[float] = field(default_factory=list)  # seconds, one per invoke

    @property
    def avg_ms(self) -> float:
        return 1e3 * sum(self.times) / len(self.times) if self.times else 0.0

    @property
    def first_ms(self) -> float:
        return 1e3 * self.times[0] if self.times else 0.0


class Profile:
    """Collects the time of every node of the main subgraph over one or more invokes (or of
    every kernel of compiled code, which names its rows itself: `model` None)."""

    def __init__(self, model: Model | None = None):
        self._model = model
        self.nodes: dict[int, NodeTiming] = {}
        self.notes: list[str] = []  # lines printed after the summary (how it was measured)

    def record(self, index: int, op: str, seconds: float, name: str | None = None) -> None:
        """`name` None: the node's first output tensor names it."""
        timing = self.nodes.get(index)
        if timing is None:
            if name is None:
                sg = self._model.subgraphs[0]
                outs = sg.operators[index].outputs
                name = sg.tensors[outs[0]].name if outs else ""
            timing = self.nodes[index] = NodeTiming(index, op, name)
        timing.times.append(seconds)

    def total_ms(self) -> float:
        return sum(t.avg_ms for t in self.nodes.values())

    def by_op_type(self) -> list[tuple[str, int, float]]:
        """(op type, node count, avg ms per invoke summed over its nodes), slowest first."""
        count: dict[str, int] = defaultdict(int)
        ms: dict[str, float] = defaultdict(float)
        for t in self.nodes.values():
            count[t.op] += 1
            ms[t.op] += t.avg_ms
        return sorted(((op, count[op], ms[op]) for op in count), key=lambda r: -r[2])

    def report(self) -> str:
        total = self.total_ms() or 1e-12
        runs = max((len(t.times) for t in self.nodes.values()), default=0)
        lines = [
            "=" * 30 + " Run Order " + "=" * 30,
            f"\t{'[node type]':>28}\t{'[first]':>9}\t{'[avg ms]':>9}\t{'[%]':>8}"
            f"\t{'[cdf%]':>8}\t{'[times called]':>14}\t[Name]",
        ]
        cdf = 0.0
        for t in sorted(self.nodes.values(), key=lambda t: t.index):
            pct = 100.0 * t.avg_ms / total
            cdf += pct
            lines.append(
                f"\t{t.op:>28}\t{t.first_ms:>9.3f}\t{t.avg_ms:>9.3f}\t{pct:>7.3f}%"
                f"\t{cdf:>7.3f}%\t{len(t.times):>14}\t[{t.index}: {t.name}]"
            )
        lines += [
            "",
            "=" * 30 + " Summary by node type " + "=" * 30,
            f"\t{'[Node type]':>28}\t{'[count]':>8}\t{'[avg ms]':>9}\t{'[avg %]':>8}"
            f"\t{'[cdf %]':>8}\t{'[times called]':>14}",
        ]
        cdf = 0.0
        for op, count, ms in self.by_op_type():
            pct = 100.0 * ms / total
            cdf += pct
            lines.append(
                f"\t{op:>28}\t{count:>8}\t{ms:>9.3f}\t{pct:>7.3f}%\t{cdf:>7.3f}%"
                f"\t{count * runs:>14}"
            )
        lines += [
            "",
            f"Timings (microseconds): count={runs} avg={1e3 * self.total_ms():.1f}",
            f"Number of nodes executed: {len(self.nodes)}",
            *self.notes,
        ]
        return "\n".join(lines)
