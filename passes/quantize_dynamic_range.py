"""tfl-quantize-dynamic-range: int8 weights with float activations (hybrid kernels).

As TensorFlow's converter does with `optimizations = [tf.lite.Optimize.DEFAULT]` and no
representative dataset: the constant weights of conv_2d, depthwise_conv_2d,
fully_connected and transpose_conv with at least `MIN_ELEMENTS` elements become symmetric int8
`tfl.pseudo_qconst`s (zero point 0, values in [-127, 127]), one scale per output channel
(axis 0; axis 3 for depthwise), or one per tensor when asked. Fully connected layers get
`asymmetric_quantize_inputs = true`, as TensorFlow sets it. Biases and activations stay float.
Float16 weights (f16 constant + dequantize) are read as float and quantized too, and the
float16 biases of the quantized ops become float32 constants (hybrid kernels need them
constant).
"""

from __future__ import annotations

from mlir import ir
from tflc.passes.quantize.common import float_weights, qconst, quant_element_type, symmetric_int8
from tflc.passes.registry import Pass
from tflc.passes.rewrite.tfl import (
    defining_op,
    func_blocks,
    is_float,
    make_const,
    output_channel_axis,
)

MIN_ELEMENTS = 1024
WEIGHT_OPERAND = {
    "tfl.conv_2d": 1,
    "tfl.depthwise_conv_2d": 1,
    "tfl.fully_connected": 1,
    "tfl.transpose_conv": 1,
}


def quantize_dynamic_range(
    module: ir.Operation, per_tensor: bool = False, min_elements: int = MIN_ELEMENTS
) -> int:
    """Quantizes the weights in place; returns how many tensors it quantized."""
    count = 0
    for block in func_blocks(module):
        for op in list(block.operations):
            op = op.operation
            index = WEIGHT_OPERAND.get(op.name)
            if index is None or len(op.results) != 1 or not is_float(op.result):
                continue
            w = float_weights(op.operands[index])
            if w is None or w.size < min_elements:
                continue
            axis = None if per_tensor else output_channel_axis(op.name)
            q, scales = symmetric_int8(w, axis)
            element = quant_element_type(scales, [0] * scales.size, axis)
            loc = op.operands[index].owner.location
            op.operands[index] = qconst(q, element, op, loc)
            _float32_bias(op)
            if op.name == "tfl.fully_connected":
                op.attributes["asymmetric_quantize_inputs"] = ir.BoolAttr.get(True)
            count += 1
    return count


def _float32_bias(op: ir.Operation) -> None:
    """Hybrid kernels (XNNPACK's included) need a constant bias: a float16 bias behind a
    dequantize becomes a float32 constant."""
    index = 3 if op.name == "tfl.transpose_conv" else 2
    if len(op.operands) <= index:
        return
    bias = op.operands[index]
    producer = defining_op(bias)
    if producer is None or producer.name != "tfl.dequantize":
        return
    value = float_weights(bias)
    if value is not None:
        op.operands[index] = make_const(value, op, producer.location)


def _run(module: ir.Operation) -> None:
    quantize_dynamic_range(module)


PASS = Pass(
    "tfl-quantize-dynamic-range",
    "Quantize conv/depthwise/fc weights to per-channel int8 with float activations",
    _run,
)
