"""tf-prepare: readies a tf module for legalization.

Removes identities and no-ops, folds shape queries of statically shaped tensors (Shape, Rank,
Size) and every op whose inputs are all constants (passes/tf_to_tfl/fold_kernels.py), and drops ops
left without users. Inference-mode batch norm needs nothing here: its statistics are frozen
constants, so FusedBatchNormV3 and the decomposed form of `tf.nn.batch_normalization` both fold
to one multiply and one add, which legalization then folds into the producing convolution.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.dialects import tf as tf_dialect
from tflc.dialects.tf_importer import dense_attr
from tflc.passes.registry import Pass
from tflc.passes.tf_to_tfl.common import element_of, numpy_dtype, python_value, static_shape
from tflc.passes.tf_to_tfl.fold_kernels import FOLDERS

IDENTITIES = {
    "Identity",
    "IdentityN",
    "Snapshot",
    "StopGradient",
    "PreventGradient",
    "CheckNumerics",
    "EnsureShape",
}
_FOLD_LIMIT = 1 << 24  # elements; bigger results stay computed at run time
# tf ops that are never removed for lack of users: stateful calls and the writes of kept state.
_KEEP = {
    "tf.StatefulPartitionedCall",
    "tf.Assert",
    "tf.PrintV2",
    "tf.AssignVariableOp",
    "tf.AssignAddVariableOp",
    "tf.AssignSubVariableOp",
    "tf.LookupTableImportV2",
}


def prepare_tf(module: ir.Operation) -> None:
    from tflc.passes.legalize_tf import functions

    for fn in functions(module):
        block = fn.regions[0].blocks[0]
        for op in list(block.operations):
            _simplify(op.operation)
        _remove_dead(block)
        _update_function_type(fn)


def _simplify(op: ir.Operation) -> None:
    if not tf_dialect.is_tf_op(op) or op.name == "tf.Const":
        return
    kind = tf_dialect.op_type(op)
    if kind in IDENTITIES:
        for result, operand in zip(op.results, op.operands, strict=False):
            result.replace_all_uses_with(operand)
        return
    if kind == "LogicalNot" and _invert_comparison(op):
        return
    same = _algebraic_identity(op, kind)
    if same is not None:
        op.results[0].replace_all_uses_with(same)
        return
    values = _fold(op, kind)
    if values is None:
        return
    with ir.InsertionPoint(op):
        for result, value in zip(op.results, values, strict=True):
            result.replace_all_uses_with(make_const(value, result.type, op.location))


_INVERSE = {
    "Less": "GreaterEqual",
    "GreaterEqual": "Less",
    "Greater": "LessEqual",
    "LessEqual": "Greater",
    "Equal": "NotEqual",
    "NotEqual": "Equal",
}


def _invert_comparison(op: ir.Operation) -> bool:
    """`!(a >= b)` -> `a < b` when the comparison has no other user."""
    owner = op.operands[0].owner
    if not isinstance(owner, ir.OpView | ir.Operation):
        return False
    comparison = owner.operation
    kind = tf_dialect.op_type(comparison) if tf_dialect.is_tf_op(comparison) else ""
    if kind not in _INVERSE or len(list(comparison.results[0].uses)) != 1:
        return False
    a, b = comparison.operands
    # Exact except for NaN operands of an ordered comparison, as in TensorFlow's converter.
    with ir.InsertionPoint(op):
        inverted = ir.Operation.create(
            f"tf.{_INVERSE[kind]}",
            results=[op.results[0].type],
            operands=[a, b],
            attributes={name: comparison.attributes[name] for name in comparison.attributes},
            loc=op.location,
        )
    op.results[0].replace_all_uses_with(inverted.result)
    return True


# op type -> (operand positions that may be the neutral constant, that constant)
_NEUTRAL = {
    "Mul": ((0, 1), 1.0),
    "RealDiv": ((1,), 1.0),
    "AddV2": ((0, 1), 0.0),
    "Add": ((0, 1), 0.0),
    "Sub": ((1,), 0.0),
}


def _algebraic_identity(op: ir.Operation, kind: str) -> ir.Value | None:
    """`x * 1`, `x / 1`, `x + 0`, `x - 0` -> x (Keras' swish multiplies by beta = 1.0)."""
    if kind not in _NEUTRAL:
        return None
    positions, neutral = _NEUTRAL[kind]
    for i in positions:
        c = _small_const(op.operands[i])
        other = op.operands[1 - i]
        if c is not None and c.size and np.all(c == neutral) and other.type == op.results[0].type:
            return other
    return None


def _small_const(value: ir.Value) -> np.ndarray | None:
    """The value of a splat or tiny constant (weights are not worth reading back here)."""
    owner = value.owner
    if not isinstance(owner, ir.OpView | ir.Operation) or owner.operation.name != "tf.Const":
        return None
    attr = owner.operation.attributes["value"]
    if not isinstance(attr, ir.DenseElementsAttr):
        return None
    if not attr.is_splat and int(np.prod(ir.ShapedType(attr.type).shape)) > 16:
        return None
    return tf_dialect.const_value(value)


def _fold(op: ir.Operation, kind: str) -> list[np.ndarray] | None:
    if kind in ("Shape", "Rank", "Size"):
        shape = static_shape(op.operands[0].type)
        if shape is None or any(d < 0 for d in shape):
            return None
        value = {"Shape": shape, "Rank": len(shape), "Size": int(np.prod(shape))}[kind]
        return [np.array(value)]
    folder = FOLDERS.get(kind)
    if folder is None:
        return None
    inputs = [tf_dialect.const_value(v) for v in op.operands]
    if any(x is None for x in inputs):
        return None
    if any(static_shape(r.type) is None for r in op.results):
        return None
    attrs = {name: python_value(op.attributes[name]) for name in op.attributes}
    try:
        with np.errstate(all="ignore"):
            outputs = folder(inputs, attrs)
    except Exception:  # a case the numpy kernel does not cover: leave the op to run
        return None
    if any(np.asarray(x).size > _FOLD_LIMIT for x in outputs):
        return None
    return outputs


def make_const(value: np.ndarray, result_type: ir.Type, loc: ir.Location) -> ir.Value:
    """A tf.Const of `value` converted to the element type (and static shape) of `result_type`."""
    shaped = ir.ShapedType(result_type)
    elem = shaped.element_type
    array = np.asarray(value).astype(numpy_dtype(elem))
    shape = static_shape(result_type)
    if shape is not None and all(d >= 0 for d in shape) and list(array.shape) != shape:
        array = array.reshape(shape)
    attr = dense_attr(array, None if array.dtype == np.bool_ else elem)
    return ir.Operation.create(
        "tf.Const",
        results=[attr.type],
        attributes={"value": attr, "dtype": ir.TypeAttr.get(elem)},
        loc=loc,
    ).result


def _remove_dead(block: ir.Block) -> None:
    for op in reversed(list(block.operations)):
        op = op.operation
        if (
            tf_dialect.is_tf_op(op)
            and op.name not in _KEEP
            and not _writes_state(op)
            and all(not list(r.uses) for r in op.results)
        ):
            op.erase()


def _writes_state(op: ir.Operation) -> bool:
    """Control flow handed a variable or a table: its bodies may assign it."""
    return op.name in ("tf.If", "tf.While") and any(
        str(element_of(v.type)) == "!tf_type.resource" for v in op.operands
    )


def _update_function_type(fn: ir.Operation) -> None:
    """Function results follow the returned values' types (identities may have refined them)."""
    block = fn.regions[0].blocks[0]
    ret = list(block.operations)[-1]
    old = ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value)
    fn.attributes["function_type"] = ir.TypeAttr.get(
        ir.FunctionType.get(old.inputs, [v.type for v in ret.operands])
    )


PASS = Pass("tf-prepare", "Remove identities, fold constants and shapes in a tf module", prepare_tf)
