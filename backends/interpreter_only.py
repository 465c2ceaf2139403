"""What only an interpreter runs: state kept between invokes (resource variables, hash tables
and the CALL_ONCE that fills them, `runtime/op_traits.STATEFUL`) and string tensors.

The compiled targets refuse such a model by its first such op, in one line: their code has no
string type, and fallback steps run in separate interpreters that would not share the state.
The tflite target writes them (tflc.Interpreter and LiteRT run them).
"""

from __future__ import annotations

from mlir import ir
from tflc.dialects.tfl_verifier import describe_location
from tflc.errors import TflcError
from tflc.runtime.op_traits import STATEFUL

_STATEFUL_OPS = {f"tfl.{name.lower()}" for name in STATEFUL}
_INTERPRETER_ONLY_TYPES = ("!tfl.string", "!tfl.resource")


def _interpreter_only_type(t: ir.Type) -> bool:
    if not isinstance(t, ir.ShapedType):
        return False
    return str(ir.ShapedType(t).element_type) in _INTERPRETER_ONLY_TYPES


def first_interpreter_only_op(module: ir.Module) -> ir.Operation | None:
    for fn in module.body.operations:
        if fn.operation.name != "func.func":
            continue
        for op in fn.regions[0].blocks[0].operations:
            op = op.operation
            values = [*op.operands, *op.results]
            if op.name in _STATEFUL_OPS or any(_interpreter_only_type(v.type) for v in values):
                return op
    return None


def refuse_interpreter_only_ops(module: ir.Module, target: str) -> None:
    with module.context:
        op = first_interpreter_only_op(module)
        if op is None:
            return
        where = f"'{op.name}' at {describe_location(op.location) or '<unknown>'}"
    raise TflcError(
        f"the {target} target cannot compile it: resource variables, hash tables and "
        "string tensors run only in an interpreter (target 'tflite', tflc.Interpreter or "
        "LiteRT), not even with fallback='runtime', whose steps would not share their state",
        where,
    )
