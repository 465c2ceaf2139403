"""More Keras layers and tf.* functions through tflc.convert: dilated, separable, 1-D and 3-D
convolutions, upsampling, layer norm, embeddings, PReLU, top-k, cumsum, one-hot, space/depth
rearrangements, SimpleRNN and stacked RNNs. Same contract as test_tf_convert.py."""

from __future__ import annotations

import numpy as np
import pytest
import tf_support

tf_support.skip_if_gpu_stack_loaded()
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")
L = keras.layers

CASES = {
    "dilated_conv": ((12, 12, 3), lambda: [L.Conv2D(4, 3, dilation_rate=2, padding="same")]),
    "separable_conv": (
        (12, 12, 3),
        lambda: [L.SeparableConv2D(4, 3, padding="same", activation="relu")],
    ),
    "conv1d_causal": ((10, 3), lambda: [L.Conv1D(4, 3, padding="causal"), L.GlobalMaxPooling1D()]),
    "upsampling": (
        (6, 6, 3),
        lambda: [L.UpSampling2D(2, interpolation="bilinear"), L.UpSampling2D(2)],
    ),
    "layer_norm": ((6, 8), lambda: [L.LayerNormalization(), L.Dense(4)]),
    "embedding": (
        (5,),
        lambda: [
            L.Lambda(lambda x: tf.cast(x * 10, tf.int32)),
            L.Embedding(10, 4),
            L.Flatten(),
        ],
    ),
    "conv_bn_prelu": ((8, 8, 3), lambda: [L.Conv2D(4, 3), L.BatchNormalization(), L.PReLU()]),
    "clip_top_k": (
        (10,),
        lambda: [L.Lambda(lambda x: tf.math.top_k(tf.clip_by_value(x, 0.2, 0.8), 3).values)],
    ),
    "cumsum_one_hot": (
        (6,),
        lambda: [
            L.Lambda(
                lambda x: tf.concat(
                    [tf.cumsum(x, axis=1), tf.one_hot(tf.argmax(x, axis=1), 6)], axis=1
                )
            )
        ],
    ),
    "space_depth": (
        (8, 8, 4),
        lambda: [L.Lambda(lambda x: tf.nn.depth_to_space(tf.nn.space_to_depth(x, 2) * 2.0, 2))],
    ),
    "conv3d": ((6, 6, 6, 2), lambda: [L.Conv3D(3, 3)]),
    "simple_rnn": ((5, 3), lambda: [L.SimpleRNN(4)]),
    "stacked_rnn": ((5, 3), lambda: [L.LSTM(4, return_sequences=True), L.GRU(3)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_layer_matches_tensorflow_with_no_more_ops(name):
    import tflc

    shape, layers = CASES[name]
    keras.utils.set_random_seed(1)
    inputs = keras.Input(shape, batch_size=1)
    h = inputs
    for layer in layers():
        h = layer(h)
    model = keras.Model(inputs, h)
    x = np.random.default_rng(0).random((1, *shape), dtype=np.float32)
    ours = tflc.convert(model, output="flatbuffer")
    error = tf_support.max_relative_error(
        tf_support.run_litert(ours, [x]), tf_support.tf_outputs(model, [x])
    )
    # TensorFlow's kernels vs LiteRT's on the same float32 values: sums in another order, other
    # exp/tanh
    assert error <= 1e-5, f"{name}: max relative error {error:.2e}"
    theirs, _ = tf_support.tf_converter(model)
    assert tf_support.count_ops(ours) <= tf_support.count_ops(theirs)
