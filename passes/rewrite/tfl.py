"""Small helpers the tfl optimization passes share: sweeping ops, reading and making constants.

A rewrite visits ops in block order and may only erase the op it visits or ops before it (its
producers), and insert new ops before it; `rewrite_to_fixpoint` then stays safe while it walks a
snapshot of the block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from mlir import ir
from tflc.dialects import tfl
from tflc.dialects.tfl_verifier import location_names

# Ops whose `fused_activation_function` applies to their (single) result.
FUSED_ACTIVATION_OPS = {
    "tfl.conv_2d",
    "tfl.depthwise_conv_2d",
    "tfl.fully_connected",
    "tfl.add",
    "tfl.sub",
    "tfl.mul",
    "tfl.div",
    "tfl.average_pool_2d",
    "tfl.max_pool_2d",
    "tfl.l2_pool_2d",
    "tfl.concatenation",
}
CONV_OPS = ("tfl.conv_2d", "tfl.depthwise_conv_2d")
WEIGHTED_OPS = ("tfl.conv_2d", "tfl.depthwise_conv_2d", "tfl.fully_connected")


def func_blocks(module: ir.Operation) -> Iterator[ir.Block]:
    """The body blocks of the module's functions (tfl control flow bodies are functions too)."""
    for fn in module.regions[0].blocks[0].operations:
        if fn.operation.name == "func.func" and len(fn.operation.regions[0].blocks):
            yield fn.operation.regions[0].blocks[0]


def rewrite_pass(name: str, summary: str, rewrite: Callable[[ir.Operation], bool]):
    """A registered pass that applies `rewrite` to every op until nothing changes."""
    from tflc.passes.registry import Pass

    return Pass(name, summary, lambda module: rewrite_to_fixpoint(module, rewrite))


def rewrite_to_fixpoint(
    module: ir.Operation, rewrite: Callable[[ir.Operation], bool], max_sweeps: int = 32
) -> int:
    """Applies `rewrite(op) -> changed` to every op until nothing changes; returns the count."""
    total = 0
    for block in func_blocks(module):
        for _ in range(max_sweeps):
            changed = 0
            for op in list(block.operations):
                if rewrite(op.operation):
                    changed += 1
            total += changed
            if not changed:
                break
    return total


def defining_op(value: ir.Value) -> ir.Operation | None:
    owner = value.owner
    return owner.operation if isinstance(owner, ir.Operation | ir.OpView) else None


def value_location(value: ir.Value) -> ir.Location:
    """The location that names `value`'s tensor, for an op that takes its place as a model
    input or output: the block argument's, or its op's (only its own name when the op's
    fused location names each result)."""
    op = defining_op(value)
    if op is None:
        return value.location
    names = location_names(op.location)
    k = ir.OpResult(value).result_number
    if len(names) > 1 and k < len(names):
        return ir.Location.name(names[k])
    return op.location


def const_value(value: ir.Value) -> np.ndarray | None:
    """The value of a plain (unquantized) `tfl.pseudo_const` producing `value`, else None."""
    op = defining_op(value)
    if op is None or op.name != "tfl.pseudo_const":
        return None
    return tfl.constant_value(op)


def float_const(value: ir.Value) -> np.ndarray | None:
    """`const_value` when it is float32."""
    v = const_value(value)
    return v if v is not None and v.dtype == np.float32 else None


def use_count(value: ir.Value) -> int:
    return sum(1 for _ in value.uses)


def has_one_use(value: ir.Value) -> bool:
    return use_count(value) == 1


def attr_str(op: ir.Operation, name: str) -> str | None:
    attr = op.attributes[name] if name in op.attributes else None
    if attr is None:
        return None
    if isinstance(attr, ir.StringAttr):
        return attr.value
    if isinstance(attr, ir.IntegerAttr | ir.BoolAttr | ir.FloatAttr):
        return attr.value
    return str(attr)


def activation(op: ir.Operation) -> str | None:
    return attr_str(op, "fused_activation_function")


def set_activation(op: ir.Operation, value: str) -> None:
    op.attributes["fused_activation_function"] = ir.StringAttr.get(value, context=op.context)


def ranked_type(value: ir.Value) -> ir.RankedTensorType | None:
    t = value.type
    return ir.RankedTensorType(t) if isinstance(t, ir.RankedTensorType) else None


def static_shape(value: ir.Value) -> list[int] | None:
    t = ranked_type(value)
    if t is None or not t.has_static_shape:
        return None
    return list(t.shape)


def is_float(value: ir.Value, width: int | None = 32) -> bool:
    t = ranked_type(value) or value.type
    elem = ir.ShapedType(t).element_type if isinstance(t, ir.ShapedType) else None
    if width is None:
        return isinstance(elem, ir.F32Type | ir.F16Type)
    return isinstance(elem, ir.F32Type) if width == 32 else isinstance(elem, ir.F16Type)


def is_none(value: ir.Value) -> bool:
    return isinstance(value.type, ir.NoneType)


def make_const(array: np.ndarray, before: ir.Operation, loc: ir.Location | None = None) -> ir.Value:
    """A new `tfl.pseudo_const` inserted before `before`."""
    with ir.InsertionPoint(before), loc or before.location:
        return tfl.constant(np.ascontiguousarray(array))


def shape_const(shape: list[int], before: ir.Operation) -> ir.Value:
    return make_const(np.array(shape, dtype=np.int32), before)


def replace_op(op: ir.Operation, *values: ir.Value) -> None:
    """Replaces the results of `op` by `values` and erases it."""
    for result, value in zip(op.results, values, strict=True):
        result.replace_all_uses_with(value)
    op.erase()


