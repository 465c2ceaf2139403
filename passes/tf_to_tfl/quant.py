"""Legalizers for quantization-aware training's fake-quant ops.

`FakeQuantWithMinMaxVars` / `FakeQuantWithMinMaxArgs` on an activation become
`tfl.fake_quant {min, max, num_bits, narrow_range}`: the float model computes what TensorFlow
does, and `tflc.quantize(mode="int8")` takes the trained ranges from them without calibration
(passes/quantize_fake_quant.py). On a constant (weights), the fake quantization is applied to
the values here, per tensor or, for `FakeQuantWithMinMaxVarsPerChannel`, per last-axis
channel, so the weights sit on the grid training used and int8 quantization recovers it.
"""

from __future__ import annotations

import numpy as np
from tflc.passes.quantize_fake_quant import fake_quantize
from tflc.passes.tf_to_tfl.common import TfOp, Unsupported, const, emit, legalizes


def _options(op: TfOp) -> tuple[int, bool]:
    bits = int(op.attr("num_bits", 8))
    if not 2 <= bits <= 16:
        raise Unsupported(f"num_bits {bits} (2 to 16)")
    return bits, bool(op.attr("narrow_range", False))


@legalizes("FakeQuantWithMinMaxArgs", "FakeQuantWithMinMaxVars")
def _fake_quant(op: TfOp):
    bits, narrow = _options(op)
    if op.type == "FakeQuantWithMinMaxArgs":
        lo, hi = float(op.attr("min", -6.0)), float(op.attr("max", 6.0))
    else:
        lo = float(np.asarray(op.require_const(1, "min")).reshape(()))
        hi = float(np.asarray(op.require_const(2, "max")).reshape(()))
    if not lo < hi:
        raise Unsupported(f"empty range [{lo}, {hi}]")
    weights = op.const(0)
    if weights is not None:
        return [const(fake_quantize(weights.astype(np.float32), lo, hi, bits, narrow))]
    return [
        emit(
            "fake_quant",
            [op.operands[0]],
            op.result_type,
            min=lo,
            max=hi,
            num_bits=bits,
            narrow_range=narrow,
        )
    ]


@legalizes("FakeQuantWithMinMaxVarsPerChannel")
def _fake_quant_per_channel(op: TfOp):
    bits, narrow = _options(op)
    weights = op.const(0)
    if weights is None:
        raise Unsupported("per-channel fake quantization of an activation (only of weights)")
    lo = np.asarray(op.require_const(1, "min"), np.float32).reshape(-1)
    hi = np.asarray(op.require_const(2, "max"), np.float32).reshape(-1)
    out = np.empty(weights.shape, np.float32)
    for c in range(weights.shape[-1]):  # TensorFlow's channels: the last axis
        out[..., c] = fake_quantize(
            weights[..., c].astype(np.float32), float(lo[c]), float(hi[c]), bits, narrow
        )
    return [const(out)]
