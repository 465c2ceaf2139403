"""`tfl.while`, `tfl.if` and `tfl.call` in the cpu target's graph: subgraphs become nodes
(a call's callee inlined, a loop's and a branch's between markers).

The graph stays one list of nodes; control flow is written into it as marker nodes that have no
kernel (`CONTROL_OPS`) and that the run function turns into `scf.while` / `scf.if` around the
kernel calls between them (backends/cpu/module_builder.py):

    while:  copy init -> carried ...  while_begin  <cond nodes>  while_test(c)
                                      <body nodes>  copy result -> carried ...  while_end
    if:     if_begin(c)  <then nodes>  copy -> result ...  if_else  <else nodes>  copy ... if_end

A `tfl.while`'s results are its carried tensors: one buffer each, read by the cond and the body
and overwritten at the end of every iteration (memory_plan.py keeps every buffer that a loop
reads but did not write in this iteration alive to the loop's end). Small `tfl.if`s with no
integer division, no nested control flow and unquantized results are if-converted instead: both
branches run and a select keeps the taken one's results (cheaper than a branch for the few ops
of a converted `tf.cond`).
"""

from __future__ import annotations

from mlir import ir
from tflc.errors import TflcError

CONTROL_OPS = {"while_begin", "while_test", "while_end", "if_begin", "if_else", "if_end"}
# Ops the extraction rewrites into other nodes rather than giving a kernel.
GRAPH_OPS = {"if", "while", "call"}
# Integer division traps on a zero divisor, which an untaken branch may hold.
_TRAPPING = {"div", "floor_div", "floor_mod"}
# If-conversion runs both branches: worth it for a few cheap nodes only.
IF_CONVERSION_MAX_NODES = 8
_ALIASES = {"reshape", "squeeze", "expand_dims"}


def _subgraph(op, field: str, funcs, where: str):
    fn = funcs.get(ir.FlatSymbolRefAttr(op.attributes[field]).value)
    if fn is None:
        raise TflcError(f"'{op.name}' names no function for {field}", where)
    return fn.regions[0].blocks[0]


def _extract_subgraph(block, args, b, nodes, supported, funcs, where: str, what: str):
    """The nodes of a subgraph called with tensors `args`; returns the tensors it returns."""
    from tflc.backends.cpu.graph import _extract_block

    if len(block.arguments) != len(args):
        raise TflcError(f"{what} takes {len(block.arguments)} values, given {len(args)}", where)
    for i, (a, t) in enumerate(zip(block.arguments, args, strict=True)):
        declared = tuple(ir.RankedTensorType(a.type).shape) if _ranked(a.type) else None
        if declared != t.shape and any(True for _ in a.uses):
            raise TflcError(
                f"{what} declares argument {i} as {a.type} but is given {list(t.shape)} {t.dtype}",
                where,
            )
        b.by_value[a] = t
    for inner in block.operations:  # a function extracted again gets tensors of its own
        for r in inner.results:
            b.by_value.pop(r, None)
    return _extract_block(block, b, nodes, supported, funcs)


def _ranked(ty) -> bool:
    return isinstance(ty, ir.RankedTensorType) and ir.RankedTensorType(ty).has_static_shape


def _fresh(b, like, where: str):
    from tflc.backends.cpu.graph import Tensor

    t = Tensor(len(b.tensors), like.shape, like.dtype, scale=like.scale, zero_point=like.zero_point)
    t.axis, t.name = like.axis, like.name
    b.tensors.append(t)
    return t


def _copy(src, dst, where: str):
    from tflc.backends.cpu.graph import Node

    return Node("copy", [src], [dst], {}, where)


def _written_by(nodes) -> dict[int, int]:
    """tensor index -> the tensor whose buffer it is (alias ops share their input's)."""
    root: dict[int, int] = {}
    for n in nodes:
        for t in n.outputs:
            src = n.inputs[0] if n.op in _ALIASES and n.inputs and n.inputs[0] else None
            root[t.index] = root.get(src.index, src.index) if src is not None else t.index
    return root


def _same_type(a, b) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype


