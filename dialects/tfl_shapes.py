"""The op table's shape functions (runtime/shape_inference.py) applied to tfl ops in MLIR.

The tfl verifier runs this on every op, so an `.mlir` file or a pass that declares a result
shape its operands and attributes contradict is refused at the op's location, as the flatbuffer
reader refuses such a file. Ops with unranked or dynamic operands are not checked.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.dialects.tfl import builtin_options, tensor_type_name
from tflc.dialects.tfl_ops import OpDef
from tflc.runtime.shape_inference import SHAPE_FUNCTIONS, OpView, Shape, declared_shapes_problem
from tflc.runtime.tflite_model import TENSOR_DTYPES

_CONSTANT_OPS = ("tfl.pseudo_const", "arith.constant")


def _static_shape(t: ir.Type) -> Shape | None:
    if not isinstance(t, ir.ShapedType) or not ir.ShapedType(t).has_rank:
        return None
    shaped = ir.ShapedType(t)
    if any(ir.ShapedType.is_dynamic_size(d) for d in shaped.shape):
        return None
    return tuple(shaped.shape)


def _integer_constant(value: ir.Value) -> np.ndarray | None:
    """The value of an integer constant operand (shapes, axes, paddings): what shape functions
    read; float weights are never needed and never copied."""
    owner = value.owner
    if not isinstance(owner, ir.OpView | ir.Operation) or owner.name not in _CONSTANT_OPS:
        return None
    attr = owner.attributes["value"]
    if not isinstance(attr, ir.DenseIntElementsAttr):
        return None
    return np.array(attr)


def _itemsize(t: ir.Type) -> int | None:
    """Bytes per element of a tensor type (a quantized one's storage), or None."""
    if not isinstance(t, ir.RankedTensorType | ir.UnrankedTensorType):
        return None
    try:
        dtype = TENSOR_DTYPES.get(tensor_type_name(ir.ShapedType(t).element_type))
    except KeyError:  # an element type without a TFLite tensor type
        return None
    return None if dtype is None else dtype.itemsize


def shape_problem(op: ir.Operation, d: OpDef) -> str | None:
    """What contradicts the op's declared result shapes, or None."""
    if d.opcode not in SHAPE_FUNCTIONS:
        return None
    inputs: list[Shape | None] = []
    for operand in op.operands:
        if isinstance(operand.type, ir.NoneType):
            inputs.append(None)
            continue
        shape = _static_shape(operand.type)
        if shape is None:
            return None
        inputs.append(shape)
    constants = [_integer_constant(v) for v in op.operands]
    view = OpView(d.opcode, inputs, constants, builtin_options(op, d))
    view.input_itemsizes = [_itemsize(v.type) for v in op.operands]
    view.output_itemsizes = [_itemsize(r.type) for r in op.results]
    declared = [(_static_shape(r.type), True) for r in op.results]
    names = [f"result {i}" for i in range(len(op.results))]
    return declared_shapes_problem(view, declared, names, "operands and attributes")
