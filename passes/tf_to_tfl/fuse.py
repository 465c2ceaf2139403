"""The fusions that follow legalization, as TensorFlow's converter makes them.

- `mul(conv(x, W, b), s)` with a per-output-channel constant `s` -> `conv(x, W*s, b*s)` (the
  multiplier of an inference batch norm), for conv_2d, depthwise_conv_2d, fully_connected and
  transpose_conv;
- `add(conv(x, W, b), c)` with such a constant -> `conv(x, W, b + c)` (a bias add, a batch norm's
  shift);
- an activation after an op with a NONE fused_activation_function -> that op's fused activation.

Each fusion requires the producer's result to have no other user.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.dialects import tfl
from tflc.passes.tf_to_tfl.common import static_shape
from tflc.runtime.kernels.geometry import same_padding

_AFFINE = {
    # op: (filter operand, output-channel axis of the filter, bias operand)
    "tfl.conv_2d": (1, 0, 2),
    "tfl.depthwise_conv_2d": (1, 3, 2),
    "tfl.fully_connected": (1, 0, 2),
    "tfl.transpose_conv": (1, 0, 3),
}
# TANH is a legal fused activation in the schema, but LiteRT's kernels clamp only the relu family.
_ACTIVATIONS = {"tfl.relu": "RELU", "tfl.relu6": "RELU6", "tfl.relu_n1_to_1": "RELU_N1_TO_1"}
_FUSES_ACTIVATION = {
    "tfl.conv_2d",
    "tfl.depthwise_conv_2d",
    "tfl.fully_connected",
    "tfl.transpose_conv",
    "tfl.add",
    "tfl.sub",
    "tfl.mul",
    "tfl.div",
    "tfl.concatenation",
    "tfl.average_pool_2d",
    "tfl.max_pool_2d",
}


_FOLDABLE = ("tfl.mul", "tfl.add")


def fuse_tfl(module: ir.Operation) -> None:
    from tflc.passes.legalize_tf import functions

    for fn in functions(module):
        block = fn.regions[0].blocks[0]
        for op in _ops(block, ("tfl.mul", "tfl.add", "tfl.sub")):
            _fuse_affine(op)
        # Before folding into consumers: a SAME convolution pads with zeros, which a scale
        # before it commutes with.
        for op in _ops(block, ("tfl.conv_2d", "tfl.depthwise_conv_2d")):
            _fuse_pad(op)
        # Last first, so `mul` then `add` both fold; only the op itself is erased by its fold
        # (a rebuilt consumer is never in this list).
        for op in reversed(_ops(block, _FOLDABLE)):
            _fold_into_consumer(op)
        for op in list(block.operations):
            op = op.operation
            if op.name in _ACTIVATIONS:
                _fuse_activation(op)
            elif op.name == "tfl.reshape":
                _fuse_reshapes(op)


def _ops(block: ir.Block, names: tuple[str, ...]) -> list[ir.Operation]:
    return [o.operation for o in block.operations if o.operation.name in names]


def _single_use_producer(value: ir.Value) -> ir.Operation | None:
    owner = value.owner
    if not isinstance(owner, ir.OpView | ir.Operation):
        return None
    if len(list(value.uses)) != 1:
        return None
    return owner.operation


def _channel_constant(value: ir.Value, channels: int) -> np.ndarray | None:
    """A constant broadcasting along the last dim only, as a [channels] vector."""
    owner = value.owner
    if not isinstance(owner, ir.OpView | ir.Operation):
        return None
    array = tfl.constant_value(owner.operation)
    if array is None or not np.issubdtype(array.dtype, np.floating):
        return None
    if array.ndim > 1 and any(d != 1 for d in array.shape[:-1]):
        return None
    flat = array.reshape(-1)
    if flat.size == 1:
        return np.full([channels], flat[0], dtype=array.dtype)
    return flat if flat.size == channels else None


def _fuse_affine(op: ir.Operation) -> None:
    if ir.StringAttr(op.attributes["fused_activation_function"]).value != "NONE":
        return
    lhs, rhs = op.operands
    producer = _single_use_producer(lhs)
    if producer is None or producer.name not in _AFFINE:
        if op.name == "tfl.sub":
            return
        lhs, rhs = rhs, lhs
        producer = _single_use_producer(lhs)
        if producer is None or producer.name not in _AFFINE:
            return
    if ir.StringAttr(producer.attributes["fused_activation_function"]).value != "NONE":
        return
    if op.results[0].type != lhs.type:
        return  # the constant broadcasts the conv's result to a bigger shape
    filter_index, axis, bias_index = _AFFINE[producer.name]
    weights = tfl.constant_value(producer.operands[filter_index].owner.operation)
    if weights is None:
        return
    channels = weights.shape[axis]
    c = _channel_constant(rhs, channels)
    if c is None or (static_shape(lhs.type) or [0])[-1] != channels:
        return
    bias = _bias_of(producer, bias_index, channels, weights.dtype)
    if bias is None:
        return
    if op.name == "tfl.mul":
        shape = [1] * weights.ndim
        shape[axis] = channels
        _set_operand(producer, filter_index, weights * c.reshape(shape))
        new_bias = bias * c
    else:
        new_bias = bias + c if op.name == "tfl.add" else bias - c
    producer = _set_bias(producer, bias_index, new_bias.astype(weights.dtype))
    op.results[0].replace_all_uses_with(producer.results[0])
    op.erase()


def _bias_of(producer: ir.Operation, index: int, channels: int, dtype) -> np.ndarray | None:
    operands = list(producer.operands)
    if index >= len(operands) or isinstance(operands[index].type, ir.NoneType):
        return np.zeros([channels], dtype=dtype)
    owner = operands[index].owner
    value = (
        tfl.constant_value(owner.operation) if isinstance(owner, ir.OpView | ir.Operation) else None
    )
    return None if value is None else value.reshape(-1)


def _set_operand(op: ir.Operation, index: int, array: np.ndarray) -> None:
    with ir.InsertionPoint(op), op.location:
        op.operands[index] = tfl.constant(np.ascontiguousarray(array))


def _set_bias(op: ir.Operation, index: int, bias: np.ndarray) -> ir.Operation:
    """`op` with its bias operand set to `bias` (a new op when it had none)."""
    if index < len(op.operands):
        _set_operand(op, index, bias)
        return op
    # A fully_connected without a bias operand: rebuild it with one.
    with ir.InsertionPoint(op), op.location:
        b = tfl.constant(np.ascontiguousarray(bias))
        attrs = {name: op.attributes[name] for name in op.attributes}
        new = ir.Operation.create(
            op.name,
            results=[r.type for r in op.results],
            operands=[*op.operands, b],
            attributes=attrs,
            loc=op.location,
        )
    for old, r in zip(op.results, new.results, strict=True):
        old.replace_all_uses_with(r)
    op.erase()
    return new


def _fuse_activation(op: ir.Operation) -> None:
    producer = _single_use_producer(op.operands[0])
    if producer is None or producer.name not in _FUSES_ACTIVATION:
        return
    if "fused_activation_function" not in producer.attributes:
        return
    if ir.StringAttr(producer.attributes["fused_activation_function"]).value != "NONE":
        return
    if producer.results[0].type != op.results[0].type:
        return
    producer.attributes["fused_activation_function"] = ir.StringAttr.get(_ACTIVATIONS[op.name])
    op.results[0].replace_all_uses_with(producer.results[0])
    op.erase()


def _fuse_pad(op: ir.Operation) -> None:
    """`conv(pad(x), VALID)` -> `conv(x, SAME)` when the zero padding is exactly SAME's."""
    if ir.StringAttr(op.attributes["padding"]).value != "VALID":
        return
    pad = _single_use_producer(op.operands[0])
    if pad is None or pad.name != "tfl.pad":
        return
    amounts = tfl.constant_value(pad.operands[1].owner.operation)
    x_shape = static_shape(pad.operands[0].type)
    w_shape = static_shape(op.operands[1].type)
    if amounts is None or x_shape is None or len(x_shape) != 4 or any(d < 0 for d in x_shape):
        return
    amounts = amounts.reshape(4, 2)
    if amounts[0].any() or amounts[3].any():
        return
    attr = op.attributes
    for dim, (stride, dilation) in enumerate(
        [("stride_h", "dilation_h_factor"), ("stride_w", "dilation_w_factor")], start=1
    ):
        expected = same_padding(
            x_shape[dim],
            w_shape[dim],
            ir.IntegerAttr(attr[stride]).value,
            ir.IntegerAttr(attr[dilation]).value,
        )
        if tuple(int(a) for a in amounts[dim]) != expected:
            return
    op.operands[0] = pad.operands[0]
    op.attributes["padding"] = ir.StringAttr.get("SAME")
    pad.erase()


