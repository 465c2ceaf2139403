"""TensorFlow ops that move data by index tensors (passes/tf_to_tfl/indexing.py): each small
tf.function converted by tflc and by TensorFlow's converter, run in LiteRT and in tflc's
interpreter, and compared with TensorFlow's own outputs (exactly: integer outputs, and float
sums of at most three exact terms)."""

from __future__ import annotations

import numpy as np
import pytest
import tf_support
import tflc

tf_support.skip_if_gpu_stack_loaded()
tf = pytest.importorskip("tensorflow")

RNG = np.random.default_rng(21)


def _spec(shape, dtype):
    return tf.TensorSpec(shape, dtype)


def _scatter_nd():
    @tf.function(input_signature=[_spec([4, 2], tf.int64), _spec([4, 3], tf.float32)])
    def f(indices, updates):
        return tf.scatter_nd(indices, updates, tf.constant([5, 5, 3], tf.int64))

    indices = np.array([[0, 1], [4, 4], [2, 3], [0, 1]], np.int64)  # a repeat: summed
    return f, [indices, RNG.standard_normal((4, 3)).astype(np.float32)]


def _segment_sum():
    @tf.function(input_signature=[_spec([6, 3], tf.float32), _spec([6], tf.int64)])
    def f(x, ids):
        return tf.math.segment_sum(x, ids)

    # Sorted ids without gaps: LiteRT's kernel refuses a skipped segment, whoever converted it.
    return f, [RNG.standard_normal((6, 3)).astype(np.float32), np.array([0, 0, 1, 2, 2, 2])]


def _unsorted_segment_sum():
    @tf.function(input_signature=[_spec([6, 2], tf.int32), _spec([6], tf.int32)])
    def f(x, ids):
        return tf.math.unsorted_segment_sum(x, ids, 4)

    ids = np.array([3, 0, 3, 1, 0, 2], np.int32)
    return f, [RNG.integers(-50, 50, (6, 2)).astype(np.int32), ids]


def _where():
    @tf.function(input_signature=[_spec([3, 4], tf.float32), _spec([5], tf.bool)])
    def f(x, flags):
        return tf.where(x > 0.2), tf.where(flags)

    flags = np.array([True, False, True, True, False])
    return f, [RNG.standard_normal((3, 4)).astype(np.float32), flags]


def _unique():
    @tf.function(input_signature=[_spec([9], tf.int32), _spec([7], tf.float32)])
    def f(x, y):
        values, idx = tf.unique(x)
        float_values, idx64 = tf.unique(y, out_idx=tf.int64)
        return values, idx, float_values, idx64

    y = np.array([0.5, -1.0, 0.5, 2.0, 2.0, -1.0, 3.0], np.float32)
    return f, [np.array([4, 1, 4, 7, 1, 1, 9, 7, 0], np.int32), y]


CASES = {
    "scatter_nd": _scatter_nd,
    "segment_sum": _segment_sum,
    "unsorted_segment_sum": _unsorted_segment_sum,
    "where": _where,
    "unique": _unique,
}


@pytest.mark.parametrize("name", list(CASES))
def test_converts_and_runs_like_tensorflow(name):
    fn, inputs = CASES[name]()
    want = tf_support.tf_outputs(fn, inputs)
    theirs, _ = tf_support.tf_converter(fn)
    assert tf_support.max_relative_error(tf_support.run_litert(theirs, inputs), want) == 0
    ours = tflc.convert(fn, output="flatbuffer")
    assert tf_support.max_relative_error(tf_support.run_litert(ours, inputs), want) == 0
    assert tf_support.max_relative_error(tflc.Interpreter(model_content=ours)(*inputs), want) == 0
    assert tf_support.count_ops(ours) <= tf_support.count_ops(theirs)
