"""`tfl.while`, `tfl.if` and `tfl.call` on the MCU target: C control flow around the subgraphs'
kernel calls.

    while:  copy init -> carried ...  for (n = 0;; ++n) {  <cond calls>  if (!c) break;
                                      <body calls>  copy result -> carried ...  }
    if:     if (c) {  <then calls>  copy -> result ...  } else {  <else calls>  copy ...  }
    call:   <callee calls>, its results the call's results (aliases, no copy)

The markers are `KernelCall`s with `control` set and no kernel (c_emitter.py writes their C).
A `tfl.while`'s results are its carried tensors, one arena buffer each, which the cond and the
body read and the copies at the end of an iteration overwrite; memory_planner.py keeps every
buffer a loop reads but did not write in the iteration alive to the loop's end, so no buffer of
the body shares its bytes. A loop past the interpreter's MAX_WHILE_ITERATIONS makes model_run
return 1 instead of hanging. Shapes are static: a carried value whose shape or type changes
between iterations is refused by name. A called subgraph is lowered at each call site, its
tensors planned in the one arena with the caller's (the C has no function per subgraph: each
call site gets the callee's calls, with the shapes of its operands).
"""

from __future__ import annotations

from mlir import ir
from tflc.backends.loop_shapes import carried_shape_problem
from tflc.backends.mcu.lowering import Lowering
from tflc.backends.mcu.program import KernelCall, Tensor
from tflc.dialects.tfl_verifier import describe_location
from tflc.runtime.kernels.control_flow import MAX_WHILE_ITERATIONS


def _marker(lw: Lowering, control: str, call: str, inputs: list[Tensor] = ()) -> None:
    op = lw.op
    lw.calls.append(
        KernelCall(
            op.name,
            describe_location(op.location),
            "",
            call,
            [t.id for t in inputs],
            [],
            control=control,
        )
    )


def _copy(lw: Lowering, x: Tensor, y: Tensor) -> None:
    lw.emit("data_movement", f"tflc_copy({y.nbytes}, {{t:{x.id}}}, {{t:{y.id}}})", [x], [y])


def _fresh(lw: Lowering, like: Tensor) -> Tensor:
    tid = len(lw.tensors)
    t = Tensor(tid, f"t{tid}", like.shape, like.dtype, like.scale, like.zero_point)
    lw.tensors[tid] = t
    return t


def _same_type(a: Tensor, b: Tensor) -> bool:
    return (a.shape, a.dtype, a.scale, a.zero_point) == (b.shape, b.dtype, b.scale, b.zero_point)


def _subgraph(lw: Lowering, field: str, args: list[Tensor], what: str) -> list[Tensor]:
    """Lowers the function `field` names, called with `args`; returns the tensors it returns."""
    op = lw.op
    name = ir.FlatSymbolRefAttr(op.attributes[field]).value
    fn = lw.funcs.get(name)
    if fn is None:
        raise lw.fail(f"names no function for {field}")
    if name in lw.active:
        raise lw.fail(f"{what} '{name}' calls itself")
    block = fn.regions[0].blocks[0]
    if len(block.arguments) != len(args):
        raise lw.fail(f"{what} takes {len(block.arguments)} values, given {len(args)}")
    for i, (a, t) in enumerate(zip(block.arguments, args, strict=True)):
        ty = a.type
        static = isinstance(ty, ir.RankedTensorType) and ir.ShapedType(ty).has_static_shape
        if (not static or tuple(ir.ShapedType(ty).shape) != t.shape) and any(True for _ in a.uses):
            raise lw.fail(f"{what} declares argument {i} as {ty} but is given {list(t.shape)}")
        lw.ids[a] = t.id
    for inner in block.operations:  # a function lowered again gets tensors of its own
        for r in inner.results:
            lw.ids.pop(r, None)
    lw.active.add(name)
    try:
        outputs = lw.walk(block)
    finally:
        lw.active.discard(name)
        lw.op = op
    return [lw.tensors[t] for t in outputs]


def _written(lw: Lowering, first_call: int) -> set[int]:
    """Storage roots written by the calls from `first_call` on."""
    return {lw.aliases.get(t, t) for c in lw.calls[first_call:] for t in c.outputs}


