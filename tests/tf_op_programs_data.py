"""The parity programs of shapes and data movement: reshapes, slices, pads, gathers and
scatters, segment ops, matrix diagonals (tests/tf_op_programs.py)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf
from tf_op_inputs import Program, binary, floats, ints, program, unary, unknown_shapes

DATA: dict[str, Callable[[], Program]] = {
    # --- shapes and data movement ------------------------------------------------------------
    "Reshape": unary(lambda x: tf.reshape(x, [4, 6])),
    "Squeeze": lambda: program(lambda x: tf.squeeze(x, axis=1), floats(3, 1, 4)),
    "ExpandDims": unary(lambda x: tf.expand_dims(x, 1)),
    "Transpose": unary(lambda x: tf.transpose(x, [2, 0, 1])),
    "ConcatV2": binary(lambda a, b: tf.concat([a, a + b], axis=2)),
    "Pack": lambda: program(lambda a, b: tf.stack([a, b], axis=1), floats(3, 4), floats(3, 4)),
    "Unpack": unary(lambda x: tf.unstack(x, axis=1)),
    "Split": unary(lambda x: tf.split(x, 2, axis=2)),
    "SplitV": unary(lambda x: tf.split(x, [1, 3], axis=2)),
    "Slice": unary(lambda x: tf.slice(x, [0, 1, 1], [2, 2, 2])),
    "StridedSlice": unary(lambda x: x[:, ::-2, 1:]),
    "Tile": unary(lambda x: tf.tile(x, [1, 2, 3])),
    "Pad": unary(lambda x: tf.pad(x, [[0, 1], [2, 0], [1, 1]])),
    "PadV2": unary(lambda x: tf.pad(x, [[0, 1], [2, 0], [1, 1]], constant_values=3.0)),
    "MirrorPad": unary(lambda x: tf.pad(x, [[0, 1], [1, 1], [2, 2]], mode="REFLECT")),
    "MirrorPadSymmetric": unary(lambda x: tf.pad(x, [[1, 1], [0, 2], [1, 0]], mode="SYMMETRIC")),
    "ReverseV2": unary(lambda x: tf.reverse(x, axis=[1, 2])),
    "ReverseSequence": lambda: program(
        lambda x, n: tf.reverse_sequence(x, n, seq_axis=1, batch_axis=0),
        floats(3, 5, 2),
        np.array([2, 5, 1], np.int32),
    ),
    "BroadcastTo": lambda: program(lambda x: tf.broadcast_to(x, [2, 3, 4]), floats(3, 1)),
    "BroadcastArgs": lambda: program(
        lambda a, b: tf.raw_ops.BroadcastArgs(s0=a, s1=b),
        np.array([3, 1], np.int32),
        np.array([2, 1, 4], np.int32),
    ),
    "Fill": lambda: program(lambda n, v: tf.fill(n, v), np.array([2, 3], np.int32), floats()),
    "Range": lambda: program(
        lambda a, b: tf.range(a, b, 3), np.array(2, np.int32), np.array(17, np.int32)
    ),
    "Shape": unary(lambda x: tf.shape(x)),
    "Rank": unary(lambda x: tf.rank(x) + 0 * tf.shape(x)[0]),
    "OneHot": lambda: program(
        lambda i: tf.one_hot(i, 5, on_value=2.0, off_value=-1.0), ints(2, 3, low=0, high=5)
    ),
    "Gather": lambda: program(
        lambda x, i: tf.gather(x, i, axis=1), floats(3, 5, 2), ints(4, low=0, high=5)
    ),
    "GatherBatchDims": lambda: program(
        lambda x, i: tf.gather(x, i, axis=1, batch_dims=1), floats(3, 5), ints(3, 2, low=0, high=5)
    ),
    "GatherNd": lambda: program(tf.gather_nd, floats(3, 5, 2), ints(4, 2, low=0, high=3)),
    "TensorScatterUpdate": lambda: program(
        lambda x, u: tf.tensor_scatter_nd_update(x, [[1], [3]], u), floats(5, 3), floats(2, 3)
    ),
    "TensorScatterAdd": lambda: program(
        lambda x, u: tf.tensor_scatter_nd_add(x, [[1], [3]], u), floats(5, 3), floats(2, 3)
    ),
    "SparseToDense": lambda: program(
        lambda v: tf.raw_ops.SparseToDense(
            sparse_indices=[[0, 1], [2, 3]], output_shape=[3, 4], sparse_values=v, default_value=0.5
        ),
        floats(2),
    ),
    "Roll": unary(lambda x: tf.roll(x, shift=2, axis=2)),
    "RollUnknownShape": lambda: unknown_shapes(
        lambda x: tf.roll(x, shift=[1, -2], axis=[0, 1]), floats(3, 4)
    ),
    "RollVariableShift": lambda: program(
        lambda x, s: tf.roll(x, shift=s, axis=1), floats(3, 4), np.array(3, np.int32)
    ),
    "TensorScatterUpdateUnknownShape": lambda: unknown_shapes(
        lambda x, i, u: tf.tensor_scatter_nd_update(x, i, u),
        floats(5, 3),
        np.array([[1], [3]], np.int32),
        floats(2, 3),
    ),
    "Cumprod": unary(lambda x: tf.math.cumprod(x, axis=1)),
    "ScatterNd": lambda: program(
        lambda i, u: tf.scatter_nd(i, u, [5, 3]),
        np.array([[1], [3], [4]], np.int32),
        floats(3, 3),
    ),
    "SpaceToDepth": lambda: program(lambda x: tf.nn.space_to_depth(x, 2), floats(1, 4, 6, 3)),
    "DepthToSpace": lambda: program(lambda x: tf.nn.depth_to_space(x, 2), floats(1, 2, 3, 8)),
    "SpaceToBatchND": lambda: program(
        lambda x: tf.space_to_batch(x, [2, 2], [[0, 0], [1, 1]]), floats(1, 4, 2, 3)
    ),
    "BatchToSpaceND": lambda: program(
        lambda x: tf.batch_to_space(x, [2, 2], [[0, 0], [1, 0]]), floats(4, 2, 3, 2)
    ),
    "MatrixDiag": lambda: program(tf.linalg.diag, floats(2, 4)),
    "MatrixSetDiag": lambda: program(tf.linalg.set_diag, floats(2, 4, 4), floats(2, 4)),
    "MatrixBandPart": lambda: program(lambda x: tf.linalg.band_part(x, 1, 2), floats(2, 5, 6)),
    "MatrixDiagOffset": lambda: program(lambda x: tf.linalg.diag(x, k=1), floats(2, 4)),
    "MatrixSetDiagOffset": lambda: program(
        lambda x, d: tf.linalg.set_diag(x, d, k=-1), floats(2, 4, 4), floats(2, 3)
    ),
    "MatrixBandPartUnknownShape": lambda: unknown_shapes(
        lambda x: tf.linalg.band_part(x, 2, 0), floats(2, 5, 6)
    ),
    "MatrixBandPartVariableBand": lambda: program(
        lambda x, n: tf.linalg.band_part(x, n, -1), floats(5, 6), np.array(1, np.int32)
    ),
    "Bucketize": unary(lambda x: tf.raw_ops.Bucketize(input=x, boundaries=[-1.0, 0.0, 0.5])),
    "Where": lambda: program(lambda x: tf.where(x > 0.5), floats(3, 4)),
    "Unique": lambda: program(tf.unique, ints(9, low=0, high=5)),
    "SegmentSum": lambda: program(lambda x: tf.math.segment_sum(x, [0, 0, 1, 2, 2]), floats(5, 3)),
    "UnsortedSegmentSum": lambda: program(
        lambda x, i: tf.math.unsorted_segment_sum(x, i, 4), floats(6, 2), ints(6, low=0, high=4)
    ),
    "UnsortedSegmentMax": lambda: program(
        lambda x, i: tf.math.unsorted_segment_max(x, i, 4),
        floats(6, 2),
        np.array([0, 1, 0, 3, 2, 3], np.int32),
    ),
    "UnsortedSegmentMin": lambda: program(
        lambda x, i: tf.math.unsorted_segment_min(x, i, 4),
        floats(6, 2),
        np.array([0, 1, 0, 3, 2, 3], np.int32),
    ),
    "UnsortedSegmentProd": lambda: program(
        lambda x, i: tf.math.unsorted_segment_prod(x, i, 4),
        floats(6, 2),
        np.array([0, 1, 0, 3, 2, 3], np.int32),
    ),
}
