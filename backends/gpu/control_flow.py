"""`tfl.if`, `tfl.while` and `tfl.call` on the gpu target: control flow on the host around the
subgraphs' dispatches (graph.py calls `lower_control` while it reads a function).

    call:   the callee's nodes, its results the call's results (no copy)
    if:     if_begin(cond)  <then nodes>  copy -> result ...  if_else  <else nodes>  copy ...  if_end
    while:  copy init -> carried ...  while_begin  <cond nodes>  while_test(cond)
            <body nodes>  copy result -> carried ...  while_end

Each subgraph's nodes are fused and dispatched as any others; the markers end fusion and become
the manifest's nested `if` / `while` steps (manifest.py), which runtime/gpu_runtime.py runs by
reading the one-element condition back from the arena. A carried value has one arena buffer,
which buffer_plan.py keeps alive across the loop, as every buffer the loop reads but did not
write in the iteration. A `tfl.if` on a constant condition inlines the taken branch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mlir import ir
from tflc.backends.gpu.graph import Node, Tensor
from tflc.backends.loop_shapes import carried_shape_problem
from tflc.errors import TflcError

CONTROL_OPS = ("tfl.if", "tfl.while", "tfl.call")
# Marker nodes: no dispatch, they end fusion and nest the manifest's steps.
MARKERS = ("if_begin", "if_else", "if_end", "while_begin", "while_test", "while_end")
COPY = "copy"  # a dispatch copying its input into its output (lower_recurrent's anchor)


@dataclass
class GraphState:
    """What graph.py's reader shares with the lowering here."""

    tensors: list[Tensor]
    nodes: list[Node]
    funcs: dict[str, ir.Operation]
    walk: Callable[[ir.Block, list[int]], list[int]]  # a block's nodes; returns its results
    active: set[str] = field(default_factory=set)  # subgraphs being read (recursion refused)


def lower_control(op: ir.Operation, where: str, ins: list[int], outs: list[int], g: GraphState):
    """Adds `op`'s nodes; `outs` are its results' tensors (for a call: replaced by the
    callee's, returned)."""
    if op.name == "tfl.call":
        return _subgraph(op, "subgraph", ins, where, g)
    if op.name == "tfl.if":
        return _if(op, where, ins, outs, g)
    return _while(op, where, ins, outs, g)


def _marker(g: GraphState, op: ir.Operation, kind: str, where: str, inputs=()) -> None:
    g.nodes.append(Node(len(g.nodes), kind, {}, list(inputs), [], where, op))


def _copy(g: GraphState, op: ir.Operation, src: int, dst: int, where: str) -> None:
    g.nodes.append(Node(len(g.nodes), COPY, {}, [src], [dst], where, op))


def _fresh(g: GraphState, like: int) -> int:
    t = g.tensors[like]
    g.tensors.append(Tensor(len(g.tensors), t.shape, t.dtype, f"{t.name}_staged", quant=t.quant))
    return len(g.tensors) - 1


def _root(g: GraphState, tid: int) -> int:
    while g.tensors[tid].alias_of is not None:
        tid = g.tensors[tid].alias_of
    return tid


def _same(g: GraphState, a: int, b: int) -> bool:
    ta, tb = g.tensors[a], g.tensors[b]
    return (ta.shape, ta.dtype, ta.quant) == (tb.shape, tb.dtype, tb.quant)


def _subgraph(op: ir.Operation, field_name: str, args: list[int], where: str, g: GraphState):
    name = ir.FlatSymbolRefAttr(op.attributes[field_name]).value
    fn = g.funcs.get(name)
    if fn is None:
        raise TflcError(f"{field_name} names no function '{name}'", where)
    if name in g.active:
        raise TflcError(f"subgraph '{name}' calls itself", where)
    block = fn.regions[0].blocks[0]
    if len(block.arguments) != len(args):
        raise TflcError(f"'{name}' takes {len(block.arguments)} values, given {len(args)}", where)
    g.active.add(name)
    try:
        return g.walk(block, args)
    finally:
        g.active.discard(name)


def _results_into(g, op, results: list[int], outs: list[int], where: str, what: str) -> None:
    if len(results) != len(outs):
        raise TflcError(f"{what} returns {len(results)} values for {len(outs)}", where)
    for i, (r, y) in enumerate(zip(results, outs, strict=True)):
        if not _same(g, r, y):
            raise TflcError(f"{what} returns {g.tensors[r].shape} for result {i}", where)
        _copy(g, op, r, y, where)


def _if(op, where, ins, outs, g: GraphState):
    cond, args = ins[0], ins[1:]
    if g.tensors[cond].size != 1:
        raise TflcError("tfl.if needs a one-element condition", where)
    value = g.tensors[cond].const
    branches = ["then_subgraph_index", "else_subgraph_index"]
    if value is not None:  # known while compiling: the taken branch alone
        branches = branches[:1] if bool(value.reshape(-1)[0]) else branches[1:]
    else:
        _marker(g, op, "if_begin", where, [cond])
    for k, field_name in enumerate(branches):
        if k:
            _marker(g, op, "if_else", where)
        results = _subgraph(op, field_name, args, where, g)
        _results_into(g, op, results, outs, where, f"the {field_name.split('_')[0]} branch")
    if value is None:
        _marker(g, op, "if_end", where)
    return outs


def _while(op, where, ins, outs, g: GraphState):
    problem = carried_shape_problem(op)
    if problem:
        raise TflcError(problem, where)
    for x, y in zip(ins, outs, strict=True):
        _copy(g, op, x, y, where)
    _marker(g, op, "while_begin", where)
    (cond, *rest) = _subgraph(op, "cond_subgraph_index", outs, where, g) or [None]
    if cond is None or rest or g.tensors[cond].size != 1:
        raise TflcError("the cond of tfl.while must return one one-element value", where)
    if _root(g, cond) in outs or g.tensors[cond].const is not None:
        staged = _fresh(g, cond)  # a carried value or a constant: read a copy made here
        _copy(g, op, cond, staged, where)
        cond = staged
    _marker(g, op, "while_test", where, [cond])
    first = len(g.nodes)
    results = _subgraph(op, "body_subgraph_index", outs, where, g)
    written = {_root(g, t) for n in g.nodes[first:] for t in n.outputs}
    if len(results) != len(outs):
        raise TflcError(f"the body returns {len(results)} values for {len(outs)}", where)
    staged = []
    for r, y in zip(results, outs, strict=True):
        if r == y:
            continue  # passed through
        if _root(g, r) in outs or _root(g, r) not in written:
            # another carried value (overwritten by the copies below), an outer value or a
            # constant: staged first, so that every copy reads this iteration's value
            fresh = _fresh(g, r)
            _copy(g, op, r, fresh, where)
            r = fresh
        staged.append((r, y))
    for r, y in staged:
        _copy(g, op, r, y, where)
    _marker(g, op, "while_end", where)
    return outs