def lower_while(lw: Lowering) -> None:
    op = lw.op
    problem = carried_shape_problem(op)
    if problem:
        raise lw.fail(problem)
    ins = [lw.operand(i) for i in range(len(op.operands))]
    outs = [lw.result(i) for i in range(len(op.results))]
    for x, y in zip(ins, outs, strict=True):
        _copy(lw, x, y)
    # A runaway loop returns 1 from model_run, as the interpreter reports it (not a hang).
    counter = f"tflc_iterations{sum(c.control == 'while_begin' for c in lw.calls)}"
    _marker(
        lw,
        "while_begin",
        f"for ({counter} = 0;; ++{counter}) {{\n"
        f"  if ({counter} == {MAX_WHILE_ITERATIONS}) return 1;",
    )
    first = len(lw.calls)
    conds = _subgraph(lw, "cond_subgraph_index", outs, "the cond")
    cond = conds[0] if len(conds) == 1 else None
    if cond is None or cond.dtype != "bool" or cond.size != 1:
        raise lw.fail("the cond of tfl.while must return a one-element bool")
    if lw.aliases.get(cond.id, cond.id) not in _written(lw, first):
        fresh = _fresh(lw, cond)  # a carried value or a constant: read a copy made here
        _copy(lw, cond, fresh)
        cond = fresh
    _marker(lw, "while_test", f"if (!*(const uint8_t *){{t:{cond.id}}}) break;", [cond])
    first = len(lw.calls)
    results = _subgraph(lw, "body_subgraph_index", outs, "the body")
    if len(results) != len(outs):
        raise lw.fail(f"the body returns {len(results)} values for {len(outs)}")
    written = _written(lw, first)
    carried = {t.id for t in outs}
    staged = []
    for i, (r, y) in enumerate(zip(results, outs, strict=True)):
        if not _same_type(r, y):
            raise lw.fail(
                f"the body turns carried value {i} from {list(y.shape)} {y.dtype} into "
                f"{list(r.shape)} {r.dtype}: the MCU target needs loop-carried tensors of one "
                "static shape and type"
            )
        home = lw.aliases.get(r.id, r.id)
        if home == y.id:
            continue  # passed through, or an alias of its own buffer
        if home not in written or home in carried:
            # Another carried buffer (overwritten by the copies below) or a value not written
            # in the body: staged first, so every copy reads this iteration's value.
            fresh = _fresh(lw, r)
            _copy(lw, r, fresh)
            r = fresh
        staged.append((r, y))
    for r, y in staged:
        _copy(lw, r, y)
    _marker(lw, "while_end", "}")


def lower_if(lw: Lowering) -> None:
    op = lw.op
    cond = lw.operand(0)
    args = [lw.operand(i) for i in range(1, len(op.operands))]
    outs = [lw.result(i) for i in range(len(op.results))]
    if cond.dtype != "bool" or cond.size != 1:
        raise lw.fail("tfl.if needs a one-element bool condition")
    branches = ("then_subgraph_index", "else_subgraph_index")
    if cond.data is not None:  # known while compiling: the taken branch alone
        branches = branches[:1] if bool(cond.data.reshape(-1)[0]) else branches[1:]
    else:
        _marker(lw, "if_begin", f"if (*(const uint8_t *){{t:{cond.id}}}) {{", [cond])
    for k, field in enumerate(branches):
        if k:
            _marker(lw, "if_else", "} else {")
        what = f"the {field.split('_')[0]} branch"
        results = _subgraph(lw, field, args, what)
        if len(results) != len(outs):
            raise lw.fail(f"{what} returns {len(results)} values for {len(outs)}")
        for i, (r, y) in enumerate(zip(results, outs, strict=True)):
            if not _same_type(r, y):
                raise lw.fail(f"{what} returns {list(r.shape)} {r.dtype} for result {i}")
            _copy(lw, r, y)
    if cond.data is None:
        _marker(lw, "if_end", "}")


def lower_call(lw: Lowering) -> None:
    op = lw.op
    args = [lw.operand(i) for i in range(len(op.operands))]
    outs = [lw.result(i) for i in range(len(op.results))]
    results = _subgraph(lw, "subgraph", args, "the callee")
    if len(results) != len(outs):
        raise lw.fail(f"the callee returns {len(results)} values for {len(outs)}")
    for i, (r, y) in enumerate(zip(results, outs, strict=True)):
        if not _same_type(r, y):
            raise lw.fail(f"the callee returns {list(r.shape)} {r.dtype} for result {i}")
        lw.aliases[y.id] = lw.aliases.get(r.id, r.id)
