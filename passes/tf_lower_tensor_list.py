"""tf-lower-tensor-list: TensorLists of known size and element shape -> plain tensors.

Keras RNN loops (and tf.TensorArray in a tf.while_loop) carry TensorLists through While ops. TFLite
has no list type, so a list of `n` elements of shape `e` becomes one `[n, *e]` tensor:

    TensorListReserve(e, n)        -> zeros [n, *e]
    TensorListFromTensor(t, e)     -> t
    TensorListGetItem(l, i, e)     -> GatherV2(l, i, axis=0)
    TensorListSetItem(l, i, x)     -> tfl.dynamic_update_slice(l, reshape(x, [1, *e]), [i, 0, ...])
    TensorListStack(l, e)          -> l
    TensorListLength(l)            -> n

While ops carrying a lowered list get that tensor type for the loop variable, in their results
and in the cond and body functions' arguments; the rewrite repeats until nothing changes, so lists
passed through nested loops are lowered too.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.dialects import tf as tf_dialect
from tflc.dialects import tfl
from tflc.passes.registry import Pass
from tflc.passes.tf_prepare import make_const
from tflc.passes.tf_to_tfl.common import numpy_dtype, python_value, static_shape, with_shape

LIST_OPS = {
    "tf.TensorListReserve",
    "tf.TensorListFromTensor",
    "tf.TensorListGetItem",
    "tf.TensorListSetItem",
    "tf.TensorListStack",
    "tf.TensorListLength",
}


def _is_variant(t: ir.Type) -> bool:
    return "variant" in str(t)


def lower_tensor_lists(module: ir.Operation) -> None:
    from tflc.passes.legalize_tf import functions

    symbols = {ir.StringAttr(f.attributes["sym_name"]).value: f for f in functions(module)}
    for _ in range(32):  # each round lowers one more level of nesting
        changed = False
        for fn in symbols.values():
            block = fn.regions[0].blocks[0]
            for op in list(block.operations):
                op = op.operation
                if op.name in LIST_OPS:
                    changed |= _lower(op)
                elif op.name in ("tf.While", "tf.StatelessWhile"):
                    changed |= _retype_loop(op, symbols)
        if not changed:
            break
    for fn in symbols.values():
        _sync_function_type(fn)


def _lower(op: ir.Operation) -> bool:
    kind = op.name
    operands = list(op.operands)
    with ir.InsertionPoint(op), op.location:
        if kind == "tf.TensorListReserve":
            value = _reserve(op)
        elif kind == "tf.TensorListFromTensor":
            value = operands[0]
        elif _is_variant(operands[0].type):
            return False  # the list is not lowered yet (a loop argument, say)
        elif kind == "tf.TensorListGetItem":
            value = _gather(operands[0], operands[1], op.results[0].type)
        elif kind == "tf.TensorListSetItem":
            value = _update(operands[0], operands[1], operands[2])
        elif kind == "tf.TensorListStack":
            value = operands[0]
        else:  # TensorListLength
            n = static_shape(operands[0].type)[0]
            value = make_const(np.array(n), op.results[0].type, op.location)
    if value is None:
        return False
    op.results[0].replace_all_uses_with(value)
    op.erase()
    return True


def _reserve(op: ir.Operation) -> ir.Value | None:
    shape = tf_dialect.const_value(op.operands[0])
    count = tf_dialect.const_value(op.operands[1])
    if shape is None or count is None or int(count) < 0:
        return None  # left for legalization to report
    elem = python_value(op.attributes["element_dtype"])
    dims = [int(count), *[int(d) for d in np.asarray(shape).reshape(-1)]]
    if any(d < -1 for d in dims):
        return None
    # An unknown element dim (a Keras RNN's batch) starts as 1: the first SetItem broadcasts
    # the list to its item's run-time shape (_update), so the list's type keeps it unknown.
    zeros = make_const(
        np.zeros([max(d, 1) for d in dims], numpy_dtype(elem)),
        with_shape([max(d, 1) for d in dims], elem),
        op.location,
    )
    if -1 not in dims:
        return zeros
    return ir.Operation.create(
        "tf.Identity", results=[with_shape(dims, elem)], operands=[zeros]
    ).result


def _i32_const(values) -> ir.Value:
    return make_const(np.asarray(values, np.int32), with_shape([len(values)], _i32()), _loc())


def _i32() -> ir.Type:
    return ir.IntegerType.get_signless(32)


def _loc() -> ir.Location:
    return ir.Location.current


def _gather(lst: ir.Value, index: ir.Value, result_type: ir.Type) -> ir.Value:
    shape = static_shape(lst.type)
    elem = ir.ShapedType(lst.type).element_type
    axis = make_const(np.array(0, np.int32), ir.RankedTensorType.get([], _i32()), _loc())
    out_type = with_shape(shape[1:], elem)
    return ir.Operation.create(
        "tf.GatherV2",
        results=[out_type],
        operands=[lst, index, axis],
        attributes={"batch_dims": ir.IntegerAttr.get(ir.IntegerType.get_signless(64), 0)},
    ).result


def _update(lst: ir.Value, index: ir.Value, item: ir.Value) -> ir.Value:
    shape = static_shape(lst.type)
    elem = ir.ShapedType(lst.type).element_type
    zero = make_const(np.array(0, np.int32), ir.RankedTensorType.get([], _i32()), _loc())
    if -1 in shape[1:]:
        return _update_unknown_element_shape(lst, index, item, shape, elem, zero)
    update = ir.Operation.create(
        "tf.Reshape",
        results=[with_shape([1, *shape[1:]], elem)],
        operands=[item, _i32_const([1, *shape[1:]])],
    ).result
    if shape[0] == 1:
        return update  # the update covers the whole one-element list
    starts = _starts(index, zero, len(shape))
    return tfl.create("dynamic_update_slice", [lst, update, starts], [lst.type]).result


def _starts(index: ir.Value, zero: ir.Value, rank: int) -> ir.Value:
    return ir.Operation.create(
        "tf.Pack",
        results=[with_shape([rank], _i32())],
        operands=[index] + [zero] * (rank - 1),
        attributes={"axis": ir.IntegerAttr.get(ir.IntegerType.get_signless(64), 0)},
    ).result


def _update_unknown_element_shape(lst, index, item, shape, elem, zero) -> ir.Value:
    """SetItem into a list whose element shape is known only at run time: the list is first
    broadcast to [n, *shape(item)] (its unknown dims start as 1, see _reserve; later writes
    find it that shape already), then the item written at `index`."""
    rank = len(shape)
    item_shape = ir.Operation.create(
        "tf.Shape", results=[with_shape([rank - 1], _i32())], operands=[item]
    ).result
    dims = ir.Operation.create(
        "tf.ConcatV2",
        results=[with_shape([rank], _i32())],
        operands=[_i32_const([shape[0]]), item_shape, zero],
    ).result
    grown = ir.Operation.create("tf.BroadcastTo", results=[lst.type], operands=[lst, dims]).result
    update = ir.Operation.create(
        "tf.ExpandDims", results=[with_shape([1, *shape[1:]], elem)], operands=[item, zero]
    ).result
    starts = _starts(index, zero, rank)
    return tfl.create("dynamic_update_slice", [grown, update, starts], [lst.type]).result


def _retype_loop(op: ir.Operation, symbols: dict[str, ir.Operation]) -> bool:
    """Gives loop variables whose list was lowered the list's tensor type, everywhere."""
    changed = False
    bodies = [symbols[python_value(op.attributes[k])] for k in ("cond", "body")]
    for i, (operand, result) in enumerate(zip(op.operands, op.results, strict=True)):
        if _is_variant(operand.type) or not _is_variant(result.type):
            continue
        result.set_type(operand.type)
        for fn in bodies:
            fn.regions[0].blocks[0].arguments[i].set_type(operand.type)
        changed = True
    if changed:
        for fn in bodies:
            _sync_function_type(fn)
    return changed


def _sync_function_type(fn: ir.Operation) -> None:
    block = fn.regions[0].blocks[0]
    ret = list(block.operations)[-1]
    fn.attributes["function_type"] = ir.TypeAttr.get(
        ir.FunctionType.get([a.type for a in block.arguments], [v.type for v in ret.operands])
    )


PASS = Pass(
    "tf-lower-tensor-list",
    "Lower TensorLists of static size and element shape to tensors",
    lower_tensor_lists,
)
