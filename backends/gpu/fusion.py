"""Groups ops into dispatches: an anchor op followed by the elementwise ops it feeds.

An elementwise op joins the group that produced one of its operands when that operand is the
group's result, has no other reader (no other op, no reshape alias, not a model output) and has
the op's output shape: its value then never leaves registers. Conv + bias + activation (the
activation is an attribute) + residual add + hard_swish becomes one dispatch. Ops with no shader
lowering become host groups when `fallback="runtime"`, else an error lists them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tflc.backends.fallback_option import suggest_fallback
from tflc.backends.gpu.control_flow import MARKERS
from tflc.backends.gpu.graph import ARENA_DTYPES, Graph, Node
from tflc.backends.gpu.lowering import (
    REFUSALS,
    has_lowering,
    is_elementwise,
    nonconstant_parameter,
)
from tflc.errors import TflcError


@dataclass
class Group:
    nodes: list[Node]
    host: bool = False
    control: bool = False  # a control-flow marker (control_flow.py): no dispatch
    name: str = ""
    workgroup_size: int = 64
    grid: tuple[int, int, int] = (1, 1, 1)
    extra: dict = field(default_factory=dict)

    @property
    def outputs(self) -> list[int]:
        return list(self.nodes[-1].outputs)

    def internal(self) -> set[int]:
        """Tensors produced and consumed inside the group (never stored)."""
        return {t for n in self.nodes[:-1] for t in n.outputs}


def op_label(node: Node) -> str:
    """`conv_2d`, or `custom:Convolution2DTransposeBias` for custom ops."""
    code = node.attrs.get("custom_code")
    return f"{node.op}:{code}" if code else node.op


def unsupported_reason(node: Node, graph: Graph) -> str | None:
    if not has_lowering(node):
        return "no shader lowering"
    if len(node.outputs) != 1:
        return "several results"
    for t in [*node.inputs, *node.outputs]:
        if t is None:
            continue
        tensor = graph.tensors[t]
        if tensor.dtype not in ARENA_DTYPES:
            return f"{tensor.dtype} tensors"
    k = nonconstant_parameter(node, graph)
    if k is not None:
        return f"operand {k} is not a constant"
    refusal = REFUSALS.get(node.op)
    return refusal(node, graph) if refusal is not None else None


def fuse(graph: Graph, fallback: bool = False) -> list[Group]:
    """The groups of `graph`, one dispatch each; with `fallback`, ops without a shader lowering
    are host groups (else an error lists them)."""
    users = graph.consumers()
    aliased = {t.alias_of for t in graph.tensors if t.alias_of is not None}
    pinned = {graph.root(t) for t in graph.outputs} | set(graph.outputs) | aliased
    missing = [
        (n, r) for n in graph.nodes if n.op not in MARKERS and (r := unsupported_reason(n, graph))
    ]
    if missing and not fallback:
        listing = "; ".join(f"{op_label(n)} at {n.where}: {r}" for n, r in missing)
        ops = sorted({op_label(n) for n, _ in missing})
        raise TflcError(
            f"ops with no shader lowering: {', '.join(ops)} ({listing}); "
            + suggest_fallback("them"),
            "gpu backend",
        )
    host = {n.index for n, _ in missing}
    groups: list[Group] = []
    open_group: dict[int, Group] = {}  # result tensor -> the group it ends
    for node in graph.nodes:
        if node.op in MARKERS:  # control flow between groups: nothing fuses across it
            groups.append(Group([node], control=True))
            open_group.clear()
            continue
        if node.index in host:
            groups.append(Group([node], host=True))
            continue
        target = None
        if is_elementwise(node):
            out_shape = graph.tensors[node.outputs[0]].shape
            for t in node.inputs:
                g = open_group.get(t) if t is not None else None
                if (
                    g is not None
                    and t not in pinned
                    and len({u.index for u in users.get(t, [])}) == 1
                    and graph.tensors[t].shape == out_shape
                ):
                    target = g
                    break
        if target is not None:
            for t in target.outputs:
                open_group.pop(t, None)
            groups.remove(target)
            target.nodes.append(node)
            groups.append(target)
        else:
            target = Group([node])
            groups.append(target)
        open_group[node.outputs[0]] = target
    for i, g in enumerate(groups):
        g.name = f"d{i}_" + "_".join(n.op for n in g.nodes)[:60]
        g.name = f"c{i}_{g.nodes[0].op}" if g.control else g.name
    return groups
