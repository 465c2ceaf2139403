"""Models converted by tflc from TensorFlow compile for the cpu target with no fallback and
match LiteRT on the same flatbuffer.

- A `tf.cond`, on inputs that take each branch: the cpu target compiles `tfl.if` by
  if-conversion (both branches, then a select on the predicate: backends/cpu/graph.py), and the
  predicate's comparisons and logic with its own kernels (backends/cpu/kernels_typed.py).
- A Keras model saved with `model.export()` (dynamic batch): its reshapes compute their shapes
  at run time (`shape`, `strided_slice`, `pack`), which the cpu target computes while compiling
  the .tflite's batch-1 shapes (backends/cpu/compile_time.py).
"""

from __future__ import annotations

import numpy as np
import pytest
import tf_support

tf_support.skip_if_gpu_stack_loaded()
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

import tflc  # noqa: E402

RTOL = 1e-6  # relu, mul, sub and exp of the same float32 values: at most an ulp or two apart


def cond_model():
    @tf.function(input_signature=[tf.TensorSpec([2, 4], tf.float32)])
    def model(x):
        pred = tf.logical_and(tf.reduce_sum(x) > 2.0, tf.reduce_max(x) < 1.9)
        return tf.cond(pred, lambda: tf.nn.relu(x) * 3.0, lambda: tf.exp(x) - 1.0)

    return model


def test_tf_cond_compiles_for_cpu_and_matches_litert():
    flatbuffer = tflc.convert(cond_model(), output="flatbuffer")
    assert tflc.to_text(tflc.load(flatbuffer)).count('"tfl.if"') == 1
    compiled = tflc.compile(flatbuffer, target="cpu")
    assert not compiled.report.get("fallback_ops")
    rng = np.random.default_rng(0)
    taken = set()
    for shift in (0.0, 0.5, -1.0, 1.5):
        x = (rng.random((2, 4)) + shift).astype(np.float32)
        taken.add(bool(x.sum() > 2.0 and x.max() < 1.9))
        (ours,) = compiled(x)
        (ref,) = tf_support.run_litert(flatbuffer, [x])
        assert ours.dtype == ref.dtype and ours.shape == ref.shape
        assert tf_support.max_relative_error([ours], [ref]) <= RTOL
    assert taken == {True, False}  # the inputs took both branches


def test_keras_export_with_shape_computations_compiles_for_cpu(tmp_path):
    keras.utils.set_random_seed(5)
    inputs = keras.Input((8,))
    h = keras.layers.Dense(6, activation="relu")(inputs)
    h = keras.layers.Flatten()(keras.layers.Reshape((2, 3))(h))
    keras.Model(inputs, keras.layers.Dense(3)(h)).export(str(tmp_path / "saved"), verbose=False)
    flatbuffer = tflc.convert(str(tmp_path / "saved"), output="flatbuffer")
    assert '"tfl.pack"' in tflc.to_text(tflc.load(flatbuffer))  # the shape computation is there
    compiled = tflc.compile(flatbuffer, target="cpu")
    assert not compiled.report.get("fallback_ops")
    x = np.random.default_rng(2).standard_normal((1, 8)).astype(np.float32)
    (ours,) = compiled(x)
    assert tf_support.max_relative_error([ours], tf_support.run_litert(flatbuffer, [x])) <= 1e-5
