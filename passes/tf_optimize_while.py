"""tf-optimize-while: simplifies While loops' variables, as TensorFlow's converter does.

- A loop variable the body passes through unchanged is loop-invariant; when its initial value is
  a constant, the constant is cloned into cond and body (so a cell's weights are constants there
  and its MatMuls become fully connected layers) and the While's result is the initial value.
- A loop variable that no user outside reads, that cond ignores, and that feeds no other
  variable in the body is dead (the sequence a `return_sequences=False` RNN still writes) and
  is removed with the body ops computing it.

Functions called from more than one place, and loops handed a resource (a kept variable or
table, which the body may assign), are left alone.
"""

from __future__ import annotations

from collections import Counter

from mlir import ir
from tflc.dialects import tf as tf_dialect
from tflc.passes.registry import Pass
from tflc.passes.tf_prepare import prepare_tf
from tflc.passes.tf_to_tfl.common import python_value

_WHILE = ("tf.While", "tf.StatelessWhile")


def optimize_while(module: ir.Operation) -> None:
    from tflc.passes.legalize_tf import functions

    fns = functions(module)
    symbols = {ir.StringAttr(f.attributes["sym_name"]).value: f for f in fns}
    calls = Counter()
    for fn in fns:
        for op in fn.regions[0].blocks[0].operations:
            for name in op.operation.attributes:
                attr = op.operation.attributes[name]
                if isinstance(attr, ir.FlatSymbolRefAttr):
                    calls[attr.value] += 1
    changed = False
    for fn in fns:
        for op in list(fn.regions[0].blocks[0].operations):
            op = op.operation
            if op.name not in _WHILE:
                continue
            cond_name, body_name = (python_value(op.attributes[k]) for k in ("cond", "body"))
            if calls[cond_name] != 1 or calls[body_name] != 1 or _carries_state(op):
                continue
            changed |= _optimize(op, symbols[cond_name], symbols[body_name])
    if changed:
        prepare_tf(module)  # fold what the sunk constants made constant, drop dead body ops


def _carries_state(op: ir.Operation) -> bool:
    """A loop handed a variable or a table: its body may assign it, so nothing in it is dead."""
    return any(str(ir.ShapedType(v.type).element_type) == "!tf_type.resource" for v in op.operands)


def _block(fn: ir.Operation) -> ir.Block:
    return fn.regions[0].blocks[0]


def _returned(fn: ir.Operation) -> list[ir.Value]:
    return list(list(_block(fn).operations)[-1].operands)


def _optimize(op: ir.Operation, cond: ir.Operation, body: ir.Operation) -> bool:
    body_args = list(_block(body).arguments)
    returned = _returned(body)
    changed = False
    for i, operand in enumerate(op.operands):
        if returned[i] != body_args[i] or tf_dialect.const_value(operand) is None:
            continue
        if (
            not list(op.results[i].uses)
            and not _used_besides_return(body_args[i], body)
            and not list(_block(cond).arguments[i].uses)
        ):
            continue  # already unused everywhere
        const_op = operand.owner.operation
        for fn in (cond, body):
            arg = _block(fn).arguments[i]
            if not list(arg.uses):
                continue
            first = list(_block(fn).operations)[0]
            clone = const_op.clone(ir.InsertionPoint(first))
            arg.replace_all_uses_with(clone.results[0])
        # the body returns the clone now: it is still the initial value
        op.results[i].replace_all_uses_with(operand)
        changed = True
    dead = _dead_variables(op, cond, body)
    if dead:
        _remove_variables(op, cond, body, dead)
        changed = True
    return changed


def _used_besides_return(arg: ir.Value, fn: ir.Operation) -> bool:
    ret = list(_block(fn).operations)[-1]
    return any(use.owner != ret for use in arg.uses)


def _dead_variables(op: ir.Operation, cond: ir.Operation, body: ir.Operation) -> list[int]:
    """Variables no one outside reads, cond ignores, and that reach no other variable."""
    n = len(op.results)
    candidates = {
        i
        for i in range(n)
        if not list(op.results[i].uses) and not list(_block(cond).arguments[i].uses)
    }
    if not candidates:
        return []
    returned = _returned(body)
    args = list(_block(body).arguments)
    # Values that live variables depend on, found walking backwards from their returns.
    live: set = set()
    stack = [returned[i] for i in range(n) if i not in candidates]
    while stack:
        v = stack.pop()
        if v in live:
            continue
        live.add(v)
        owner = v.owner
        if isinstance(owner, ir.OpView | ir.Operation) and owner.operation.parent == body:
            stack.extend(owner.operation.operands)
    return sorted(i for i in candidates if args[i] not in live)


def _remove_variables(
    op: ir.Operation, cond: ir.Operation, body: ir.Operation, dead: list[int]
) -> None:
    keep = [i for i in range(len(op.results)) if i not in dead]
    ret = list(_block(body).operations)[-1]
    returned = list(ret.operands)
    with ir.InsertionPoint(ret), ret.location:
        ir.Operation.create("func.return", operands=[returned[i] for i in keep])
    ret.erase()
    for fn in (cond, body):
        block = _block(fn)
        for i in reversed(dead):
            arg = block.arguments[i]
            if list(arg.uses):  # only dead ops in the body read it: remove them first
                _erase_users(arg)
            block.erase_argument(i)
        last = list(block.operations)[-1]
        fn.attributes["function_type"] = ir.TypeAttr.get(
            ir.FunctionType.get([a.type for a in block.arguments], [v.type for v in last.operands])
        )
    attrs = {name: op.attributes[name] for name in op.attributes}
    for key in ("T", "output_shapes"):
        if key in attrs:
            attrs[key] = ir.ArrayAttr.get([list(ir.ArrayAttr(attrs[key]))[i] for i in keep])
    new = ir.Operation.create(
        op.name,
        results=[op.results[i].type for i in keep],
        operands=[op.operands[i] for i in keep],
        attributes=attrs,
        loc=op.location,
        ip=ir.InsertionPoint(op),
    )
    for k, i in enumerate(keep):
        op.results[i].replace_all_uses_with(new.results[k])
    op.erase()


def _erase_users(value: ir.Value) -> None:
    """Erases every op transitively using `value` (all dead by construction), users first."""
    doomed: list[ir.Operation] = []
    stack = [value]
    while stack:
        v = stack.pop()
        for use in v.uses:
            user = use.owner.operation if isinstance(use.owner, ir.OpView) else use.owner
            if user not in doomed:
                doomed.append(user)
                stack.extend(user.results)
    block = doomed[0].block if doomed else None
    if block is None:
        return
    for op in reversed(list(block.operations)):
        if op.operation in doomed:
            op.operation.erase()


PASS = Pass(
    "tf-optimize-while", "Sink constant loop invariants, remove dead loop variables", optimize_while
)