def _fuse_reshapes(op: ir.Operation) -> None:
    """reshape(reshape(x)) -> reshape(x); a reshape to x's own type -> x."""
    x = op.operands[0]
    if x.type == op.results[0].type:
        op.results[0].replace_all_uses_with(x)
        op.erase()
        return
    inner = _single_use_producer(x)
    if inner is not None and inner.name == "tfl.reshape":
        op.operands[0] = inner.operands[0]
        inner.erase()
        if op.operands[0].type == op.results[0].type:
            op.results[0].replace_all_uses_with(op.operands[0])
            op.erase()
        return
    _fuse_mean_reshape(op)


def _fuse_mean_reshape(op: ir.Operation) -> None:
    """`reshape(mean(x, keep_dims=False))` to the keep_dims shape -> `mean(x, keep_dims=True)`."""
    mean = _single_use_producer(op.operands[0])
    if mean is None or mean.name != "tfl.mean" or ir.BoolAttr(mean.attributes["keep_dims"]).value:
        return
    axes = tfl.constant_value(mean.operands[1].owner.operation)
    in_shape = static_shape(mean.operands[0].type)
    out_shape = static_shape(op.results[0].type)
    if axes is None or in_shape is None:
        return
    rank = len(in_shape)
    axes = {int(a) % rank for a in axes.reshape(-1)}
    kept = [1 if i in axes else d for i, d in enumerate(in_shape)]
    if kept != out_shape:
        return
    with ir.InsertionPoint(op), op.location:
        new = tfl.create(
            "mean", [mean.operands[0], mean.operands[1]], [op.results[0].type], keep_dims=True
        )
    op.results[0].replace_all_uses_with(new.result)
    op.erase()
    mean.erase()