def with_result_type(op: ir.Operation, result_type: ir.Type) -> ir.Operation:
    """A copy of the single-result `op` (same operands and attributes) with another result type."""
    with ir.InsertionPoint(op), op.location:
        new = ir.Operation.create(
            op.name,
            results=[result_type],
            operands=list(op.operands),
            attributes=dict(op.attributes.items()),
        )
    return new


def create_before(
    before: ir.Operation,
    name: str,
    operands: list[ir.Value],
    result_types: list[ir.Type],
    loc: ir.Location | None = None,
    **options,
) -> ir.Operation:
    with ir.InsertionPoint(before), loc or before.location:
        return tfl.create(name, operands, result_types, **options)


def tensor_of(shape: list[int], like: ir.Value) -> ir.Type:
    """A ranked tensor type of `shape` with the element type of `like`."""
    return ir.RankedTensorType.get(shape, ir.ShapedType(like.type).element_type)


def broadcast_channel_vector(c: np.ndarray, out_shape: list[int]) -> np.ndarray | None:
    """`c` as a vector over the last axis of `out_shape` when `c` broadcasts only along it."""
    if c.ndim > len(out_shape):
        return None
    channels = out_shape[-1]
    if any(d != 1 for d in c.shape[:-1]) or (c.ndim and c.shape[-1] not in (1, channels)):
        return None
    return np.broadcast_to(c.reshape(-1) if c.ndim else c, (channels,)).astype(np.float32)


def output_channel_axis(op_name: str) -> int:
    """The filter axis holding output channels: OHWI conv, 1HWO depthwise, OI fully connected."""
    return 3 if op_name == "tfl.depthwise_conv_2d" else 0


def weighted_producer_and_channel_const(
    op: ir.Operation, commutative: bool
) -> tuple[ir.Operation, np.ndarray, ir.Value | None] | None:
    """For a binary `op` of a float conv / depthwise conv / fully connected result and a
    constant that varies at most along the output channels: (that producer, the constant as a
    per-channel vector, the reshape of the producer's result `op` reads or None). The producer
    must have no fused activation and no other user, and the binary op must not broadcast the
    producer's result to a larger shape. A reshape between them that keeps the last (channel)
    axis is looked through."""
    if len(op.operands) != 2 or not is_float(op.result):
        return None
    candidates = [(0, 1), (1, 0)] if commutative else [(0, 1)]
    for xi, ci in candidates:
        x, c = op.operands[xi], op.operands[ci]
        producer = defining_op(x)
        via = None
        if producer is not None and producer.name == "tfl.reshape" and has_one_use(x):
            inner = producer.operands[0]
            inner_shape, outer_shape = static_shape(inner), static_shape(x)
            if inner_shape and outer_shape and inner_shape[-1] == outer_shape[-1]:
                via, x, producer = x, inner, defining_op(inner)
        value = float_const(c)
        if (
            producer is None
            or value is None
            or producer.name not in WEIGHTED_OPS
            or activation(producer) != "NONE"
            or not has_one_use(x)
            or (via if via is not None else x).type != op.result.type
        ):
            continue
        shape = static_shape(via if via is not None else x)
        if shape is None:
            continue
        vector = broadcast_channel_vector(value, shape)
        if vector is not None:
            return producer, vector, via
    return None


def bias_value(producer: ir.Operation) -> np.ndarray | None:
    """The float bias of a weighted op (zeros when it has none), or None when not constant."""
    channels = static_shape(producer.result)[-1]
    if len(producer.operands) < 3 or is_none(producer.operands[2]):
        return np.zeros(channels, np.float32)
    return float_const(producer.operands[2])


def set_bias(producer: ir.Operation, bias: np.ndarray) -> ir.Operation:
    """Gives `producer` a new constant bias operand (its old one is left to DCE); returns the
    op now computing the result (a rebuilt one when `producer` had no bias operand)."""
    new = make_const(bias.astype(np.float32), producer, ir.Location.name("bias", producer.location))
    if len(producer.operands) >= 3:
        producer.operands[2] = new
        return producer
    operands = list(producer.operands) + [new]
    with ir.InsertionPoint(producer), producer.location:
        rebuilt = ir.Operation.create(
            producer.name,
            results=[producer.result.type],
            operands=operands,
            attributes=dict(producer.attributes.items()),
        )
    replace_op(producer, rebuilt.result)
    return rebuilt


def take_activation(producer: ir.Operation, op: ir.Operation, via: ir.Value | None = None) -> None:
    """Moves `op`'s fused activation onto `producer` and replaces `op` by `producer`'s result
    (or by `via`, a reshape of it)."""
    set_activation(producer, activation(op) or "NONE")
    replace_op(op, via if via is not None else producer.result)


def scalar_const(value: ir.Value) -> float | None:
    """The value of a float constant whose elements are all equal, else None."""
    c = float_const(value)
    if c is None or c.size == 0 or not np.all(c == c.reshape(-1)[0]):
        return None
    return float(c.reshape(-1)[0])


def producer_named(value: ir.Value, *names: str) -> ir.Operation | None:
    op = defining_op(value)
    return op if op is not None and op.name in names else None


def split_const_operand(op: ir.Operation) -> tuple[ir.Value, float] | None:
    """For a binary op with one scalar-like float constant operand: (other operand, constant).
    The constant must not broadcast the other operand to a larger shape."""
    for xi, ci in ((0, 1), (1, 0)):
        c = scalar_const(op.operands[ci])
        x = op.operands[xi]
        if c is not None and x.type == op.result.type:
            return x, c
    return None
