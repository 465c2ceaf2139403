"""tfl-quantize-float16: stores float32 constants as float16 behind a `tfl.dequantize`.

As TensorFlow's converter does for `target_spec.supported_types = [tf.float16]`: every float32
`tfl.pseudo_const` becomes a float16 constant and one `tfl.dequantize` to float32 shared by all
its users; activations stay float32. Constants with a value beyond float16's range are kept in
float32 (they would become infinities).
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.dialects import tfl
from tflc.passes.registry import Pass
from tflc.passes.rewrite.tfl import const_value, func_blocks, use_count

F16_MAX = float(np.finfo(np.float16).max)


def quantize_float16(module: ir.Operation) -> None:
    for block in func_blocks(module):
        for op in list(block.operations):
            op = op.operation
            if op.name != "tfl.pseudo_const" or not use_count(op.result):
                continue
            value = const_value(op.result)
            if value is None or value.dtype != np.float32:
                continue
            if value.size and float(np.max(np.abs(value))) > F16_MAX:
                continue
            with ir.InsertionPoint(op), op.location:
                half = tfl.constant(value.astype(np.float16))
                deq = tfl.create("dequantize", [half], [op.result.type])
            op.result.replace_all_uses_with(deq.result)
            op.erase()


PASS = Pass(
    "tfl-quantize-float16",
    "Store float32 constants as float16 + dequantize (float16 weight quantization)",
    quantize_float16,
)
