"""The tf dialect: TensorFlow's ops as the TensorFlow importer (dialects/tf_importer.py) makes them.

tf ops are generic unregistered operations named `"tf.<OpType>"` with TensorFlow's attribute
names (`T = f32`, `strides = [1, 2, 2, 1]`, `padding = "SAME"`, `value = dense<...>` on
`tf.Const`), as TensorFlow's own MLIR importer spells them. Their location is
`loc("<node name>"("file.py":line:0))`. Nothing checks them here: they exist only until
`tfl-legalize-tf` turns them into tfl ops, and that pass reports whatever it cannot convert.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.dialects import tfl
from tflc.dialects.tfl_verifier import file_location, location_names


def load_dialect(context: ir.Context) -> None:
    context.allow_unregistered_dialects = True


def make_context() -> ir.Context:
    context = tfl.make_context()
    load_dialect(context)
    return context


def is_tf_op(op: ir.Operation) -> bool:
    return op.name.startswith("tf.")


def op_type(op: ir.Operation) -> str:
    """`Conv2D` for `tf.Conv2D`."""
    return op.name[3:]


# The serialized NodeDef the importer keeps on op types tflc cannot legalize: with
# --allow-select-tf-ops they become Flex custom ops, whose options carry it to the Flex delegate.
NODE_DEF_ATTR = "tf._node_def"


def node_def_attr(serialized: bytes) -> ir.Attribute:
    """A serialized NodeDef as the ui8 tensor attribute stored under `NODE_DEF_ATTR`."""
    arr = np.frombuffer(serialized, dtype=np.uint8)
    return ir.DenseElementsAttr.get(arr, type=ir.IntegerType.get_unsigned(8), shape=[arr.size])


def node_name(loc: ir.Location) -> str | None:
    """The TensorFlow node name a location carries."""
    names = location_names(loc)
    return names[0] if names else None


def source_line(loc: ir.Location) -> str | None:
    """`file.py:12` when the location holds the Python line that created the node."""
    f = file_location(loc)
    return f"{f.filename}:{f.start_line}" if f is not None else None


def describe_op(op: ir.Operation) -> str:
    """`node 'model/dense/MatMul' (MatMul) at model.py:12`, for error messages."""
    name = node_name(op.location)
    text = f"node '{name}' ({op_type(op)})" if name else op.name
    line = source_line(op.location)
    return f"{text} at {line}" if line else text


def const_value(value: ir.Value) -> np.ndarray | None:
    """The numpy value behind `value` when a tf.Const or a tfl constant defines it."""
    owner = value.owner
    if not isinstance(owner, ir.OpView | ir.Operation):
        return None
    op = owner.operation
    if op.name == "tf.Const":
        if str(ir.ShapedType(value.type).element_type) == "!tf_type.string":
            return None  # TFLite's string buffer, not numbers to fold
        return _dense_value(op.attributes["value"])
    return tfl.constant_value(op)


def _dense_value(attr: ir.Attribute) -> np.ndarray | None:
    if not isinstance(attr, ir.DenseElementsAttr):
        return None
    return tfl.dense_array(attr)