def extract_while(op, ins, outs, b, nodes, supported, funcs, where: str) -> None:
    from tflc.backends.cpu.graph import Node

    # carried types: checked before the tensors were made (loop_shapes.py)
    nodes.extend(_copy(x, y, where) for x, y in zip(ins, outs, strict=True))
    nodes.append(Node("while_begin", [], [], {}, where))
    first = len(nodes)
    cond_block = _subgraph(op, "cond_subgraph_index", funcs, where)
    conds = _extract_subgraph(cond_block, outs, b, nodes, supported, funcs, where, "the cond")
    cond = conds[0] if len(conds) == 1 else None
    if cond is None or cond.dtype != "i1" or cond.size != 1:
        raise TflcError("tfl.while's cond must return a one-element bool", where)
    if cond.index not in _written_by(nodes[first:]):  # a carried or outer tensor, a constant
        nodes.append(_copy(cond, cond := _fresh(b, cond, where), where))
    nodes.append(Node("while_test", [cond], [], {}, where))
    first = len(nodes)
    body_block = _subgraph(op, "body_subgraph_index", funcs, where)
    results = _extract_subgraph(body_block, outs, b, nodes, supported, funcs, where, "the body")
    if len(results) != len(outs):
        raise TflcError(f"tfl.while's body returns {len(results)} values for {len(outs)}", where)
    root = _written_by(nodes[first:])
    carried = {t.index for t in outs}
    staged = []
    for i, (r, y) in enumerate(zip(results, outs, strict=True)):
        if not _same_type(r, y):
            raise TflcError(
                f"tfl.while's body turns carried value {i} from {list(y.shape)} {y.dtype} into "
                f"{list(r.shape)} {r.dtype}: the cpu target needs loop-carried tensors of one "
                "static shape",
                where,
            )
        home = root.get(r.index, r.index)
        if home == y.index:
            continue  # passed through, or an alias of its own buffer
        if r.index not in root or home in carried:
            # Read from a buffer the copies below overwrite (another carried value), or not
            # written in the body: staged first, so every copy reads this iteration's value.
            nodes.append(_copy(r, r := _fresh(b, r, where), where))
        staged.append((r, y))
    nodes.extend(_copy(r, y, where) for r, y in staged)
    nodes.append(Node("while_end", [], [], {}, where))


def extract_call(op, ins, outs, b, nodes, supported, funcs, where: str) -> None:
    """The callee's nodes inlined on the call's operands, then its results copied out."""
    block = _subgraph(op, "subgraph", funcs, where)
    results = _extract_subgraph(block, ins, b, nodes, supported, funcs, where, "the callee")
    if len(results) != len(outs):
        raise TflcError(f"tfl.call's callee returns {len(results)} values for {len(outs)}", where)
    for i, (r, y) in enumerate(zip(results, outs, strict=True)):
        if not _same_type(r, y):
            raise TflcError(
                f"tfl.call's callee returns {list(r.shape)} {r.dtype} for result {i}, declared "
                f"{list(y.shape)} {y.dtype}",
                where,
            )
    nodes.extend(_copy(r, y, where) for r, y in zip(results, outs, strict=True))


def extract_if(op, ins, outs, b, nodes, supported, funcs, where: str) -> None:
    from tflc.backends.cpu.graph import Node

    cond = ins[0]
    if cond.dtype != "i1" or cond.size != 1:
        raise TflcError("tfl.if needs a one-element bool condition", where)
    branches = []
    for field in ("then_subgraph_index", "else_subgraph_index"):
        if cond.is_const and bool(cond.value.reshape(-1)[0]) != (field == "then_subgraph_index"):
            branches.append(([], None))  # never taken: not compiled
            continue
        block = _subgraph(op, field, funcs, where)
        branch: list = []
        what = f"the {field.split('_')[0]} branch"
        results = _extract_subgraph(block, ins[1:], b, branch, supported, funcs, where, what)
        if len(results) != len(outs):
            raise TflcError(
                f"{what} of tfl.if returns {len(results)} values for {len(outs)}", where
            )
        branches.append((branch, results))
    (then_nodes, then_results), (else_nodes, else_results) = branches
    if cond.is_const:  # the taken branch alone
        taken, results = (then_nodes, then_results) if then_results else (else_nodes, else_results)
        nodes.extend(taken)
        nodes.extend(_copy(r, y, where) for r, y in zip(results, outs, strict=True))
        return
    inner = then_nodes + else_nodes
    if (
        len(inner) <= IF_CONVERSION_MAX_NODES
        and not any(n.op in CONTROL_OPS for n in inner)
        and not any(n.op in _TRAPPING and n.outputs[0].dtype != "f32" for n in inner)
        and all(y.scale is None for y in outs)  # select_v2 has no quantized kernel
    ):
        nodes.extend(inner)
        for y, t, e in zip(outs, then_results, else_results, strict=True):
            nodes.append(Node("select_v2", [cond, t, e], [y], {}, where))
        return
    nodes.append(Node("if_begin", [cond], [], {}, where))
    nodes.extend(then_nodes)
    nodes.extend(_copy(r, y, where) for r, y in zip(then_results, outs, strict=True))
    nodes.append(Node("if_else", [], [], {}, where))
    nodes.extend(else_nodes)
    nodes.extend(_copy(r, y, where) for r, y in zip(else_results, outs, strict=True))
    nodes.append(Node("if_end", [], [], {}, where))
