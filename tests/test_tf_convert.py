"""TensorFlow -> .tflite acceptance on small models: LiteRT on our flatbuffer matches TensorFlow,
with no more operators than TensorFlow's own converter emits."""

from __future__ import annotations

import numpy as np
import pytest
import tf_support

tf_support.skip_if_gpu_stack_loaded()
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

RNG = np.random.default_rng(7)


def _cond_model():
    @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32)])
    def model(x):
        return tf.cond(tf.reduce_sum(x) > 2.0, lambda: tf.nn.relu(x) * 3.0, lambda: x - 1.0)

    return model, [RNG.random((1, 4), dtype=np.float32) * 2]


def _while_model():
    @tf.function(input_signature=[tf.TensorSpec([2, 3], tf.float32), tf.TensorSpec([], tf.int32)])
    def model(x, n):
        _, y = tf.while_loop(lambda i, y: i < n, lambda i, y: (i + 1, y * 0.5 + 1.0), [0, x])
        return y

    return model, [RNG.random((2, 3), dtype=np.float32), np.array(5, np.int32)]


def _cond_in_while_model():
    @tf.function(input_signature=[tf.TensorSpec([3], tf.float32), tf.TensorSpec([], tf.int32)])
    def model(x, n):
        def body(i, y):
            y = tf.cond(i % 2 == 0, lambda: y + 1.0, lambda: y * 2.0)
            return i + 1, y

        return tf.while_loop(lambda i, y: i < n, body, [0, x])[1]

    return model, [RNG.random(3, dtype=np.float32), np.array(6, np.int32)]


def _fused_batch_norm_model():
    """tf.nn.fused_batch_norm in inference, which Keras 3's BatchNormalization no longer emits."""
    rng = np.random.default_rng(11)
    w = tf.constant(rng.normal(size=(3, 3, 2, 4)).astype(np.float32))
    scale, offset, mean = (tf.constant(rng.normal(size=4).astype(np.float32)) for _ in range(3))
    variance = tf.constant(rng.uniform(0.5, 1.5, 4).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([1, 6, 6, 2], tf.float32)])
    def model(x):
        y = tf.nn.conv2d(x, w, 1, "SAME")
        y, _, _ = tf.compat.v1.nn.fused_batch_norm(
            y, scale, offset, mean=mean, variance=variance, epsilon=1e-3, is_training=False
        )
        return tf.nn.relu(y)

    return model, [rng.normal(size=(1, 6, 6, 2)).astype(np.float32)]


def _keras(layers, shape):
    keras.utils.set_random_seed(3)
    inp = keras.Input(shape, batch_size=1)
    h = inp
    for layer in layers:
        h = layer(h)
    model = keras.Model(inp, h)
    for w in model.weights:  # random biases and BN statistics: zeros and ones hide bugs
        if "moving_variance" in w.path or "gamma" in w.path:
            w.assign(RNG.uniform(0.5, 1.5, w.shape).astype(np.float32))
        elif "bias" in w.path or "beta" in w.path or "moving_mean" in w.path:
            w.assign(RNG.normal(0, 0.5, w.shape).astype(np.float32))
    return model, [RNG.random((1, *shape), dtype=np.float32)]


def _mlp():
    L = keras.layers
    return _keras(
        [
            L.Dense(16, activation="relu"),
            L.BatchNormalization(),
            L.Dropout(0.5),
            L.Dense(8, activation="tanh"),
            L.Dropout(0.2),
            L.Dense(3, activation="softmax"),
        ],
        (10,),
    )


def _cnn():
    L = keras.layers
    return _keras(
        [
            L.Conv2D(8, 3, padding="same", use_bias=False),
            L.BatchNormalization(),
            L.ReLU(6.0),
            L.ZeroPadding2D(((0, 1), (0, 1))),
            L.DepthwiseConv2D(3, strides=2, use_bias=False),
            L.BatchNormalization(),
            L.Activation("swish"),
            L.Conv2DTranspose(4, 3, strides=2, padding="same"),
            L.MaxPooling2D(),
            L.AveragePooling2D(2),
            L.Flatten(),
            L.Dense(5),
        ],
        (16, 16, 3),
    )


