"""tfl-legalize-tf: tf dialect ops -> tfl ops, then the fusions TensorFlow's converter makes.

Run after tf-prepare (identities gone, constants folded). The legalizers live by op family in
tf_to_tfl/: nn.py, math.py, decomposed.py (ops written with other builtins), shape.py, einsum.py,
indexing.py, matrix.py, image.py, signal.py (complex numbers), random.py, misc.py, quant.py (QAT
fake quantization), control.py and stateful.py (variables, lookup tables, the CALL_ONCE of the
initializer); then tf_to_tfl/types.py spells string and resource types the tfl way. Every tf op
left without a legalizer is reported in one error, each with its node
name and Python line; with `allow_select_tf_ops` they become Flex custom ops instead
(tf_to_tfl/flex.py).
"""

from __future__ import annotations

from mlir import ir
from tflc.dialects import tf as tf_dialect
from tflc.errors import TflcError
from tflc.passes.registry import Pass
from tflc.passes.tf_to_tfl.common import LEGALIZERS, TfOp, Unsupported


def _load_legalizers() -> None:
    # Imported for their @legalizes registrations.
    from tflc.passes.tf_to_tfl import (  # noqa: F401
        control,
        decomposed,
        einsum,
        image,
        indexing,
        math,
        matrix,
        misc,
        nn,
        quant,
        random,
        shape,
        signal,
        stateful,
    )


def supported_tf_ops() -> set[str]:
    """Op types that never need a NodeDef kept for Flex: legalized, or removed before."""
    _load_legalizers()
    from tflc.passes.tf_lower_tensor_list import LIST_OPS
    from tflc.passes.tf_prepare import IDENTITIES

    lists = {name.removeprefix("tf.") for name in LIST_OPS}
    return set(LEGALIZERS) | IDENTITIES | lists | {"Const", "NoOp"}


def functions(module: ir.Operation) -> list[ir.Operation]:
    return [
        op.operation
        for op in module.regions[0].blocks[0].operations
        if op.operation.name == "func.func"
    ]


def legalize_tf(module: ir.Operation, allow_select_tf_ops: bool = False) -> None:
    _load_legalizers()
    failures: list[tuple[ir.Operation, str]] = []
    for fn in functions(module):
        block = fn.regions[0].blocks[0]
        for op in list(block.operations):
            op = op.operation
            if not tf_dialect.is_tf_op(op):
                continue
            reason = _legalize_op(op)
            if reason is not None:
                failures.append((op, reason))
    if failures and allow_select_tf_ops:
        from tflc.passes.tf_to_tfl.flex import to_flex_op

        for op, _ in failures:
            to_flex_op(op)
        failures = []
    if failures:
        raise unsupported_error(failures)
    from tflc.dialects.tf_importer_resources import INITIALIZER_ATTR
    from tflc.passes.tf_to_tfl.fuse import fuse_tfl
    from tflc.passes.tf_to_tfl.stateful import call_initializer
    from tflc.passes.tf_to_tfl.types import use_tfl_element_types

    call_initializer(module, INITIALIZER_ATTR)
    use_tfl_element_types(module)
    fuse_tfl(module)
    _erase_unused_constants(module)


def _erase_unused_constants(module: ir.Operation) -> None:
    """The tf constants that legalization re-laid out (filters, biases) are garbage now."""
    for fn in functions(module):
        for op in list(fn.regions[0].blocks[0].operations):
            op = op.operation
            if op.name == "tfl.pseudo_const" and not list(op.results[0].uses):
                op.erase()


def _legalize_op(op: ir.Operation) -> str | None:
    """Replaces `op` by tfl ops; the reason it cannot, or None when done."""
    if op.name == "tf.Const":
        _legalize_const(op)
        return None
    legalizer = LEGALIZERS.get(tf_dialect.op_type(op))
    if legalizer is None:
        return "no TFLite builtin equivalent"
    try:
        with ir.InsertionPoint(op), op.location:
            values = legalizer(TfOp(op))
    except Unsupported as e:
        return str(e)
    for old, new in zip(op.results, values, strict=True):
        old.replace_all_uses_with(new)
    op.erase()
    return None


def _legalize_const(op: ir.Operation) -> None:
    value = op.attributes["value"]
    # String constants hold TFLite's string buffer (dialects/tf_importer.string_attr).
    is_string = str(ir.ShapedType(op.results[0].type).element_type) == "!tf_type.string"
    new = ir.Operation.create(
        "tfl.pseudo_raw_const" if is_string else "tfl.pseudo_const",
        results=[op.results[0].type],
        attributes={"value": value},
        loc=op.location,
        ip=ir.InsertionPoint(op),
    )
    op.results[0].replace_all_uses_with(new.result)
    op.erase()


def unsupported_error(failures: list[tuple[ir.Operation, str]]) -> TflcError:
    lines = [f"  {tf_dialect.describe_op(op)}: {reason}" for op, reason in failures]
    kinds = sorted({tf_dialect.op_type(op) for op, _ in failures})
    first = tf_dialect.describe_op(failures[0][0])
    return TflcError(
        f"{len(failures)} TensorFlow op(s) cannot be converted to TFLite builtins "
        f"({', '.join(kinds)}); use --allow-select-tf-ops to emit them as Flex ops:\n"
        + "\n".join(lines),
        first,
    )


PASS = Pass("tfl-legalize-tf", "Convert tf dialect ops to tfl ops", legalize_tf)
