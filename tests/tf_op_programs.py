"""One small tf.function per TensorFlow op that TensorFlow's converter lowers to a TFLite builtin
(its legalization list in tensorflow/compiler/mlir/lite), with the inputs to run it on.

`PROGRAMS` maps a case name (the TF op it exercises) to a builder returning a `Program`;
`build(name)` runs it with random inputs that depend on the name only. Read by
tests/test_tf_op_parity.py and benchmarks/tf_op_parity.py. Import tf_support (so tflc) first.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

RNG = np.random.default_rng(16)  # reseeded per program by `build`


@dataclass
class Program:
    fn: Callable
    inputs: list[np.ndarray]
    # "values": outputs compared with TensorFlow's. "random": seeded draws, where only shape,
    # dtype and statistics can match TensorFlow's (LiteRT has its own generator), and tflc's
    # interpreter must draw LiteRT's numbers. "distribution": statistics only.
    compare: str = "values"
    notes: list[str] = field(default_factory=list)


def _spec(x: np.ndarray) -> tf.TensorSpec:
    return tf.TensorSpec(x.shape, tf.as_dtype(x.dtype))


def _program(body: Callable, *inputs: np.ndarray, compare: str = "values") -> Program:
    fn = tf.function(body, input_signature=[_spec(x) for x in inputs], autograph=False)
    return Program(fn, list(inputs), compare)


def _unknown_shapes(body: Callable, *inputs: np.ndarray) -> Program:
    """The program with every input dimension unknown (the rank kept)."""
    specs = [tf.TensorSpec([None] * x.ndim, tf.as_dtype(x.dtype)) for x in inputs]
    return Program(tf.function(body, input_signature=specs, autograph=False), list(inputs))


def floats(*shape: int, low: float = -2.0, high: float = 2.0) -> np.ndarray:
    return RNG.uniform(low, high, shape).astype(np.float32)


def ints(*shape: int, low: int = -20, high: int = 20, dtype=np.int32) -> np.ndarray:
    return RNG.integers(low, high, shape).astype(dtype)


def _unary(body: Callable, low: float = -2.0, high: float = 2.0) -> Callable[[], Program]:
    return lambda: _program(body, floats(2, 3, 4, low=low, high=high))


def _binary(body: Callable, dtype=np.float32) -> Callable[[], Program]:
    if dtype == np.float32:
        return lambda: _program(body, floats(2, 3, 4), floats(3, 4, low=0.5, high=2.0))
    return lambda: _program(body, ints(2, 3, 4), ints(3, 4, low=1, high=7))


def _complex(*shape: int) -> np.ndarray:
    return (floats(*shape) + 1j * floats(*shape)).astype(np.complex64)


def _with_zeros(*shape: int) -> np.ndarray:
    """Floats with about a third of them 0 (the NaN-safe ops' special case)."""
    x = floats(*shape, low=0.5, high=2.0)
    return np.where(RNG.random(shape) < 0.35, np.float32(0), x).astype(np.float32)


def _inf_where_zero(*shape: int) -> list[np.ndarray]:
    """x, y with x infinite where y is 0: x * y is NaN there, multiply_no_nan's 0."""
    y = _with_zeros(*shape)
    return [np.where(y == 0, np.float32(np.inf), floats(*shape)).astype(np.float32), y]


def _image(*shape: int) -> np.ndarray:
    return floats(*shape, low=0.0, high=1.0)


def _boxes(n: int) -> np.ndarray:
    corner = RNG.uniform(0.0, 0.8, (n, 2))
    size = RNG.uniform(0.1, 0.3, (n, 2))
    return np.concatenate([corner, corner + size], axis=1).astype(np.float32)


def _nms_scores() -> np.ndarray:
    return RNG.permutation(np.linspace(0.95, 0.05, 10).astype(np.float32))  # no ties


def _nms_v4(boxes, scores):
    return tf.raw_ops.NonMaxSuppressionV4(
        boxes=boxes,
        scores=scores,
        max_output_size=6,
        iou_threshold=0.4,
        score_threshold=0.2,
        pad_to_max_output_size=True,
    )


def _nms_v5(boxes, scores):
    return tf.raw_ops.NonMaxSuppressionV5(
        boxes=boxes,
        scores=scores,
        max_output_size=6,
        iou_threshold=0.4,
        score_threshold=0.2,
        soft_nms_sigma=0.5,
        pad_to_max_output_size=True,
    )


def _l2_normalize(x):
    return tf.math.l2_normalize(x, axis=-1)


def _rfft2d(x):
    return tf.math.real(tf.signal.rfft2d(x)), tf.math.imag(tf.signal.rfft2d(x))


def _lrn(x):
    return tf.nn.local_response_normalization(x, depth_radius=2, bias=1.0, alpha=0.5, beta=0.75)


def _random_uniform(scale):
    return tf.random.uniform([64, 64], seed=7) * scale


def _random_normal(scale):
    return tf.random.normal([64, 64], seed=7) * scale


PROGRAMS: dict[str, Callable[[], Program]] = {
    # --- elementwise math --------------------------------------------------------------
    "Abs": _unary(tf.abs),
    "Neg": _unary(tf.negative),
    "Exp": _unary(tf.exp),
    "Log": _unary(tf.math.log, 0.1, 3.0),
    "Sqrt": _unary(tf.sqrt, 0.1, 3.0),
    "Rsqrt": _unary(tf.math.rsqrt, 0.1, 3.0),
    "Square": _unary(tf.square),
    "Sin": _unary(tf.sin),
    "Cos": _unary(tf.cos),
    "Floor": _unary(tf.floor),
    "Ceil": _unary(tf.math.ceil),
    "Round": _unary(tf.round),
    "Sign": _unary(tf.sign),
    "Tanh": _unary(tf.tanh),
    "Sigmoid": _unary(tf.sigmoid),
    "Relu": _unary(tf.nn.relu),
    "Relu6": _unary(lambda x: tf.nn.relu6(3 * x)),
    "Elu": _unary(tf.nn.elu),
    "Selu": _unary(tf.nn.selu),
    "LeakyRelu": _unary(lambda x: tf.nn.leaky_relu(x, 0.3)),
    "Softplus": _unary(tf.math.softplus),
    "Gelu": _unary(lambda x: tf.nn.gelu(x, approximate=False)),
    "Reciprocal": _unary(tf.math.reciprocal, 0.5, 2.0),
    "ZerosLike": _unary(tf.zeros_like),
    "OnesLike": _unary(tf.ones_like),
    "IsFinite": _unary(lambda x: tf.math.is_finite(x / (x - x[0, 0, 0]))),
    # TFLite's ATAN2 does not broadcast: TensorFlow's converter refuses unequal shapes.
    "Atan2": lambda: _program(tf.math.atan2, floats(3, 4), floats(3, 4)),
    "Erf": _unary(tf.math.erf),
    "Log1p": _unary(tf.math.log1p, 0.0, 2.0),
    "Expm1": _unary(tf.math.expm1),
    "Tan": _unary(tf.math.tan, -1.0, 1.0),
    "Softsign": _unary(tf.nn.softsign),
    "HardSwish": _unary(lambda x: x * tf.nn.relu6(x + 3) / 6),
    "ClipByValue": _unary(lambda x: tf.clip_by_value(x, -0.5, 1.5)),
    "Relu1": _unary(lambda x: tf.minimum(tf.maximum(x, -1.0), 1.0)),
    "ReluInt32": lambda: _program(tf.nn.relu, ints(3, 4)),
    "IsNan": _unary(lambda x: tf.math.is_nan(tf.math.log(x))),
    "IsInf": _unary(lambda x: tf.math.is_inf(1 / tf.round(x))),
    "Rint": _unary(lambda x: tf.math.rint(x * 2)),
    "Sinh": _unary(tf.math.sinh),
    "Cosh": _unary(tf.math.cosh),
    "Asin": _unary(tf.math.asin, -0.9, 0.9),
    "Acos": _unary(tf.math.acos, -0.9, 0.9),
    "Atan": _unary(tf.math.atan),
    "Asinh": _unary(tf.math.asinh),
    "Lgamma": _unary(tf.math.lgamma, 0.5, 12.0),
    "LgammaReflected": _unary(tf.math.lgamma, -3.7, 0.5),
    "Bitcast": lambda: _program(lambda x: tf.bitcast(x, tf.int32), floats(3, 4)),
    "Complex": lambda: _program(lambda a, b: tf.abs(tf.complex(a, b)), floats(3, 4), floats(3, 4)),
    "DivNoNan": lambda: _program(tf.math.divide_no_nan, floats(2, 3, 4), _with_zeros(3, 4)),
    "MulNoNan": lambda: _program(tf.math.multiply_no_nan, *_inf_where_zero(2, 3, 4)),
    "Xdivy": lambda: _program(tf.math.xdivy, _with_zeros(2, 3, 4), _with_zeros(3, 4)),
    "Xlogy": lambda: _program(tf.math.xlogy, _with_zeros(2, 3, 4), _with_zeros(3, 4) + 0.5),
    "TruncateDiv": _binary(tf.truncatediv, np.int32),
    "TruncateMod": _binary(tf.truncatemod, np.int32),
    "L2Loss": _unary(tf.nn.l2_loss),
    "EuclideanNorm": _unary(lambda x: tf.norm(x, axis=1)),
    "Size": _unary(lambda x: tf.size(x)),
    "InvertPermutation": lambda: _program(
        tf.math.invert_permutation, np.array([2, 0, 3, 1], np.int32)
    ),
    "SigmoidGrad": _binary(
        lambda y, dy: tf.raw_ops.SigmoidGrad(y=y, dy=tf.broadcast_to(dy, tf.shape(y)))
    ),
    "ApproxTopK": _unary(lambda x: tf.math.approx_max_k(x, 2)),
    "Sort": _unary(lambda x: tf.sort(x, axis=-1, direction="DESCENDING")),
    "LinSpace": lambda: _program(lambda a, b: tf.linspace(a, b, 7), floats(), floats()),
    "RangeFloat": lambda: _program(lambda a: tf.range(a, 5.0, 0.75), np.array(0.5, np.float32)),
    "Add": _binary(tf.add),
    "AddN": lambda: _program(lambda a, b, c: tf.add_n([a, b, c]), *[floats(2, 3)] * 3),
    "Sub": _binary(tf.subtract),
    "Mul": _binary(tf.multiply),
    "RealDiv": _binary(tf.divide),
    "Maximum": _binary(tf.maximum),
    "Minimum": _binary(tf.minimum),
    "Pow": lambda: _program(tf.pow, floats(2, 3, low=0.5), floats(2, 3)),
    "SquaredDifference": _binary(tf.math.squared_difference),
    "FloorDiv": _binary(tf.math.floordiv, np.int32),
    "FloorMod": _binary(tf.math.floormod, np.int32),
    "FloorDivFloat": _binary(tf.math.floordiv),
    "Less": _binary(tf.less),
    "GreaterEqual": _binary(tf.greater_equal),
    "Equal": _binary(tf.equal, np.int32),
    "NotEqual": _binary(tf.not_equal, np.int32),
    "LogicalAnd": lambda: _program(
        lambda a, b: tf.logical_and(a > 0, b > 0), floats(3, 4), floats(3, 4)
    ),
    "LogicalOr": lambda: _program(
        lambda a, b: tf.logical_or(a > 0, b > 0), floats(3, 4), floats(3, 4)
    ),
    "LogicalNot": _unary(lambda x: tf.logical_not(x > 0)),
    "Cast": _unary(lambda x: tf.cast(x * 5, tf.int32)),
    "Select": lambda: _program(lambda a, b: tf.where(a > b, a, b), floats(3, 4), floats(3, 4)),
    "SelectV2": lambda: _program(lambda a, b: tf.where(a > 0, a, b), floats(3, 4), floats(4)),
    "BitwiseXor": _binary(tf.bitwise.bitwise_xor, np.int32),
    "RightShift": lambda: _program(
        tf.bitwise.right_shift, ints(3, 4, low=0, high=1000), ints(3, 4, low=0, high=5)
    ),
    # --- reductions and scans --------------------------------------------------------------
    "Sum": _unary(lambda x: tf.reduce_sum(x, axis=1)),
    "Mean": _unary(lambda x: tf.reduce_mean(x, axis=[1, 2], keepdims=True)),
    "Max": _unary(lambda x: tf.reduce_max(x, axis=2)),
    "Min": _unary(lambda x: tf.reduce_min(x, axis=0)),
    "Prod": _unary(lambda x: tf.reduce_prod(x, axis=1)),
    "Any": _unary(lambda x: tf.reduce_any(x > 1.5, axis=1)),
    "All": _unary(lambda x: tf.reduce_all(x > -1.5, axis=2)),
    "ArgMax": _unary(lambda x: tf.argmax(x, axis=2)),
    "ArgMin": _unary(lambda x: tf.argmin(x, axis=1, output_type=tf.int32)),
    "Cumsum": _unary(lambda x: tf.cumsum(x, axis=1, exclusive=True, reverse=True)),
    "TopKV2": _unary(lambda x: tf.math.top_k(x, k=2)),
    "Softmax": _unary(tf.nn.softmax),
    "LogSoftmax": _unary(tf.nn.log_softmax),
    "L2Normalize": _unary(_l2_normalize),
    "LRN": lambda: _program(_lrn, floats(1, 3, 3, 8)),
    # --- shapes and data movement ------------------------------------------------------------
    "Reshape": _unary(lambda x: tf.reshape(x, [4, 6])),
    "Squeeze": lambda: _program(lambda x: tf.squeeze(x, axis=1), floats(3, 1, 4)),
    "ExpandDims": _unary(lambda x: tf.expand_dims(x, 1)),
    "Transpose": _unary(lambda x: tf.transpose(x, [2, 0, 1])),
    "ConcatV2": _binary(lambda a, b: tf.concat([a, a + b], axis=2)),
    "Pack": lambda: _program(lambda a, b: tf.stack([a, b], axis=1), floats(3, 4), floats(3, 4)),
    "Unpack": _unary(lambda x: tf.unstack(x, axis=1)),
    "Split": _unary(lambda x: tf.split(x, 2, axis=2)),
    "SplitV": _unary(lambda x: tf.split(x, [1, 3], axis=2)),
    "Slice": _unary(lambda x: tf.slice(x, [0, 1, 1], [2, 2, 2])),
    "StridedSlice": _unary(lambda x: x[:, ::-2, 1:]),
    "Tile": _unary(lambda x: tf.tile(x, [1, 2, 3])),
    "Pad": _unary(lambda x: tf.pad(x, [[0, 1], [2, 0], [1, 1]])),
    "PadV2": _unary(lambda x: tf.pad(x, [[0, 1], [2, 0], [1, 1]], constant_values=3.0)),
    "MirrorPad": _unary(lambda x: tf.pad(x, [[0, 1], [1, 1], [2, 2]], mode="REFLECT")),
    "MirrorPadSymmetric": _unary(lambda x: tf.pad(x, [[1, 1], [0, 2], [1, 0]], mode="SYMMETRIC")),
    "ReverseV2": _unary(lambda x: tf.reverse(x, axis=[1, 2])),
    "ReverseSequence": lambda: _program(
        lambda x, n: tf.reverse_sequence(x, n, seq_axis=1, batch_axis=0),
        floats(3, 5, 2),
        np.array([2, 5, 1], np.int32),
    ),
    "BroadcastTo": lambda: _program(lambda x: tf.broadcast_to(x, [2, 3, 4]), floats(3, 1)),
    "BroadcastArgs": lambda: _program(
        lambda a, b: tf.raw_ops.BroadcastArgs(s0=a, s1=b),
        np.array([3, 1], np.int32),
        np.array([2, 1, 4], np.int32),
    ),
    "Fill": lambda: _program(lambda n, v: tf.fill(n, v), np.array([2, 3], np.int32), floats()),
    "Range": lambda: _program(
        lambda a, b: tf.range(a, b, 3), np.array(2, np.int32), np.array(17, np.int32)
    ),
    "Shape": _unary(lambda x: tf.shape(x)),
    "Rank": _unary(lambda x: tf.rank(x) + 0 * tf.shape(x)[0]),
    "OneHot": lambda: _program(
        lambda i: tf.one_hot(i, 5, on_value=2.0, off_value=-1.0), ints(2, 3, low=0, high=5)
    ),
    "Gather": lambda: _program(
        lambda x, i: tf.gather(x, i, axis=1), floats(3, 5, 2), ints(4, low=0, high=5)
    ),
    "GatherBatchDims": lambda: _program(
        lambda x, i: tf.gather(x, i, axis=1, batch_dims=1), floats(3, 5), ints(3, 2, low=0, high=5)
    ),
    "GatherNd": lambda: _program(tf.gather_nd, floats(3, 5, 2), ints(4, 2, low=0, high=3)),
    "TensorScatterUpdate": lambda: _program(
        lambda x, u: tf.tensor_scatter_nd_update(x, [[1], [3]], u), floats(5, 3), floats(2, 3)
    ),
    "TensorScatterAdd": lambda: _program(
        lambda x, u: tf.tensor_scatter_nd_add(x, [[1], [3]], u), floats(5, 3), floats(2, 3)
    ),
    "SparseToDense": lambda: _program(
        lambda v: tf.raw_ops.SparseToDense(
            sparse_indices=[[0, 1], [2, 3]], output_shape=[3, 4], sparse_values=v, default_value=0.5
        ),
        floats(2),
    ),
    "Roll": _unary(lambda x: tf.roll(x, shift=2, axis=2)),
    "RollUnknownShape": lambda: _unknown_shapes(
        lambda x: tf.roll(x, shift=[1, -2], axis=[0, 1]), floats(3, 4)
    ),
    "RollVariableShift": lambda: _program(
        lambda x, s: tf.roll(x, shift=s, axis=1), floats(3, 4), np.array(3, np.int32)
    ),
    "TensorScatterUpdateUnknownShape": lambda: _unknown_shapes(
        lambda x, i, u: tf.tensor_scatter_nd_update(x, i, u),
        floats(5, 3),
        np.array([[1], [3]], np.int32),
        floats(2, 3),
    ),
    "Cumprod": _unary(lambda x: tf.math.cumprod(x, axis=1)),
    "ScatterNd": lambda: _program(
        lambda i, u: tf.scatter_nd(i, u, [5, 3]),
        np.array([[1], [3], [4]], np.int32),
        floats(3, 3),
    ),
    "SpaceToDepth": lambda: _program(lambda x: tf.nn.space_to_depth(x, 2), floats(1, 4, 6, 3)),
    "DepthToSpace": lambda: _program(lambda x: tf.nn.depth_to_space(x, 2), floats(1, 2, 3, 8)),
    "SpaceToBatchND": lambda: _program(
        lambda x: tf.space_to_batch(x, [2, 2], [[0, 0], [1, 1]]), floats(1, 4, 2, 3)
    ),
    "BatchToSpaceND": lambda: _program(
        lambda x: tf.batch_to_space(x, [2, 2], [[0, 0], [1, 0]]), floats(4, 2, 3, 2)
    ),
    "MatrixDiag": lambda: _program(tf.linalg.diag, floats(2, 4)),
    "MatrixSetDiag": lambda: _program(tf.linalg.set_diag, floats(2, 4, 4), floats(2, 4)),
    "MatrixBandPart": lambda: _program(lambda x: tf.linalg.band_part(x, 1, 2), floats(2, 5, 6)),
    "MatrixDiagOffset": lambda: _program(lambda x: tf.linalg.diag(x, k=1), floats(2, 4)),
    "MatrixSetDiagOffset": lambda: _program(
        lambda x, d: tf.linalg.set_diag(x, d, k=-1), floats(2, 4, 4), floats(2, 3)
    ),
    "MatrixBandPartUnknownShape": lambda: _unknown_shapes(
        lambda x: tf.linalg.band_part(x, 2, 0), floats(2, 5, 6)
    ),
    "MatrixBandPartVariableBand": lambda: _program(
        lambda x, n: tf.linalg.band_part(x, n, -1), floats(5, 6), np.array(1, np.int32)
    ),
    "Bucketize": _unary(lambda x: tf.raw_ops.Bucketize(input=x, boundaries=[-1.0, 0.0, 0.5])),
    "Where": lambda: _program(lambda x: tf.where(x > 0.5), floats(3, 4)),
    "Unique": lambda: _program(tf.unique, ints(9, low=0, high=5)),
    "SegmentSum": lambda: _program(lambda x: tf.math.segment_sum(x, [0, 0, 1, 2, 2]), floats(5, 3)),
    "UnsortedSegmentSum": lambda: _program(
        lambda x, i: tf.math.unsorted_segment_sum(x, i, 4), floats(6, 2), ints(6, low=0, high=4)
    ),
    "UnsortedSegmentMax": lambda: _program(
        lambda x, i: tf.math.unsorted_segment_max(x, i, 4),
        floats(6, 2),
        np.array([0, 1, 0, 3, 2, 3], np.int32),
    ),
    "UnsortedSegmentMin": lambda: _program(
        lambda x, i: tf.math.unsorted_segment_min(x, i, 4),
        floats(6, 2),
        np.array([0, 1, 0, 3, 2, 3], np.int32),
    ),
    "UnsortedSegmentProd": lambda: _program(
        lambda x, i: tf.math.unsorted_segment_prod(x, i, 4),
        floats(6, 2),
        np.array([0, 1, 0, 3, 2, 3], np.int32),
    ),
    # --- other dtypes and forms ------------------------------------------------------------
    "SumInt": lambda: _program(lambda x: tf.reduce_sum(x, axis=[0, 2]), ints(2, 3, 4)),
    "MaxInt64": lambda: _program(lambda x: tf.reduce_max(x, axis=1), ints(3, 5, dtype=np.int64)),
    "MeanKeepDims": _unary(lambda x: tf.reduce_mean(x, axis=-1, keepdims=True)),
    "ArgMaxInt": lambda: _program(lambda x: tf.argmax(x, axis=0), ints(4, 5, low=0, high=1000)),
    "CumsumInt": lambda: _program(lambda x: tf.cumsum(x, axis=0), ints(4, 3)),
    "TopKInt": lambda: _program(lambda x: tf.math.top_k(x, 3), ints(2, 6, low=0, high=1000)),
    "GatherNdInt64": lambda: _program(
        tf.gather_nd, ints(3, 4, low=0, high=99), np.array([[0, 1], [2, 3]], np.int64)
    ),
    "GatherV1": lambda: _program(
        lambda x, i: tf.raw_ops.Gather(params=x, indices=i), floats(5, 3), ints(4, low=0, high=5)
    ),
    "ConcatV1": lambda: _program(
        lambda a, b: tf.raw_ops.Concat(concat_dim=1, values=[a, b]), floats(2, 3), floats(2, 2)
    ),
    "TransposeInt64Perm": _unary(lambda x: tf.transpose(x, tf.constant([1, 2, 0], tf.int64))),
    "CastBool": _unary(lambda x: tf.cast(x > 0, tf.float32)),
    "CastInt64": lambda: _program(lambda x: tf.cast(x, tf.int64) * 3, ints(3, 4)),
    "StridedSliceNewAxis": _unary(lambda x: x[..., tf.newaxis, 1:3]),
    "StridedSliceShrink": _unary(lambda x: x[1, :, -1]),
    "ExpandDimsNegative": _unary(lambda x: tf.expand_dims(x, -1)),
    "SqueezeAll": lambda: _program(tf.squeeze, floats(1, 3, 1, 4)),
    "PadInt": lambda: _program(lambda x: tf.pad(x, [[1, 0], [0, 2]]), ints(3, 4)),
    "TileInt": lambda: _program(lambda x: tf.tile(x, [2, 1]), ints(3, 4)),
    "ReshapeDynamic": lambda: _program(
        lambda x, n: tf.reshape(x, [n, -1]), floats(4, 6), np.array(3, np.int32)
    ),
    "FillDynamic": lambda: _program(lambda n: tf.fill([n, 2], 1.5), np.array(3, np.int32)),
    "ResizeNearestAlignCorners": lambda: _program(
        lambda x: tf.compat.v1.image.resize_nearest_neighbor(x, [7, 5], align_corners=True),
        _image(1, 4, 3, 2),
    ),
    "ResizeBilinearHalfPixelDown": lambda: _program(
        lambda x: tf.image.resize(x, [3, 2], "bilinear"), _image(1, 7, 5, 2)
    ),
    "MaxPool3D": lambda: _program(
        lambda x: tf.nn.max_pool3d(x, 2, 2, "VALID"), floats(1, 4, 4, 4, 2)
    ),
    "AvgPool3D": lambda: _program(
        lambda x: tf.nn.avg_pool3d(x, 2, 2, "VALID"), floats(1, 4, 4, 4, 2)
    ),
    "Conv2DExplicitPadding": lambda: _program(
        lambda x: tf.nn.conv2d(
            x, tf.constant(floats(3, 3, 2, 4)), 1, [[0, 0], [1, 2], [2, 1], [0, 0]]
        ),
        floats(1, 5, 5, 2),
    ),
    "SquaredDifferenceInt": _binary(tf.math.squared_difference, np.int32),
    "MinimumInt": _binary(tf.minimum, np.int32),
    "MulInt": _binary(tf.multiply, np.int32),
    "NegInt": lambda: _program(tf.negative, ints(3, 4)),
    "AbsInt": lambda: _program(tf.abs, ints(3, 4)),
    "SignInt": lambda: _program(tf.sign, ints(3, 4)),
    "SquareInt": lambda: _program(tf.square, ints(3, 4)),
    "PowInt": lambda: _program(tf.pow, ints(3, 4, low=-3, high=4), ints(3, 4, low=0, high=4)),
    "DivInt": lambda: _program(
        lambda a, b: tf.raw_ops.Div(x=a, y=b), ints(3, 4), ints(3, 4, low=1)
    ),
    "DivIntFolded": lambda: _program(
        lambda a: a + tf.raw_ops.Div(x=tf.constant([-7, 7, -7, 6]), y=tf.constant([2, -2, -2, 3])),
        ints(4),
    ),
    # --- neural network ops --------------------------------------------------------------------
    "MatMul": lambda: _program(tf.matmul, floats(3, 5), floats(5, 4)),
    "BatchMatMulV3": lambda: _program(tf.matmul, floats(2, 3, 5), floats(2, 5, 4)),
    "Einsum": lambda: _program(
        lambda a, b: tf.einsum("bij,bjk->bik", a, b), floats(2, 3, 5), floats(2, 5, 4)
    ),
    "Conv2D": lambda: _program(
        lambda x: tf.nn.conv2d(x, tf.constant(floats(3, 3, 3, 4)), 1, "SAME"), floats(1, 6, 6, 3)
    ),
    "DepthwiseConv2dNative": lambda: _program(
        lambda x: tf.nn.depthwise_conv2d(x, tf.constant(floats(3, 3, 3, 2)), [1, 1, 1, 1], "VALID"),
        floats(1, 6, 6, 3),
    ),
    "Conv2DBackpropInput": lambda: _program(
        lambda x: tf.nn.conv2d_transpose(
            x, tf.constant(floats(3, 3, 2, 3)), [1, 8, 8, 2], 2, "SAME"
        ),
        floats(1, 4, 4, 3),
    ),
    "Conv3D": lambda: _program(
        lambda x: tf.nn.conv3d(x, tf.constant(floats(2, 2, 2, 3, 4)), [1] * 5, "VALID"),
        floats(1, 4, 4, 4, 3),
    ),
    "Conv3DBackpropInputV2": lambda: _program(
        lambda x: tf.nn.conv3d_transpose(
            x, tf.constant(floats(2, 2, 2, 2, 3)), [1, 6, 6, 6, 2], [1, 2, 2, 2, 1], "SAME"
        ),
        floats(1, 3, 3, 3, 3),
    ),
    "MaxPool": lambda: _program(lambda x: tf.nn.max_pool2d(x, 2, 2, "VALID"), floats(1, 6, 6, 3)),
    "AvgPool": lambda: _program(lambda x: tf.nn.avg_pool2d(x, 3, 1, "SAME"), floats(1, 6, 6, 3)),
    "BiasAdd": lambda: _program(lambda x, b: tf.nn.bias_add(x, b), floats(2, 3, 4), floats(4)),
    "FusedBatchNormV3": lambda: _program(
        lambda x: tf.compat.v1.nn.fused_batch_norm(
            x, floats(3), floats(3), floats(3), floats(3, low=0.5, high=1.5), is_training=False
        )[0],
        floats(1, 4, 4, 3),
    ),
    "ResizeBilinear": lambda: _program(
        lambda x: tf.image.resize(x, [7, 5], "bilinear"), _image(1, 4, 3, 2)
    ),
    "ResizeBilinearAlignCorners": lambda: _program(
        lambda x: tf.compat.v1.image.resize_bilinear(x, [7, 5], align_corners=True),
        _image(1, 4, 3, 2),
    ),
    "ResizeBicubic": lambda: _program(
        lambda x: tf.image.resize(x, [7, 5], "bicubic"), _image(1, 4, 3, 2)
    ),
    "CropAndResize": lambda: _program(
        lambda x: tf.image.crop_and_resize(x, [[0.1, 0.2, 0.8, 0.9]], [0], [3, 3]),
        _image(1, 6, 6, 2),
    ),
    "ExtractImagePatches": lambda: _program(
        lambda x: tf.image.extract_patches(x, [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID"),
        _image(1, 4, 4, 2),
    ),
    "Dilation2D": lambda: _program(
        lambda x: tf.nn.dilation2d(
            x, tf.constant(floats(2, 2, 2)), [1, 1, 1, 1], "VALID", "NHWC", [1, 1, 1, 1]
        ),
        _image(1, 4, 4, 2),
    ),
    "DepthwiseConvDilated": lambda: _program(
        lambda x: tf.nn.depthwise_conv2d(
            x, tf.constant(floats(3, 3, 3, 1)), [1, 1, 1, 1], "SAME", dilations=[2, 2]
        ),
        floats(1, 8, 8, 3),
    ),
    "Conv2DDilated": lambda: _program(
        lambda x: tf.nn.conv2d(x, tf.constant(floats(3, 3, 3, 4)), 1, "VALID", dilations=2),
        floats(1, 8, 8, 3),
    ),
    "MatMulAdjoint": lambda: _program(
        lambda a, b: tf.matmul(a, b, transpose_a=True, adjoint_b=True),
        floats(2, 5, 3),
        floats(2, 4, 5),
    ),
    "ResizeNearestNeighbor": lambda: _program(
        lambda x: tf.image.resize(x, [8, 6], "nearest"), _image(1, 4, 3, 2)
    ),
    "NonMaxSuppressionV4": lambda: _program(_nms_v4, _boxes(10), _nms_scores()),
    "NonMaxSuppressionV5": lambda: _program(_nms_v5, _boxes(10), _nms_scores()),
    "NonMaxSuppressionV3": lambda: _program(
        lambda b, s: tf.image.non_max_suppression(b, s, 9, 0.4, 0.2), _boxes(10), _nms_scores()
    ),
    # Hard suppression: LiteRT's soft-NMS can stop before TensorFlow's on these boxes.
    "NonMaxSuppressionV5Unpadded": lambda: _program(
        lambda b, s: tf.image.non_max_suppression_with_scores(b, s, 9, 0.4, 0.3, 0.0),
        _boxes(10),
        _nms_scores(),
    ),
    # --- complex numbers and random numbers -----------------------------------------------------
    "RFFT2D": lambda: _program(_rfft2d, floats(2, 4, 8)),
    "ComplexAbs": lambda: _program(lambda x: tf.abs(tf.signal.rfft2d(x)), floats(2, 4, 8)),
    "RandomUniform": lambda: _program(_random_uniform, np.ones(1, np.float32), compare="random"),
    "RandomStandardNormal": lambda: _program(
        _random_normal, np.ones(1, np.float32), compare="random"
    ),
    "Multinomial": lambda: _program(
        lambda logits: tf.random.categorical(logits, 2048, seed=3, dtype=tf.int32),
        np.log(np.array([[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1]], np.float32)),
        compare="distribution",
    ),
    "Real": lambda: _program(tf.math.real, _complex(3, 4)),
    "Imag": lambda: _program(tf.math.imag, _complex(3, 4)),
    "ComplexAbsInput": lambda: _program(tf.abs, _complex(3, 4)),
}


def build(name: str) -> Program:
    global RNG
    RNG = np.random.default_rng(zlib.crc32(name.encode()))
    return PROGRAMS[name]()
