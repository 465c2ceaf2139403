"""tfl-fuse-fully-connected-reshapes: a fully connected layer over the last axis of an N-d
tensor, spelled `reshape(fully_connected(reshape(x, [N, K])), [..., O])`, becomes one
`fully_connected(x) {keep_num_dims = true}` producing `[..., O]`, as TensorFlow emits Keras'
Dense on 3-d inputs. The first reshape may feed other ops (it is left to tfl-dce); the fully
connected result must feed only the second reshape.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.passes.rewrite.tfl import (
    attr_str,
    has_one_use,
    producer_named,
    replace_op,
    rewrite_pass,
    static_shape,
)


def fuse_fully_connected_reshapes(op: ir.Operation) -> bool:
    if op.name != "tfl.reshape":
        return False
    fc = producer_named(op.operands[0], "tfl.fully_connected")
    if fc is None or len(fc.results) != 1 or not has_one_use(fc.result):
        return False
    if attr_str(fc, "keep_num_dims") is not False:
        return False
    flatten = producer_named(fc.operands[0], "tfl.reshape")
    if flatten is None:
        return False
    x = flatten.operands[0]
    x_shape, flat, out, final = (
        static_shape(x),
        static_shape(flatten.result),
        static_shape(fc.result),
        static_shape(op.result),
    )
    if None in (x_shape, flat, out, final) or len(flat) != 2 or len(x_shape) < 2:
        return False
    leading = x_shape[:-1]
    if flat != [int(np.prod(leading)), x_shape[-1]] or final != [*leading, out[-1]]:
        return False
    attrs = dict(fc.attributes.items())
    attrs["keep_num_dims"] = ir.BoolAttr.get(True, context=op.context)
    with ir.InsertionPoint(op), fc.location:
        new = ir.Operation.create(
            fc.name,
            results=[op.result.type],
            operands=[x, *list(fc.operands)[1:]],
            attributes=attrs,
        )
    replace_op(op, new.result)
    fc.erase()
    return True


PASS = rewrite_pass(
    "tfl-fuse-fully-connected-reshapes",
    "Fold the reshapes around a fully connected layer on an N-d input into keep_num_dims",
    fuse_fully_connected_reshapes,
)
