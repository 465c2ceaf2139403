"""Legalizers for TensorFlow ops with no TFLite builtin of their own, written with builtins as
TensorFlow's converter writes them: log1p, expm1, softsign, the NaN-safe divisions and
products, the float classifiers, L2Loss, InvertPermutation, Lgamma, and the training ops a
frozen graph may keep (activation gradients, BiasAddGrad, the softmax cross entropies)."""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.passes.tf_to_tfl.common import (
    TfOp,
    Unsupported,
    const,
    element_of,
    emit,
    i32,
    legalizes,
    like,
    static_shape,
    with_shape,
)

_NONE = {"fused_activation_function": "NONE"}


def _binary(name: str, a: ir.Value, b: ir.Value, result_type: ir.Type | None = None):
    options = _NONE if name in ("add", "sub", "mul", "div") else {}
    return emit(name, [a, b], result_type or a.type, **options)


def _bools(like_value: ir.Type) -> ir.Type:
    shape = static_shape(like_value)
    i1 = ir.IntegerType.get_signless(1)
    return with_shape(shape, i1) if shape is not None else ir.UnrankedTensorType.get(i1)


@legalizes("Log1p")
def _log1p(op: TfOp):
    x = op.operands[0]
    return [emit("log", [_binary("add", x, like(x, 1))], op.result_type)]


@legalizes("Expm1")
def _expm1(op: TfOp):
    x = op.operands[0]
    return [_binary("sub", emit("exp", [x], x.type), like(x, 1), op.result_type)]


@legalizes("Softsign")
def _softsign(op: TfOp):
    x = op.operands[0]
    denominator = _binary("add", emit("abs", [x], x.type), like(x, 1))
    return [_binary("div", x, denominator, op.result_type)]


@legalizes("IsFinite")
def _is_finite(op: TfOp):
    # x - x is 0 for finite x and NaN for inf and NaN.
    x = op.operands[0]
    return [_binary("equal", _binary("sub", x, x), like(x, 0), op.result_type)]


@legalizes("IsNan")
def _is_nan(op: TfOp):
    x = op.operands[0]
    return [_binary("not_equal", x, x, op.result_type)]


@legalizes("IsInf")
def _is_inf(op: TfOp):
    x = op.operands[0]
    return [_binary("equal", emit("abs", [x], x.type), like(x, np.inf), op.result_type)]


def _where_zero(condition_of: ir.Value, value: ir.Value, result_type: ir.Type) -> ir.Value:
    """0 where `condition_of` is 0, else `value` (broadcast as SelectV2 does)."""
    is_zero = _binary("equal", condition_of, like(condition_of, 0), _bools(condition_of.type))
    return emit("select_v2", [is_zero, like(value, 0), value], result_type)


@legalizes("DivNoNan", "MulNoNan")
def _no_nan(op: TfOp):
    x, y = op.operands
    product = _binary("div" if op.type == "DivNoNan" else "mul", x, y, op.result_type)
    return [_where_zero(y, product, op.result_type)]


@legalizes("Xdivy", "Xlogy", "Xlog1py")
def _x_times(op: TfOp):
    x, y = op.operands
    if op.type == "Xdivy":
        value = _binary("div", x, y, op.result_type)
    else:
        argument = _binary("add", y, like(y, 1)) if op.type == "Xlog1py" else y
        value = _binary("mul", x, emit("log", [argument], y.type), op.result_type)
    return [_where_zero(x, value, op.result_type)]


@legalizes("L2Loss")
def _l2_loss(op: TfOp):
    x = op.operands[0]
    shape = static_shape(x.type)
    if shape is None:
        raise Unsupported("the input rank must be known")
    scalar = with_shape([], element_of(x.type))
    total = emit(
        "sum", [_binary("mul", x, x), i32(list(range(len(shape))))], scalar, keep_dims=False
    )
    return [_binary("mul", total, like(x, 0.5), op.result_type)]


@legalizes("TanhGrad")
def _tanh_grad(op: TfOp):
    y, dy = op.operands  # dy * (1 - y^2)
    one_minus_square = _binary("sub", like(y, 1), _binary("mul", y, y), y.type)
    return [_binary("mul", dy, one_minus_square, op.result_type)]


@legalizes("SqrtGrad")
def _sqrt_grad(op: TfOp):
    y, dy = op.operands  # dy * 0.5 / y
    return [_binary("div", _binary("mul", dy, like(dy, 0.5)), y, op.result_type)]


@legalizes("RsqrtGrad")
def _rsqrt_grad(op: TfOp):
    y, dy = op.operands  # dy * -0.5 * y^3
    cube = _binary("mul", _binary("mul", y, y), y)
    return [_binary("mul", _binary("mul", dy, like(dy, -0.5)), cube, op.result_type)]


@legalizes("BiasAddGrad")
def _bias_add_grad(op: TfOp):
    x = op.operands[0]
    shape = static_shape(x.type)
    if shape is None:
        raise Unsupported("the input rank must be known")
    channel = 1 if op.attr("data_format", "NHWC") == "NCHW" else len(shape) - 1
    axes = [d for d in range(len(shape)) if d != channel]
    return [emit("sum", [x, i32(axes)], op.result_type, keep_dims=False)]


