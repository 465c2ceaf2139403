"""Binary elementwise ops with numpy broadcasting: arithmetic, comparison, logic.

Quantized ADD/SUB/MUL/DIV and friends live in `quantized_elementwise`; the kernels here
dispatch to them when the output is a quantized integer tensor.
"""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.common import float_activation
from tflc.runtime.kernels.node import Node, integer_inputs, is_quantized, scale_zp
from tflc.runtime.kernels.quantized_elementwise import (
    quantized_add_sub,
    quantized_comparison_inputs,
    quantized_div,
    quantized_mul,
    quantized_squared_difference,
)


def _is_q(node: Node) -> bool:
    out = node.output()
    return out.type in ("INT8", "UINT8", "INT16") and is_quantized(out)


def _is_pot(scale: float) -> bool:
    log2 = np.log2(np.float32(scale))
    return abs(log2 - np.round(log2)) < 1e-3


def _check_int16_pot(node: Node) -> str | None:
    """LiteRT has a separate int16 path for power-of-two scales and zero zero-points."""
    tensors = [node.input(0), node.input(1), node.output()]
    if node.output().type != "INT16" or not node.options.get("pot_scale_int16", True):
        return None
    if all(t is not None and is_quantized(t) and _is_pot(scale_zp(t)[0]) for t in tensors):
        return "int16 with power-of-two scales (pot_scale_int16) is not supported"
    return None


def _activated(node: Node, out: np.ndarray) -> np.ndarray:
    act = node.options.get("fused_activation_function", "NONE")
    if act in ("NONE", None):
        return out
    if not np.issubdtype(out.dtype, np.floating):
        lo, hi = {"RELU": (0, None), "RELU6": (0, 6), "RELU_N1_TO_1": (-1, 1)}.get(
            act, (None, None)
        )
        return np.clip(out, lo, hi).astype(out.dtype)
    return float_activation(out, act, node)


@kernel("ADD", check=_check_int16_pot)
def add(node: Node, a: np.ndarray, b: np.ndarray):
    if _is_q(node):
        return quantized_add_sub(node, a, b, subtract=False)
    return _activated(node, np.add(a, b, dtype=node.out_dtype()))


@kernel("SUB", check=_check_int16_pot)
def sub(node: Node, a: np.ndarray, b: np.ndarray):
    if _is_q(node):
        return quantized_add_sub(node, a, b, subtract=True)
    return _activated(node, np.subtract(a, b, dtype=node.out_dtype()))


@kernel("MUL")
def mul(node: Node, a: np.ndarray, b: np.ndarray):
    if _is_q(node):
        return quantized_mul(node, a, b)
    if a.dtype == np.complex64:
        return np.multiply(a, b)
    return _activated(node, np.multiply(a, b, dtype=node.out_dtype()))


@kernel("DIV")
def div(node: Node, a: np.ndarray, b: np.ndarray):
    if _is_q(node):
        return quantized_div(node, a, b)
    if np.issubdtype(a.dtype, np.integer):
        if np.any(b == 0):
            raise node.error("integer division by zero")
        q = np.trunc(np.true_divide(a, b)).astype(a.dtype)  # C++ truncates toward zero
        return _activated(node, q)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _activated(node, np.divide(a, b, dtype=np.float32))


@kernel("FLOOR_DIV")
def floor_div(node: Node, a: np.ndarray, b: np.ndarray):
    if np.issubdtype(a.dtype, np.integer):
        if np.any(b == 0):
            raise node.error("integer division by zero")
        return np.floor_divide(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.floor(np.divide(a, b)).astype(a.dtype)


@kernel("FLOOR_MOD")
def floor_mod(node: Node, a: np.ndarray, b: np.ndarray):
    if np.issubdtype(a.dtype, np.integer):
        if np.any(b == 0):
            raise node.error("integer division by zero")
        return np.mod(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.fmod(a, b)
        return np.where((r != 0) & ((r < 0) != (b < 0)), r + b, r).astype(a.dtype)


@kernel("POW")
def pow_(node: Node, a: np.ndarray, b: np.ndarray):
    if np.issubdtype(a.dtype, np.integer):
        if np.any(b < 0):
            raise node.error("integer power with a negative exponent")
        return np.power(a, b).astype(a.dtype)
    with np.errstate(all="ignore"):
        return np.power(a, b, dtype=np.float32)


@kernel("SQUARED_DIFFERENCE")
def squared_difference(node: Node, a: np.ndarray, b: np.ndarray):
    if _is_q(node):
        return quantized_squared_difference(node, a, b)
    d = np.subtract(a, b, dtype=a.dtype)
    return d * d


@kernel("MAXIMUM")
def maximum(node: Node, a: np.ndarray, b: np.ndarray):
    return np.maximum(a, b)


@kernel("MINIMUM")
def minimum(node: Node, a: np.ndarray, b: np.ndarray):
    return np.minimum(a, b)


@kernel("ATAN2")
def atan2(node: Node, a: np.ndarray, b: np.ndarray):
    return np.arctan2(a, b).astype(a.dtype)


@kernel("BITWISE_XOR", check=integer_inputs())
def bitwise_xor(node: Node, a: np.ndarray, b: np.ndarray):
    return np.bitwise_xor(a, b)


@kernel("RIGHT_SHIFT", check=integer_inputs())
def right_shift(node: Node, a: np.ndarray, b: np.ndarray):
    bits = a.dtype.itemsize * 8
    return np.right_shift(a, np.clip(b, 0, bits - 1).astype(a.dtype))


def _comparison(fn, ordering: bool):
    def run(node: Node, a: np.ndarray, b: np.ndarray):
        # LiteRT rescales quantized inputs to a common scale, except for int16 orderings,
        # which it compares raw.
        raw_int16 = ordering and a.dtype == np.int16
        if is_quantized(node.input(0)) and a.dtype != np.int32 and not raw_int16:
            a, b = quantized_comparison_inputs(node, a, b)
        return fn(a, b)

    return run


for _name, _fn in {
    "EQUAL": np.equal,
    "NOT_EQUAL": np.not_equal,
    "LESS": np.less,
    "LESS_EQUAL": np.less_equal,
    "GREATER": np.greater,
    "GREATER_EQUAL": np.greater_equal,
}.items():
    kernel(_name)(_comparison(_fn, ordering=_name not in ("EQUAL", "NOT_EQUAL")))


@kernel("LOGICAL_AND")
def logical_and(node: Node, a: np.ndarray, b: np.ndarray):
    return np.logical_and(a, b)


@kernel("LOGICAL_OR")
def logical_or(node: Node, a: np.ndarray, b: np.ndarray):
    return np.logical_or(a, b)


@kernel("ADD_N")
def add_n(node: Node, *xs: np.ndarray):
    out = np.array(xs[0], copy=True)
    for x in xs[1:]:
        out += x
    return out


@kernel("SELECT", "SELECT_V2")
def select(node: Node, cond: np.ndarray, a: np.ndarray, b: np.ndarray):
    if node.op == "SELECT" and cond.ndim == 1 and a.ndim > 1 and cond.shape[0] == a.shape[0]:
        cond = cond.reshape((-1,) + (1,) * (a.ndim - 1))  # SELECT picks whole rows
    return np.where(cond, a, b).astype(node.out_dtype())


def same_quantization(node: Node) -> bool:
    return scale_zp(node.input(0)) == scale_zp(node.output())
