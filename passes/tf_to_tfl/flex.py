"""Select TF ops: a tf op without a TFLite builtin -> a `Flex<OpType>` custom op.

The custom options are what TensorFlow's converter writes and the Flex delegate reads: a
flexbuffer vector of the op type and the serialized NodeDef, which the importer kept on the op
as `tf._node_def` (`dialects/tf.py`'s NODE_DEF_ATTR) for every op type that has no legalizer.
"""

from __future__ import annotations

import numpy as np
from flatbuffers import flexbuffers
from mlir import ir
from tflc.dialects import tf as tf_dialect
from tflc.dialects import tfl


def flex_options(op_type: str, node_def: bytes) -> bytes:
    builder = flexbuffers.Builder()
    with builder.Vector():
        builder.String(op_type)
        # A flexbuffer string holding the binary NodeDef, as TensorFlow writes it (not a blob).
        builder._WriteBlob(node_def, append_zero=True, type_=flexbuffers.Type.STRING)
    return bytes(builder.Finish())


def to_flex_op(op: ir.Operation) -> None:
    kind = tf_dialect.op_type(op)
    if tf_dialect.NODE_DEF_ATTR in op.attributes:
        node_def = np.array(op.attributes[tf_dialect.NODE_DEF_ATTR]).astype(np.uint8).tobytes()
    else:
        node_def = b""
    options = np.frombuffer(flex_options(kind, node_def), dtype=np.uint8)
    with ir.InsertionPoint(op), op.location:
        new = tfl.create(
            "custom",
            list(op.operands),
            [r.type for r in op.results],
            attributes={
                "custom_code": ir.StringAttr.get(f"Flex{kind}"),
                "custom_option": ir.DenseElementsAttr.get(
                    options, type=ir.IntegerType.get_unsigned(8), shape=[options.size]
                ),
            },
        )
    for old, r in zip(op.results, new.results, strict=True):
        old.replace_all_uses_with(r)
    op.erase()