def _cross_entropy(logits: ir.Value, labels: ir.Value, loss_type: ir.Type):
    """The loss sum(-labels * log_softmax(logits)) over the classes (0 where a label is 0,
    as in TensorFlow, even against a -inf log-probability) and its gradient softmax - labels."""
    negative_log = emit("neg", [emit("log_softmax", [logits], logits.type)], logits.type)
    terms = _where_zero(labels, _binary("mul", labels, negative_log), logits.type)
    loss = emit("sum", [terms, i32([-1])], loss_type, keep_dims=False)
    probabilities = emit("softmax", [logits], logits.type, beta=1.0)
    return loss, _binary("sub", probabilities, labels)


@legalizes("SoftmaxCrossEntropyWithLogits")
def _softmax_cross_entropy(op: TfOp):
    logits, labels = op.operands
    if op.shape(logits) is None or op.shape(logits) != op.shape(labels):
        raise Unsupported("logits and labels of one known shape")
    return list(_cross_entropy(logits, labels, op.results[0].type))


@legalizes("SparseSoftmaxCrossEntropyWithLogits")
def _sparse_softmax_cross_entropy(op: TfOp):
    logits, labels = op.operands
    shape = op.shape(logits)
    if shape is None or len(shape) != 2 or shape[1] < 0:
        raise Unsupported("logits of rank 2 with a known class count")
    classes = shape[1]
    one_hot = emit(
        "one_hot",
        [labels, i32(np.asarray(classes).reshape(())), like(logits, 1), like(logits, 0)],
        logits.type,
        axis=-1,
    )
    loss, backprop = _cross_entropy(logits, one_hot, op.results[0].type)
    # A label outside [0, classes) makes its row's loss and gradient NaN, as in TensorFlow.
    low = _binary("less_equal", like(labels, 0), labels, _bools(labels.type))
    high = _binary("less", labels, like(labels, classes), _bools(labels.type))
    valid = _binary("logical_and", low, high)
    loss = emit("select_v2", [valid, loss, like(logits, np.nan)], op.results[0].type)
    row_type = with_shape([shape[0], 1], ir.IntegerType.get_signless(1))
    valid_rows = emit("reshape", [valid, i32([-1, 1])], row_type)
    backprop = emit("select_v2", [valid_rows, backprop, like(logits, np.nan)], op.results[1].type)
    return [loss, backprop]


@legalizes("SigmoidGrad")
def _sigmoid_grad(op: TfOp):
    y, dy = op.operands  # dy * y * (1 - y)
    one_minus_y = _binary("sub", like(y, 1), y, y.type)
    return [_binary("mul", dy, _binary("mul", y, one_minus_y), op.result_type)]


@legalizes("InvertPermutation")
def _invert_permutation(op: TfOp):
    x = op.operands[0]
    shape = static_shape(x.type)
    if shape is None or shape[0] < 0:
        raise Unsupported("the permutation's length must be static")
    n = shape[0]
    kind = element_of(x.type)
    indices = emit("reshape", [x, i32([n, 1])], with_shape([n, 1], kind))
    positions = const(np.arange(n, dtype=np.int64 if str(kind) == "i64" else np.int32))
    return [emit("scatter_nd", [indices, positions, i32([n])], op.result_type)]


# Lanczos' approximation of the gamma function, g = 7 with 9 terms (the widely published
# coefficients; relative error about 1e-15 in float64, float32-exact here).
_LANCZOS_G = 7.0
_LANCZOS = (
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
)


def _lgamma_from_one(z: ir.Value) -> ir.Value:
    """log Gamma(z + 1) for z >= -0.5, by Lanczos' approximation."""
    series = like(z, _LANCZOS[0])
    for i, c in enumerate(_LANCZOS[1:], start=1):
        term = _binary("div", like(z, c), _binary("add", z, like(z, i)), z.type)
        series = _binary("add", series, term, z.type)
    t = _binary("add", z, like(z, _LANCZOS_G + 0.5))
    power = _binary("mul", _binary("add", z, like(z, 0.5)), emit("log", [t], t.type))
    head = _binary("sub", _binary("add", power, like(z, 0.5 * np.log(2 * np.pi))), t)
    return _binary("add", head, emit("log", [series], series.type))


@legalizes("Lgamma")
def _lgamma(op: TfOp):
    """log|Gamma(x)|: Lanczos for x >= 0.5, the reflection formula
    log(pi) - log|sin(pi x)| - lgamma(1 - x) below (sin of x's fractional part: exact
    argument reduction; +inf at the poles, as TensorFlow gives)."""
    x = op.operands[0]
    if str(element_of(x.type)) != "f32":
        raise Unsupported("an input other than float32")
    reflect = _binary("less", x, like(x, 0.5), _bools(x.type))
    z = emit(
        "select_v2", [reflect, emit("neg", [x], x.type), _binary("sub", x, like(x, 1))], x.type
    )
    lgamma = _lgamma_from_one(z)  # lgamma(x), or lgamma(1 - x) where reflected
    fraction = _binary("sub", x, emit("floor", [x], x.type))
    sine = emit("abs", [emit("sin", [_binary("mul", fraction, like(x, np.pi))], x.type)], x.type)
    reflected = _binary(
        "sub", _binary("sub", like(x, np.log(np.pi)), emit("log", [sine], x.type), x.type), lgamma
    )
    return [emit("select_v2", [reflect, reflected, lgamma], op.result_type)]