def _fold_into_consumer(op: ir.Operation) -> None:
    """`fc(x * s + c)` -> `fc'(x)`, `conv(x * s)` -> `conv'(x)` for per-input-channel constants.

    A batch norm after an activation, or a Rescaling layer before the first convolution. An add
    folds only into fully connected layers: before a padded convolution it would change the
    border.
    """
    if ir.StringAttr(op.attributes["fused_activation_function"]).value != "NONE":
        return
    uses = list(op.results[0].uses)
    if len(uses) != 1 or uses[0].operand_number != 0:
        return
    consumer = uses[0].owner.operation if isinstance(uses[0].owner, ir.OpView) else uses[0].owner
    if consumer.name not in _AFFINE or (
        op.name == "tfl.add" and consumer.name != "tfl.fully_connected"
    ):
        return
    if consumer.name == "tfl.transpose_conv":
        return
    x_shape = static_shape(op.results[0].type)
    channels = x_shape[-1] if x_shape else -1
    for x_index in (0, 1):
        x, c_value = op.operands[x_index], op.operands[1 - x_index]
        c = _channel_constant(c_value, channels) if channels > 0 else None
        if c is not None and x.type == op.results[0].type:
            break
    else:
        return
    filter_index, _, bias_index = _AFFINE[consumer.name]
    weights = tfl.constant_value(consumer.operands[filter_index].owner.operation)
    if weights is None:
        return
    if consumer.name == "tfl.depthwise_conv_2d" and weights.shape[-1] % channels:
        return
    if consumer.name != "tfl.depthwise_conv_2d" and weights.shape[-1] != channels:
        return
    if consumer.name == "tfl.depthwise_conv_2d":
        multiplier = weights.shape[-1] // channels
        per_output = np.repeat(c, multiplier)  # output k reads input channel k // multiplier
    else:
        per_output = None
    out_channels = (
        weights.shape[0] if consumer.name != "tfl.depthwise_conv_2d" else weights.shape[-1]
    )
    bias = _bias_of(consumer, bias_index, out_channels, weights.dtype)
    if bias is None:
        return
    if op.name == "tfl.mul":
        new_weights = weights * (per_output if per_output is not None else c)
        _set_operand(consumer, filter_index, new_weights.astype(weights.dtype))
    else:  # fully connected: W (x + c) + b = W x + (b + W c)
        consumer = _set_bias(consumer, bias_index, (bias + weights @ c).astype(weights.dtype))
    consumer.operands[0] = x
    op.erase()
