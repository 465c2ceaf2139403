"""Quantized models on the gpu target, computed in float as TFLite's GPU delegate runs them.

Constants of a quant type (int8 weights per tensor or per channel, int32 biases, the int8
weights of dynamic-range models) are dequantized to float32 at compile time. An int8
activation holds its real value, scale * (q - zero_point), as float32; its quantization stays
on the tensor: every op writing an int8 tensor rounds its float result to that grid and clamps
it to the int8 range (`lowering.on_int8_grid`, fused into the op's shader), and the runtime
dequantizes the model's int8 inputs and quantizes its int8 outputs on the host with LiteRT's
QUANTIZE rounding. `quantize` is then the identity in the shader and `dequantize` of an
activation an alias, no dispatch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mlir import ir
from mlir.dialects import quant
from tflc.dialects.tfl import quantization_of
from tflc.runtime.kernels.quantize import dequantize_values

# Ops that exist only to change an int8 model's storage type; the gpu target runs them in
# float (`dequantize` as an alias, `quantize` as a fake-quant shader op).
QUANTIZE_OPS = {"quantize", "dequantize"}


@dataclass(frozen=True)
class ActivationQuant:
    """Per-tensor quantization of an int8 activation."""

    scale: float
    zero_point: int
    qmin: int = -128
    qmax: int = 127

    def real_range(self) -> tuple[float, float]:
        """The real values the int8 storage can represent."""
        return (
            self.scale * (self.qmin - self.zero_point),
            self.scale * (self.qmax - self.zero_point),
        )


def _element(type_: ir.Type) -> ir.Type | None:
    if isinstance(type_, ir.RankedTensorType):
        return ir.RankedTensorType(type_).element_type
    return None


def is_quantized(type_: ir.Type) -> bool:
    elem = _element(type_)
    return elem is not None and isinstance(elem, quant.QuantizedType)


def dequantize_constant(value: np.ndarray, type_: ir.Type) -> np.ndarray:
    """The float32 value of a quantized constant's storage `value`."""
    q = quantization_of(_element(type_))
    if q is None:
        return value
    zero_points = q.zero_point or [0] * len(q.scale)
    return dequantize_values(value, q.scale, zero_points, q.quantized_dimension)


def activation_quant(type_: ir.Type) -> ActivationQuant | None:
    """The quantization of an int8 per-tensor activation type, else None (other quantized
    activations, e.g. the int16 ones of 16x8 models, stay unsupported)."""
    elem = _element(type_)
    if not isinstance(elem, quant.UniformQuantizedType):
        return None
    u = quant.UniformQuantizedType(elem)
    if not u.is_signed or u.storage_type_integral_width != 8:
        return None
    return ActivationQuant(
        float(u.scale), int(u.zero_point), u.storage_type_min, u.storage_type_max
    )
