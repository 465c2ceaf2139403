"""The full-integer quantization schemes tfl-quantize-int8 writes, as TensorFlow Lite defines them.

* `INT8`: asymmetric int8 activations, int32 biases, the ops of `op_traits.INT8_RULES`;
* `INT16X8`: symmetric int16 activations (zero point 0, scale = max |range| / 32767), int64
  biases for conv / fully-connected, the ops of `op_traits.INT16X8_OPS` (their int8 rules,
  softmax's fixed output 1/32768); other ops stay float between a dequantize and a quantize.

Both quantize weights of conv-like ops to symmetric int8 per output channel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mlir import ir
from tflc.dialects.tfl_ops import op_table
from tflc.passes.quantize.common import quant_element_type, storage_range

MIN_RANGE = 1e-6


@dataclass(frozen=True)
class Scheme:
    name: str
    activation_bits: int
    symmetric: bool  # activations: zero point 0, range symmetric around it
    bias_bits: int
    weighted: dict  # op -> (input, weights, bias, output-channel axis)
    fixed_output: dict  # op -> (scale, zero point)
    same_as_input: frozenset
    same_all_operands: frozenset
    own_output: frozenset

    @property
    def supported(self) -> frozenset:
        return (
            frozenset(self.weighted)
            | frozenset(self.fixed_output)
            | self.same_as_input
            | self.same_all_operands
            | self.own_output
        )

    @property
    def storage(self) -> tuple[int, int]:
        return storage_range(self.activation_bits)

    def activation_params(self, lo: float, hi: float) -> tuple[float, int]:
        """(scale, zero point) for [lo, hi], widened to include 0."""
        lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
        qmin, qmax = self.storage
        if self.symmetric:
            bound = max(-lo, hi, MIN_RANGE)
            return float(np.float32(bound / qmax)), 0
        if hi - lo < MIN_RANGE:
            hi = lo + MIN_RANGE
        scale = (hi - lo) / float(qmax - qmin)
        zero_point = int(np.clip(np.round(qmin - lo / scale), qmin, qmax))
        return float(np.float32(scale)), zero_point

    def element(self, params: tuple[float, int], signed: bool = True) -> ir.Type:
        return quant_element_type(
            [params[0]], [params[1]], bits=self.activation_bits, signed=signed
        )

    def quantize_array(self, x: np.ndarray, params: tuple[float, int]) -> np.ndarray:
        scale, zp = params
        qmin, qmax = self.storage
        dtype = np.int8 if self.activation_bits == 8 else np.int16
        return np.clip(np.round(x / scale) + zp, qmin, qmax).astype(dtype)

    def represented_range(self, params: tuple[float, int]) -> tuple[float, float]:
        qmin, qmax = self.storage
        return (qmin - params[1]) * params[0], (qmax - params[1]) * params[0]


def _scheme(name: str, bits: int, symmetric: bool, bias_bits: int, rule_of, fixed_of) -> Scheme:
    defs = [d for d in op_table().values() if rule_of(d)]
    return Scheme(
        name,
        bits,
        symmetric,
        bias_bits,
        weighted={d.mlir_name: d.weighted_operands for d in defs if rule_of(d) == "weighted"},
        fixed_output={d.mlir_name: fixed_of(d) for d in defs if rule_of(d) == "fixed"},
        same_as_input=frozenset(d.mlir_name for d in defs if rule_of(d) == "same_as_input"),
        same_all_operands=frozenset(d.mlir_name for d in defs if rule_of(d) == "same_all_operands"),
        own_output=frozenset(d.mlir_name for d in defs if rule_of(d) == "own"),
    )


INT8 = _scheme("int8", 8, False, 32, lambda d: d.int8_rule, lambda d: d.int8_fixed_output)
INT16X8 = _scheme("int16x8", 16, True, 64, lambda d: d.int16x8_rule, lambda d: d.int16_fixed_output)
SCHEMES = {s.name: s for s in (INT8, INT16X8)}
