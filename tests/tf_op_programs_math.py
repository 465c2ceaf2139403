"""The parity programs of elementwise math, reductions and scans, and ops of other dtypes and
forms (tests/tf_op_programs.py)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf
from tf_op_inputs import (
    Program,
    binary,
    floats,
    image,
    inf_where_zero,
    ints,
    program,
    unary,
    with_zeros,
)


def _l2_normalize(x):
    return tf.math.l2_normalize(x, axis=-1)


def _lrn(x):
    return tf.nn.local_response_normalization(x, depth_radius=2, bias=1.0, alpha=0.5, beta=0.75)


def _unary_with_assert():
    def body(x):
        check = tf.debugging.assert_less(x, 10.0)
        with tf.control_dependencies([check]):
            return x * 2.0

    return unary(body)


MATH: dict[str, Callable[[], Program]] = {
    # --- elementwise math --------------------------------------------------------------
    "Abs": unary(tf.abs),
    "Neg": unary(tf.negative),
    "Exp": unary(tf.exp),
    "Log": unary(tf.math.log, 0.1, 3.0),
    "Sqrt": unary(tf.sqrt, 0.1, 3.0),
    "Rsqrt": unary(tf.math.rsqrt, 0.1, 3.0),
    "Square": unary(tf.square),
    "Sin": unary(tf.sin),
    "Cos": unary(tf.cos),
    "Floor": unary(tf.floor),
    "Ceil": unary(tf.math.ceil),
    "Round": unary(tf.round),
    "Sign": unary(tf.sign),
    "Tanh": unary(tf.tanh),
    "Sigmoid": unary(tf.sigmoid),
    "Relu": unary(tf.nn.relu),
    "Relu6": unary(lambda x: tf.nn.relu6(3 * x)),
    "Elu": unary(tf.nn.elu),
    "Selu": unary(tf.nn.selu),
    "LeakyRelu": unary(lambda x: tf.nn.leaky_relu(x, 0.3)),
    "Softplus": unary(tf.math.softplus),
    "Gelu": unary(lambda x: tf.nn.gelu(x, approximate=False)),
    "Reciprocal": unary(tf.math.reciprocal, 0.5, 2.0),
    "ZerosLike": unary(tf.zeros_like),
    "OnesLike": unary(tf.ones_like),
    "IsFinite": unary(lambda x: tf.math.is_finite(x / (x - x[0, 0, 0]))),
    # TFLite's ATAN2 does not broadcast: TensorFlow's converter refuses unequal shapes.
    "Atan2": lambda: program(tf.math.atan2, floats(3, 4), floats(3, 4)),
    "Erf": unary(tf.math.erf),
    "Log1p": unary(tf.math.log1p, 0.0, 2.0),
    "Expm1": unary(tf.math.expm1),
    "Tan": unary(tf.math.tan, -1.0, 1.0),
    "Softsign": unary(tf.nn.softsign),
    "HardSwish": unary(lambda x: x * tf.nn.relu6(x + 3) / 6),
    "ClipByValue": unary(lambda x: tf.clip_by_value(x, -0.5, 1.5)),
    "Relu1": unary(lambda x: tf.minimum(tf.maximum(x, -1.0), 1.0)),
    "ReluInt32": lambda: program(tf.nn.relu, ints(3, 4)),
    "IsNan": unary(lambda x: tf.math.is_nan(tf.math.log(x))),
    "IsInf": unary(lambda x: tf.math.is_inf(1 / tf.round(x))),
    "Rint": unary(lambda x: tf.math.rint(x * 2)),
    "Sinh": unary(tf.math.sinh),
    "Cosh": unary(tf.math.cosh),
    "Asin": unary(tf.math.asin, -0.9, 0.9),
    "Acos": unary(tf.math.acos, -0.9, 0.9),
    "Atan": unary(tf.math.atan),
    "Asinh": unary(tf.math.asinh),
    "Lgamma": unary(tf.math.lgamma, 0.5, 12.0),
    "LgammaReflected": unary(tf.math.lgamma, -3.7, 0.5),
    "Bitcast": lambda: program(lambda x: tf.bitcast(x, tf.int32), floats(3, 4)),
    "Complex": lambda: program(lambda a, b: tf.abs(tf.complex(a, b)), floats(3, 4), floats(3, 4)),
    "DivNoNan": lambda: program(tf.math.divide_no_nan, floats(2, 3, 4), with_zeros(3, 4)),
    "MulNoNan": lambda: program(tf.math.multiply_no_nan, *inf_where_zero(2, 3, 4)),
    "Xdivy": lambda: program(tf.math.xdivy, with_zeros(2, 3, 4), with_zeros(3, 4)),
    "Xlogy": lambda: program(tf.math.xlogy, with_zeros(2, 3, 4), with_zeros(3, 4) + 0.5),
    "TruncateDiv": binary(tf.truncatediv, np.int32),
    "TruncateMod": binary(tf.truncatemod, np.int32),
    "L2Loss": unary(tf.nn.l2_loss),
    "EuclideanNorm": unary(lambda x: tf.norm(x, axis=1)),
    "Size": unary(lambda x: tf.size(x)),
    "InvertPermutation": lambda: program(
        tf.math.invert_permutation, np.array([2, 0, 3, 1], np.int32)
    ),
    "SigmoidGrad": binary(
        lambda y, dy: tf.raw_ops.SigmoidGrad(y=y, dy=tf.broadcast_to(dy, tf.shape(y)))
    ),
    "ApproxTopK": unary(lambda x: tf.math.approx_max_k(x, 2)),
    "Sort": unary(lambda x: tf.sort(x, axis=-1, direction="DESCENDING")),
    "LinSpace": lambda: program(lambda a, b: tf.linspace(a, b, 7), floats(), floats()),
    "RangeFloat": lambda: program(lambda a: tf.range(a, 5.0, 0.75), np.array(0.5, np.float32)),
    "Add": binary(tf.add),
    "AddN": lambda: program(lambda a, b, c: tf.add_n([a, b, c]), *[floats(2, 3)] * 3),
    "Sub": binary(tf.subtract),
    "Mul": binary(tf.multiply),
    "RealDiv": binary(tf.divide),
    "Maximum": binary(tf.maximum),
    "Minimum": binary(tf.minimum),
    "Pow": lambda: program(tf.pow, floats(2, 3, low=0.5), floats(2, 3)),
    "SquaredDifference": binary(tf.math.squared_difference),
    "FloorDiv": binary(tf.math.floordiv, np.int32),
    "FloorMod": binary(tf.math.floormod, np.int32),
    "FloorDivFloat": binary(tf.math.floordiv),
    "Less": binary(tf.less),
    "GreaterEqual": binary(tf.greater_equal),
    "Equal": binary(tf.equal, np.int32),
    "NotEqual": binary(tf.not_equal, np.int32),
    "LogicalAnd": lambda: program(
        lambda a, b: tf.logical_and(a > 0, b > 0), floats(3, 4), floats(3, 4)
    ),
    "LogicalOr": lambda: program(
        lambda a, b: tf.logical_or(a > 0, b > 0), floats(3, 4), floats(3, 4)
    ),
    "LogicalNot": unary(lambda x: tf.logical_not(x > 0)),
    "Cast": unary(lambda x: tf.cast(x * 5, tf.int32)),
    "Select": lambda: program(lambda a, b: tf.where(a > b, a, b), floats(3, 4), floats(3, 4)),
    "SelectV2": lambda: program(lambda a, b: tf.where(a > 0, a, b), floats(3, 4), floats(4)),
    "BitwiseXor": binary(tf.bitwise.bitwise_xor, np.int32),
    "RightShift": lambda: program(
        tf.bitwise.right_shift, ints(3, 4, low=0, high=1000), ints(3, 4, low=0, high=5)
    ),
    # --- reductions and scans --------------------------------------------------------------
    "Sum": unary(lambda x: tf.reduce_sum(x, axis=1)),
    "Mean": unary(lambda x: tf.reduce_mean(x, axis=[1, 2], keepdims=True)),
    "Max": unary(lambda x: tf.reduce_max(x, axis=2)),
    "Min": unary(lambda x: tf.reduce_min(x, axis=0)),
    "Prod": unary(lambda x: tf.reduce_prod(x, axis=1)),
    "Any": unary(lambda x: tf.reduce_any(x > 1.5, axis=1)),
    "All": unary(lambda x: tf.reduce_all(x > -1.5, axis=2)),
    "ArgMax": unary(lambda x: tf.argmax(x, axis=2)),
    "ArgMin": unary(lambda x: tf.argmin(x, axis=1, output_type=tf.int32)),
    "Cumsum": unary(lambda x: tf.cumsum(x, axis=1, exclusive=True, reverse=True)),
    "TopKV2": unary(lambda x: tf.math.top_k(x, k=2)),
    "Softmax": unary(tf.nn.softmax),
    "LogSoftmax": unary(tf.nn.log_softmax),
    "L2Normalize": unary(_l2_normalize),
    "LRN": lambda: program(_lrn, floats(1, 3, 3, 8)),
    # --- TensorFlow's own lowerings of training and composite ops ----------------------------
    "Assert": _unary_with_assert(),
    "Xlog1py": lambda: program(tf.math.xlog1py, with_zeros(2, 3, 4), floats(3, 4, low=-0.5)),
    "Digamma": unary(tf.math.digamma, 0.5, 4.0),
    "Erfc": unary(tf.math.erfc),
    "Inv": unary(lambda x: tf.raw_ops.Inv(x=x), 0.5, 2.0),
    "ReluGrad": binary(lambda g, x: tf.raw_ops.ReluGrad(gradients=g, features=x + 0 * g)),
    "Relu6Grad": binary(lambda g, x: tf.raw_ops.Relu6Grad(gradients=g, features=x * 4 + 0 * g)),
    "TanhGrad": binary(lambda y, dy: tf.raw_ops.TanhGrad(y=y, dy=dy + 0 * y)),
    "RsqrtGrad": binary(lambda y, dy: tf.raw_ops.RsqrtGrad(y=y, dy=dy + 0 * y)),
    "SqrtGrad": binary(lambda y, dy: tf.raw_ops.SqrtGrad(y=y, dy=dy + 0 * y)),
    "EluGrad": binary(lambda g, x: tf.raw_ops.EluGrad(gradients=g, outputs=x + 0 * g)),
    "LeakyReluGrad": binary(
        lambda g, x: tf.raw_ops.LeakyReluGrad(gradients=g, features=x + 0 * g, alpha=0.2)
    ),
    "SoftmaxCrossEntropy": lambda: program(
        lambda logits, labels: tf.raw_ops.SoftmaxCrossEntropyWithLogits(
            features=logits, labels=tf.nn.softmax(labels)
        ),
        floats(3, 5),
        floats(3, 5),
    ),
    "SparseSoftmaxCrossEntropy": lambda: program(
        lambda logits, labels: tf.raw_ops.SparseSoftmaxCrossEntropyWithLogits(
            features=logits, labels=labels
        ),
        floats(3, 5),
        ints(3, low=0, high=5),
    ),
    "BiasAddGrad": unary(lambda x: tf.raw_ops.BiasAddGrad(out_backprop=x)),
    # --- other dtypes and forms ------------------------------------------------------------
    "SumInt": lambda: program(lambda x: tf.reduce_sum(x, axis=[0, 2]), ints(2, 3, 4)),
    "MaxInt64": lambda: program(lambda x: tf.reduce_max(x, axis=1), ints(3, 5, dtype=np.int64)),
    "MeanKeepDims": unary(lambda x: tf.reduce_mean(x, axis=-1, keepdims=True)),
    "ArgMaxInt": lambda: program(lambda x: tf.argmax(x, axis=0), ints(4, 5, low=0, high=1000)),
    "CumsumInt": lambda: program(lambda x: tf.cumsum(x, axis=0), ints(4, 3)),
    "TopKInt": lambda: program(lambda x: tf.math.top_k(x, 3), ints(2, 6, low=0, high=1000)),
    "GatherNdInt64": lambda: program(
        tf.gather_nd, ints(3, 4, low=0, high=99), np.array([[0, 1], [2, 3]], np.int64)
    ),
    "GatherV1": lambda: program(
        lambda x, i: tf.raw_ops.Gather(params=x, indices=i), floats(5, 3), ints(4, low=0, high=5)
    ),
    "ConcatV1": lambda: program(
        lambda a, b: tf.raw_ops.Concat(concat_dim=1, values=[a, b]), floats(2, 3), floats(2, 2)
    ),
    "TransposeInt64Perm": unary(lambda x: tf.transpose(x, tf.constant([1, 2, 0], tf.int64))),
    "CastBool": unary(lambda x: tf.cast(x > 0, tf.float32)),
    "CastInt64": lambda: program(lambda x: tf.cast(x, tf.int64) * 3, ints(3, 4)),
    "StridedSliceNewAxis": unary(lambda x: x[..., tf.newaxis, 1:3]),
    "StridedSliceShrink": unary(lambda x: x[1, :, -1]),
    "ExpandDimsNegative": unary(lambda x: tf.expand_dims(x, -1)),
    "SqueezeAll": lambda: program(tf.squeeze, floats(1, 3, 1, 4)),
    "PadInt": lambda: program(lambda x: tf.pad(x, [[1, 0], [0, 2]]), ints(3, 4)),
    "TileInt": lambda: program(lambda x: tf.tile(x, [2, 1]), ints(3, 4)),
    "ReshapeDynamic": lambda: program(
        lambda x, n: tf.reshape(x, [n, -1]), floats(4, 6), np.array(3, np.int32)
    ),
    "FillDynamic": lambda: program(lambda n: tf.fill([n, 2], 1.5), np.array(3, np.int32)),
    "ResizeNearestAlignCorners": lambda: program(
        lambda x: tf.compat.v1.image.resize_nearest_neighbor(x, [7, 5], align_corners=True),
        image(1, 4, 3, 2),
    ),
    "ResizeBilinearHalfPixelDown": lambda: program(
        lambda x: tf.image.resize(x, [3, 2], "bilinear"), image(1, 7, 5, 2)
    ),
    "MaxPool3D": lambda: program(
        lambda x: tf.nn.max_pool3d(x, 2, 2, "VALID"), floats(1, 4, 4, 4, 2)
    ),
    "AvgPool3D": lambda: program(
        lambda x: tf.nn.avg_pool3d(x, 2, 2, "VALID"), floats(1, 4, 4, 4, 2)
    ),
    "Conv2DExplicitPadding": lambda: program(
        lambda x: tf.nn.conv2d(
            x, tf.constant(floats(3, 3, 2, 4)), 1, [[0, 0], [1, 2], [2, 1], [0, 0]]
        ),
        floats(1, 5, 5, 2),
    ),
    "SquaredDifferenceInt": binary(tf.math.squared_difference, np.int32),
    "MinimumInt": binary(tf.minimum, np.int32),
    "MulInt": binary(tf.multiply, np.int32),
    "NegInt": lambda: program(tf.negative, ints(3, 4)),
    "AbsInt": lambda: program(tf.abs, ints(3, 4)),
    "SignInt": lambda: program(tf.sign, ints(3, 4)),
    "SquareInt": lambda: program(tf.square, ints(3, 4)),
    "PowInt": lambda: program(tf.pow, ints(3, 4, low=-3, high=4), ints(3, 4, low=0, high=4)),
    "DivInt": lambda: program(lambda a, b: tf.raw_ops.Div(x=a, y=b), ints(3, 4), ints(3, 4, low=1)),
    "DivIntFolded": lambda: program(
        lambda a: a + tf.raw_ops.Div(x=tf.constant([-7, 7, -7, 6]), y=tf.constant([2, -2, -2, 3])),
        ints(4),
    ),
    "SoftmaxAxis0": unary(lambda x: tf.nn.softmax(x, axis=0)),
    "LogSoftmaxAxis1": unary(lambda x: tf.nn.log_softmax(x, axis=1)),
    "OneHotAxis0": lambda: program(lambda i: tf.one_hot(i, 4, axis=0), ints(3, low=0, high=4)),
    "RangeNegativeDelta": lambda: program(lambda a: tf.range(a, -4, -2), np.array(9, np.int32)),
    "TopKDynamicK": lambda: program(
        lambda x, k: tf.math.top_k(x, k), floats(2, 6), np.array(3, np.int32)
    ),
    "UniqueInt64": lambda: program(
        lambda x: tf.unique(x, out_idx=tf.int64), ints(8, low=0, high=4, dtype=np.int64)
    ),
    "QuantizeAndDequantizeV2": unary(
        lambda x: tf.quantization.quantize_and_dequantize_v2(x, -2.0, 2.0, range_given=True)
    ),
    "FakeQuantWithMinMaxArgs": unary(
        lambda x: tf.quantization.fake_quant_with_min_max_args(x, -1.5, 1.5)
    ),
    "HardSigmoid": unary(lambda x: tf.keras.activations.hard_sigmoid(x)),
}
