"""Activation ops: relu family, logistic, tanh, hard-swish, gelu, (leaky) relu, elu, prelu,
softmax, log-softmax and normalizations. Float math is done in float64 and rounded once to
float32 where that is cheap, so results sit within an ulp of the exact value; the activation
formulas every target shares are `float_formulas`; quantized inputs go to
`quantized_activations`."""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels import quantized_activations as qa
from tflc.runtime.kernels.common import float_activation
from tflc.runtime.kernels.float_formulas import evaluate, formula_name
from tflc.runtime.kernels.node import Node, scale_zp
from tflc.runtime.op_traits import INT8_FIXED_OUTPUT


def _quantized(x: np.ndarray) -> bool:
    return x.dtype in (np.int8, np.uint8, np.int16)


def _quantized_input(types: tuple[str, ...]):
    """A check refusing quantized inputs of the given types."""

    def check(node: Node) -> str | None:
        t = node.input(0)
        if t is not None and t.type in types:
            return f"{t.type} input is not supported"
        return None

    return check


def _f32(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32, copy=False)


@kernel("RELU")
def relu(node: Node, x: np.ndarray):
    if _quantized(x):
        return qa.relu_x(node, x, 0.0, np.inf)
    return np.maximum(x, 0).astype(x.dtype, copy=False)


@kernel("RELU6")
def relu6(node: Node, x: np.ndarray):
    if _quantized(x):
        return qa.relu_x(node, x, 0.0, 6.0)
    return np.clip(x, 0, 6).astype(x.dtype, copy=False)


@kernel("RELU_N1_TO_1")
def relu_n1_to_1(node: Node, x: np.ndarray):
    if _quantized(x):
        return qa.relu_x(node, x, -1.0, 1.0)
    return np.clip(x, -1, 1).astype(x.dtype, copy=False)


@kernel("RELU_0_TO_1")
def relu_0_to_1(node: Node, x: np.ndarray):
    if _quantized(x):
        return qa.relu_x(node, x, 0.0, 1.0)
    return np.clip(x, 0, 1).astype(x.dtype, copy=False)


@kernel("LOGISTIC", check=_quantized_input(("INT16",)))
def logistic(node: Node, x: np.ndarray):
    if _quantized(x):
        return qa.logistic(node, x)
    return _f32(evaluate("logistic", x))


@kernel("TANH", check=_quantized_input(("INT16",)))
def tanh(node: Node, x: np.ndarray):
    if _quantized(x):
        return qa.tanh(node, x)
    return _f32(evaluate("tanh", x))


@kernel("HARD_SWISH", check=_quantized_input(("INT16",)))
def hard_swish(node: Node, x: np.ndarray):
    if _quantized(x):
        return qa.hard_swish(node, x)
    return _f32(evaluate("hard_swish", x))


@kernel("GELU", check=_quantized_input(("INT16",)))
def gelu(node: Node, x: np.ndarray):
    name = formula_name("gelu", bool(node.options.get("approximate", False)))
    if _quantized(x):
        return qa.lut_activation(node, x, lambda v: evaluate(name, v))
    return _f32(evaluate(name, x))


@kernel("ELU", check=_quantized_input(("INT16",)))
def elu(node: Node, x: np.ndarray):
    if _quantized(x):
        return qa.lut_activation(node, x, lambda v: evaluate("elu", v))
    return _f32(evaluate("elu", x))


@kernel("LEAKY_RELU")
def leaky_relu(node: Node, x: np.ndarray):
    alpha = np.float32(node.options.get("alpha", 0.2))
    if _quantized(x):
        return qa.leaky_relu(node, x, float(alpha))
    return evaluate("leaky_relu", x, alpha=float(alpha)).astype(x.dtype)


@kernel("PRELU")
def prelu(node: Node, x: np.ndarray, alpha: np.ndarray):
    if _quantized(x):
        return qa.prelu(node, x, alpha)
    return np.where(x >= 0, x, x * alpha).astype(x.dtype)


# LogSoftmaxPrepare's fixed output parameters of the quantized kernels.
_LOG_SOFTMAX_OUTPUT = {"INT8": INT8_FIXED_OUTPUT["LOG_SOFTMAX"], "UINT8": (16 / 256, 255)}


def _check_log_softmax(node: Node) -> str | None:
    t = node.input(0)
    if t is None or t.type not in ("INT8", "UINT8", "INT16"):
        return None
    if t.type == "INT16":
        return "INT16 input is not supported"
    scale, zero_point = _LOG_SOFTMAX_OUTPUT[t.type]
    if scale_zp(node.output()) != (scale, zero_point):
        return f"a quantized output needs scale {scale} and zero point {zero_point}"
    return None


@kernel("SOFTMAX")
def softmax(node: Node, x: np.ndarray):
    beta = float(np.float32(node.options.get("beta", 1.0)))
    if _quantized(x):
        return qa.softmax(node, x, beta)
    z = (x.astype(np.float64) - x.max(axis=-1, keepdims=True)) * beta
    e = np.exp(z)
    return _f32(e / e.sum(axis=-1, keepdims=True))


@kernel("LOG_SOFTMAX", check=_check_log_softmax)
def log_softmax(node: Node, x: np.ndarray):
    if _quantized(x):
        return qa.log_softmax(node, x)
    z = x.astype(np.float64) - x.max(axis=-1, keepdims=True)
    return _f32(z - np.log(np.exp(z).sum(axis=-1, keepdims=True)))


# L2_NORMALIZATION divides by max(norm, this), as TFLite's float kernel does.
L2_NORM_EPSILON = 1e-6


@kernel("L2_NORMALIZATION", check=_quantized_input(("INT16",)))
def l2_normalization(node: Node, x: np.ndarray):
    if _quantized(x):
        return qa.l2_normalization(node, x)
    x64 = x.astype(np.float64)
    norm = np.sqrt((x64 * x64).sum(axis=-1, keepdims=True))
    out = _f32(x64 / np.maximum(norm, L2_NORM_EPSILON))
    act = node.options.get("fused_activation_function", "NONE")
    return float_activation(out, act, node)


@kernel("LOCAL_RESPONSE_NORMALIZATION", check=_quantized_input(("INT8", "UINT8", "INT16")))
def local_response_normalization(node: Node, x: np.ndarray):
    o = node.options
    radius, bias = int(o.get("radius", 5)), float(o.get("bias", 1.0))
    alpha, beta = float(o.get("alpha", 1.0)), float(o.get("beta", 0.5))
    x64 = x.astype(np.float64)
    sq = x64 * x64
    c = x.shape[-1]
    csum = np.concatenate([np.zeros(sq.shape[:-1] + (1,)), np.cumsum(sq, axis=-1)], axis=-1)
    idx = np.arange(c)
    lo = np.clip(idx - radius, 0, c)
    hi = np.clip(idx + radius + 1, 0, c)
    window = csum[..., hi] - csum[..., lo]
    return _f32(x64 / (bias + alpha * window) ** beta)