def _activations():
    L = keras.layers
    inp = keras.Input((6,), batch_size=1)
    branches = [
        L.Activation(a)(L.Dense(6)(inp))
        for a in ("elu", "selu", "sigmoid", "tanh", "softmax", "log_softmax", "gelu")
    ]
    branches.append(L.LeakyReLU(0.3)(L.Dense(6)(inp)))
    branches.append(keras.activations.gelu(L.Dense(6)(inp), approximate=True))
    keras.utils.set_random_seed(5)
    return keras.Model(inp, L.Concatenate()(branches)), [RNG.normal(size=(1, 6)).astype(np.float32)]


def _op_zoo():
    """The data-movement, reduction, comparison and resize ops that tf.* code produces."""

    @tf.function(input_signature=[tf.TensorSpec([1, 4, 6, 2], tf.float32)])
    def model(x):
        outs = []
        outs.append(tf.reduce_sum(x, axis=[1, 2]) + tf.reduce_max(x, axis=1)[:, 0])
        outs.append(
            tf.reduce_min(x, axis=[1, 2], keepdims=False) * tf.reduce_prod(x[:, :2, :2], [1, 2])
        )
        t = tf.transpose(x, [0, 2, 1, 3])  # 1x6x4x2
        parts = tf.split(t, 2, axis=1)
        outs.append(tf.reshape(tf.concat([parts[1], parts[0]], axis=-1), [1, -1])[:, ::3])
        a, b = tf.unstack(x[0, :2], axis=0)
        outs.append(tf.reshape(tf.stack([a * b, a - b], axis=1), [1, -1]))
        s = tf.slice(x, [0, 1, 1, 0], [1, 2, 3, 2])
        outs.append(tf.reshape(tf.tile(s, [1, 1, 2, 1]), [1, -1]))
        g = tf.gather(x, [3, 0, 2], axis=2)
        outs.append(tf.reshape(tf.pad(g, [[0, 0], [1, 0], [0, 1], [0, 0]]), [1, -1]))
        m = tf.pad(x, [[0, 0], [1, 1], [2, 2], [0, 0]], mode="REFLECT")
        outs.append(tf.reshape(tf.squeeze(tf.expand_dims(m, 0), 0), [1, -1]))
        r = tf.image.resize(x, [8, 12], method="bilinear")
        n = tf.image.resize(x, [8, 12], method="nearest")
        outs.append(tf.reshape(r - n, [1, -1]))
        mask = tf.logical_and(x > 0.3, tf.logical_not(x >= 0.9))
        picked = tf.where(mask, x, tf.fill([1, 4, 6, 2], -1.0))
        outs.append(tf.reshape(picked + tf.cast(tf.equal(x, x), tf.float32), [1, -1]))
        e = tf.maximum(tf.minimum(x, 0.7), 0.1) / 3.0 - tf.abs(x - 0.5) + tf.sqrt(x + 1.0)
        outs.append(tf.reshape(tf.exp(-e) + tf.math.rsqrt(x + 1.0) * tf.square(x), [1, -1]))
        w = tf.constant(np.linspace(-1, 1, 24, dtype=np.float32).reshape(1, 2, 12))
        mm = tf.matmul(tf.reshape(x, [1, 24, 2]), w)  # BatchMatMul with a constant
        outs.append(tf.reshape(tf.matmul(mm, mm, transpose_b=True), [1, -1]))
        return tf.concat(outs, axis=1)

    return model, [RNG.random((1, 4, 6, 2), dtype=np.float32)]


def _broadcast_to():
    """BROADCAST_TO has no version 1 in LiteRT: written as 1, LiteRT refused the model."""

    @tf.function(
        input_signature=[tf.TensorSpec([1, 3], tf.float32), tf.TensorSpec([2, 1], tf.int32)]
    )
    def model(x, k):
        flags = tf.cast(tf.broadcast_to(x > 0.5, [2, 3]), tf.int32)
        return tf.broadcast_to(x, [2, 3]), tf.broadcast_to(k, [2, 4]) + flags[:, :1]

    return model, [RNG.random((1, 3), dtype=np.float32), np.array([[1], [-2]], np.int32)]


