"""tfl-quantize-fake-quant: ranges from quantization-aware training instead of calibration.

Each `tfl.fake_quant(x) {min, max, num_bits = 8}` of a QAT model becomes the range of `x`
(`tflc.range` on its producer, `tflc.arg_ranges` for a function argument), the form
calibration leaves, and is removed; on a constant (weights) it is applied to the values, so
the weights sit on the grid training used. `tfl-quantize-int8` then quantizes with these ranges
and no representative dataset.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.errors import TflcError
from tflc.passes.quantize.calibrate import ARG_RANGES_ATTR, store_range
from tflc.passes.registry import Pass
from tflc.passes.rewrite.tfl import attr_str, const_value, func_blocks, make_const, replace_op


def has_fake_quant(module: ir.Operation) -> bool:
    return any(
        op.operation.name == "tfl.fake_quant"
        for block in func_blocks(module)
        for op in block.operations
    )


def fake_quantize(x: np.ndarray, lo: float, hi: float, bits: int, narrow: bool) -> np.ndarray:
    """TensorFlow's FakeQuantWithMinMaxArgs: the nudged grid of 2^bits (or 2^bits - 1) levels."""
    qmin, qmax = (1 if narrow else 0), (1 << bits) - 1
    scale = (hi - lo) / (qmax - qmin)
    zero = float(np.clip(np.round(qmin - lo / scale), qmin, qmax))
    nudged_lo, nudged_hi = (qmin - zero) * scale, (qmax - zero) * scale
    clamped = np.clip(x, nudged_lo, nudged_hi)
    return (np.round((clamped - nudged_lo) / scale) * scale + nudged_lo).astype(np.float32)


def ranges_from_fake_quant(module: ir.Operation) -> int:
    """Turns every fake_quant of the main function into a range; returns how many."""
    block = next(func_blocks(module))
    fn = block.owner
    arg_ranges: dict[int, ir.Attribute] = {}
    count = 0
    for op in list(block.operations):
        op = op.operation
        if op.name != "tfl.fake_quant":
            continue
        lo, hi = float(attr_str(op, "min")), float(attr_str(op, "max"))
        bits = int(attr_str(op, "num_bits"))
        if bits != 8:
            raise TflcError(f"fake_quant with {bits} bits: only 8-bit QAT is supported", "int8")
        x = op.operands[0]
        value = const_value(x)
        if value is not None and value.dtype == np.float32:
            narrow = bool(attr_str(op, "narrow_range"))
            new = make_const(fake_quantize(value, lo, hi, bits, narrow), op)
            replace_op(op, new)
            count += 1
            continue
        rng = ir.DenseF32ArrayAttr.get([lo, hi])
        store_range(x, rng, arg_ranges)
        replace_op(op, x)
        count += 1
    empty = ir.DenseF32ArrayAttr.get([])
    fn.attributes[ARG_RANGES_ATTR] = ir.ArrayAttr.get(
        [arg_ranges.get(i, empty) for i in range(len(block.arguments))]
    )
    return count


def _run(module: ir.Operation) -> None:
    with ir.Location.unknown():
        ranges_from_fake_quant(module)


PASS = Pass(
    "tfl-quantize-fake-quant",
    "Turn QAT fake_quant ops into activation ranges for tfl-quantize-int8 (no calibration)",
    _run,
)
