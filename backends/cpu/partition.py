"""Runtime-kernel fallback of the cpu target (`fallback="runtime"`): ops without a native kernel
(custom ops, mostly) split `@main` into steps, run in order by runtime/cpu_pipeline.py:

    native step  consecutive ops with kernels, compiled like a whole model (own library)
    host step    one op without a kernel, run by tflc's interpreter kernels on numpy arrays

Each step is a small tfl module of its own: its inputs are the values it reads from earlier
steps or the model's arguments, its outputs the values later steps or the return read;
constants are copied into every step that uses them. A host step is saved as a one-op .tflite.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mlir import ir
from mlir.dialects import func
from tflc.dialects.tfl_verifier import describe_location

# Ops the graph extraction folds or skips rather than compiling (see graph.extract_graph).
_FOLDED = {"tfl.pseudo_const", "tfl.pseudo_qconst", "tfl.pseudo_sparse_const", "tfl.no_value"}
# ... and these when their operand is constant (float16 / int8 weights, sparse weights).
_FOLDED_ON_CONSTANTS = {"tfl.dequantize", "tfl.densify"}


def _is_constant(op: ir.Operation, constants: set[ir.Value]) -> bool:
    if op.name in _FOLDED:
        return True
    return op.name in _FOLDED_ON_CONSTANTS and all(v in constants for v in op.operands)


def kernel_key(op: ir.Operation) -> str:
    """The name the cpu emitters are registered under (custom ops by their custom code)."""
    key = op.name.removeprefix("tfl.")
    if key == "custom" and "custom_code" in op.attributes:
        key = f"custom:{ir.StringAttr(op.attributes['custom_code']).value}"
    return key


def op_label(op: ir.Operation) -> str:
    """'tfl.x', or 'tfl.custom' (custom op 'Code')."""
    what = f"'{op.name}'"
    if op.name == "tfl.custom" and "custom_code" in op.attributes:
        what += f" (custom op '{ir.StringAttr(op.attributes['custom_code']).value}')"
    return what


def describe_op(op: ir.Operation) -> str:
    return f"{op_label(op)} at {describe_location(op.location) or '<unknown>'}"


def main_function(module: ir.Module) -> ir.Operation | None:
    funcs = [op.operation for op in module.body.operations if op.operation.name == "func.func"]
    main = next((f for f in funcs if f.attributes["sym_name"].value == "main"), None)
    return main or (funcs[0] if funcs else None)


def unsupported_ops(module: ir.Module, supported: set[str]) -> list[ir.Operation]:
    main = main_function(module)
    if main is None:
        return []
    funcs = {
        f.operation.attributes["sym_name"].value: f.operation
        for f in module.body.operations
        if f.operation.name == "func.func"
    }
    return _missing(main.regions[0].blocks[0].operations, supported, funcs, frozenset())


def innermost_unsupported(module: ir.Module, op: ir.Operation, supported: set[str]):
    """The op without a kernel that makes `op` (from `unsupported_ops`) unsupported: itself, or
    the first such op inside the subgraphs of a tfl.while / tfl.if, for the error to name."""
    funcs = {
        f.operation.attributes["sym_name"].value: f.operation
        for f in module.body.operations
        if f.operation.name == "func.func"
    }
    seen: set[str] = set()
    while kernel_key(op) in supported:
        for attr in SUBGRAPH_FIELDS.get(op.name, ()):
            name = ir.FlatSymbolRefAttr(op.attributes[attr]).value
            if name in funcs and name not in seen:
                seen.add(name)
                inner = _missing(
                    funcs[name].regions[0].blocks[0].operations, supported, funcs, frozenset(seen)
                )
                if inner:
                    op = inner[0]
                    break
        else:
            return op  # a missing or recursive subgraph: the op itself
    return op


def _missing(ops, supported: set[str], funcs, seen: frozenset) -> list[ir.Operation]:
    constants: set[ir.Value] = set()
    missing = []
    for op in ops:
        op = op.operation
        if _is_constant(op, constants):
            constants.update(op.results)
        elif op.name.startswith("tfl.") and not _compiles(op, supported, funcs, seen):
            missing.append(op)
    return missing


# The attributes naming the subgraphs a control-flow op runs.
SUBGRAPH_FIELDS = {
    "tfl.while": ("cond_subgraph_index", "body_subgraph_index"),
    "tfl.if": ("then_subgraph_index", "else_subgraph_index"),
    "tfl.call": ("subgraph",),
}


def _compiles(op: ir.Operation, supported: set[str], funcs, seen: frozenset) -> bool:
    """Whether `op` has a kernel: a `tfl.while` / `tfl.if` / `tfl.call` when every op of its
    subgraphs does (else the whole op runs on the host under fallback="runtime")."""
    if kernel_key(op) not in supported:
        return False
    for attr in SUBGRAPH_FIELDS.get(op.name, ()):
        name = ir.FlatSymbolRefAttr(op.attributes[attr]).value
        fn = funcs.get(name)
        if fn is None or name in seen:
            return False  # missing or recursive: extract_graph names the problem
        if _missing(fn.regions[0].blocks[0].operations, supported, funcs, seen | {name}):
            return False
    return True


@dataclass
class Step:
    kind: str  # "native" or "host"
    ops: list[ir.Operation]
    inputs: list[ir.Value] = field(default_factory=list)
    outputs: list[ir.Value] = field(default_factory=list)


def split_steps(module: ir.Module, host_ops: list[ir.Operation]) -> tuple[list[Step], ir.Operation]:
    """Consecutive compilable ops form one native step; each of `host_ops` a host step."""
    main = main_function(module)
    block = main.regions[0].blocks[0]
    host = set(host_ops)
    steps: list[Step] = []
    ret = None
    constants: set[ir.Value] = set()
    for op in block.operations:
        op = op.operation
        if op.name == "func.return":
            ret = op
        elif _is_constant(op, constants):
            constants.update(op.results)  # copied into the steps that read it
        elif op in host:
            steps.append(Step("host", [op]))
        elif steps and steps[-1].kind == "native":
            steps[-1].ops.append(op)
        else:
            steps.append(Step("native", [op]))
    produced_by: dict[ir.Value, int] = {}
    for i, s in enumerate(steps):
        for op in s.ops:
            for r in op.results:
                produced_by[r] = i
    read_later: set[ir.Value] = set(ret.operands)
    for i, s in enumerate(steps):
        for op in s.ops:
            for v in op.operands:
                if produced_by.get(v, i) != i:
                    read_later.add(v)
                if _is_argument(v) or produced_by.get(v, i) != i:
                    if v not in s.inputs:
                        s.inputs.append(v)
    for s in steps:
        s.outputs = [r for op in s.ops for r in op.results if r in read_later]
    return steps, ret


def _is_argument(v: ir.Value) -> bool:
    return isinstance(v.owner, ir.Block)


def step_module(step: Step) -> ir.Module:
    """A standalone tfl module computing `step.outputs` from `step.inputs`."""
    with ir.Location.unknown():
        module = ir.Module.create()
        with ir.InsertionPoint(module.body):
            f = func.FuncOp("main", ([v.type for v in step.inputs], [v.type for v in step.outputs]))
            block = f.add_entry_block()
        mapping: dict[ir.Value, ir.Value] = dict(zip(step.inputs, block.arguments, strict=True))

        def clone(op: ir.Operation) -> None:
            new = op.clone()
            for i, v in enumerate(op.operands):
                new.operands[i] = mapping[v]
            for old, r in zip(op.results, new.results, strict=True):
                mapping[old] = r

        def copy_constant(v: ir.Value) -> None:
            """Clones the constant `v` (and what it is computed from) into the step."""
            for u in v.owner.operands:
                if u not in mapping:
                    copy_constant(u)
            clone(v.owner)

        with ir.InsertionPoint(block):
            for op in step.ops:
                for v in op.operands:
                    if v not in mapping:  # defined outside any step: a constant or no_value
                        copy_constant(v)
                clone(op)
            func.ReturnOp([mapping[v] for v in step.outputs])
        with ir.InsertionPoint(module.body):
            for fn in _subgraphs_called(step.ops):
                fn.clone()
    return module


def _subgraphs_called(ops: list[ir.Operation]) -> list[ir.Operation]:
    """The functions that `ops` run as subgraphs (tfl.while / tfl.if / tfl.call), and theirs,
    in order."""
    if not ops:
        return []
    source = ops[0].parent.parent  # the module holding the step's function
    funcs = {
        f.operation.attributes["sym_name"].value: f.operation
        for f in source.regions[0].blocks[0].operations
        if f.operation.name == "func.func"
    }
    found: dict[str, ir.Operation] = {}
    pending = list(ops)
    while pending:
        op = pending.pop(0).operation
        for attr in SUBGRAPH_FIELDS.get(op.name, ()):
            name = ir.FlatSymbolRefAttr(op.attributes[attr]).value
            if name in funcs and name not in found:
                found[name] = funcs[name]
                pending += list(funcs[name].regions[0].blocks[0].operations)
    return list(found.values())