def _attention():
    keras.utils.set_random_seed(4)
    inp = keras.Input((5, 8), batch_size=1)
    h = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)(inp, inp)
    h = keras.layers.EinsumDense("abc,cde->abde", output_shape=(5, 3, 4), bias_axes="de")(h)
    return keras.Model(inp, h), [RNG.random((1, 5, 8), dtype=np.float32)]


def _rnn(layer):
    return lambda: _keras([layer()], (6, 4))


CASES = {
    "tf_cond": _cond_model,
    "tf_while_loop": _while_model,
    "cond_in_while": _cond_in_while_model,
    "mlp_batchnorm_dropout": _mlp,
    "fused_batch_norm": _fused_batch_norm_model,
    "cnn": _cnn,
    "activations": _activations,
    "op_zoo": _op_zoo,
    "broadcast_to": _broadcast_to,
    "attention_einsum": _attention,
    "lstm_sequences": _rnn(lambda: keras.layers.LSTM(5, return_sequences=True)),
    "lstm_last": _rnn(lambda: keras.layers.LSTM(5)),
    "gru_sequences": _rnn(lambda: keras.layers.GRU(5, return_sequences=True)),
    "gru_last": _rnn(lambda: keras.layers.GRU(5)),
    "bidirectional_lstm": _rnn(
        lambda: keras.layers.Bidirectional(keras.layers.LSTM(5, return_sequences=True))
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_tensorflow_with_no_more_ops(name):
    import tflc

    model, inputs = CASES[name]()
    ours = tflc.convert(model, output="flatbuffer")
    error = tf_support.max_relative_error(
        tf_support.run_litert(ours, inputs), tf_support.tf_outputs(model, inputs)
    )
    # TensorFlow's kernels vs LiteRT's on the same float32 values: sums in another order, other
    # exp/tanh
    assert error <= 1e-5, f"{name}: max relative error {error:.2e}"
    theirs, _ = tf_support.tf_converter(model)
    assert tf_support.count_ops(ours) <= tf_support.count_ops(theirs)


def test_while_trip_count_is_an_input():
    import tflc

    model, (x, _) = _while_model()
    converted = tflc.convert(model, output="flatbuffer")
    for n in (0, 1, 7):
        (ours,) = tf_support.run_litert(converted, [x, np.array(n, np.int32)])
        # the loop body's float ops in TensorFlow's kernels vs LiteRT's: an ulp or two a step
        np.testing.assert_allclose(ours, model(x, n).numpy(), rtol=1e-6)


def test_module_is_tfl_with_control_flow_functions():
    import tflc

    model, _ = _cond_in_while_model()
    module = tflc.convert(model)
    text = tflc.to_text(module)
    assert '"tfl.while"' in text and '"tfl.if"' in text
    assert '"tf.' not in text
    assert "cond_subgraph_index = @" in text and "then_subgraph_index = @" in text


@pytest.mark.parametrize("name", ["cnn", "lstm_last"])
def test_conversion_is_deterministic(name):
    import tflc

    # Each conversion traces afresh, so TensorFlow's function-name counters move in between.
    model, _ = CASES[name]()
    assert tflc.convert(model, output="flatbuffer") == tflc.convert(model, output="flatbuffer")


@pytest.mark.parametrize(
    "name", ["tf_cond", "tf_while_loop", "cond_in_while", "lstm_sequences", "gru_last"]
)
def test_tflc_interpreter_runs_control_flow(name):
    import tflc
    from tflc.runtime.interpreter import Interpreter

    model, inputs = CASES[name]()
    outputs = Interpreter(model_content=tflc.convert(model, output="flatbuffer"))(*inputs)
    error = tf_support.max_relative_error(outputs, tf_support.tf_outputs(model, inputs))
    # TensorFlow's kernels vs LiteRT's on the same float32 values: sums in another order, other
    # exp/tanh
    assert error <= 1e-5, f"{name}: max relative error {error:.2e}"
