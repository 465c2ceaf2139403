"""Quantization-aware training from TensorFlow: a tf.function with FakeQuant ops converts to a
tfl model that computes what TensorFlow does, and quantizes to int8 without calibration, giving
the same int8 model outputs as TensorFlow's own converter on the same QAT graph."""

from __future__ import annotations

import corpus
import numpy as np
import pytest
import tf_support
import tflc
from tflc.errors import TflcError

tf_support.skip_if_gpu_stack_loaded()
tf = pytest.importorskip("tensorflow")

SHAPE = (1, 16, 16, 3)


def qat_function(widen: float = 1.0):
    """Conv (per-channel weights, as Keras QAT does for convolutions), ReLU, a dense layer
    (per-tensor weights) and fake-quantized activations, ranges as training left them. Weight
    ranges `widen` times wider than the weights reach leave the largest off the grid's end."""
    rng = np.random.default_rng(0)
    w1 = rng.normal(0, 0.3, (3, 3, 3, 8)).astype(np.float32)
    b1 = rng.normal(0, 0.1, 8).astype(np.float32)
    w2 = rng.normal(0, 0.2, (8 * 8 * 8, 10)).astype(np.float32)
    b2 = rng.normal(0, 0.1, 10).astype(np.float32)
    w1_bound = widen * np.max(np.abs(w1.reshape(-1, 8)), axis=0)
    w2_bound = widen * float(np.max(np.abs(w2)))
    fq = tf.quantization

    @tf.function(input_signature=[tf.TensorSpec(SHAPE, tf.float32)])
    def model(x):
        x = fq.fake_quant_with_min_max_args(x, -1.0, 1.0)
        w = fq.fake_quant_with_min_max_vars_per_channel(
            tf.constant(w1), -w1_bound, w1_bound, narrow_range=True
        )
        y = tf.nn.relu(tf.nn.conv2d(x, w, 2, "SAME") + b1)
        y = fq.fake_quant_with_min_max_vars(y, 0.0, 3.0)
        y = tf.reshape(y, (1, -1))
        w = fq.fake_quant_with_min_max_vars(tf.constant(w2), -w2_bound, w2_bound, narrow_range=True)
        return fq.fake_quant_with_min_max_vars(tf.matmul(y, w) + b2, -4.0, 4.0)

    return model


def tf_int8(model) -> bytes:
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [model.get_concrete_function()], model
    )
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return bytes(converter.convert())


@pytest.fixture(scope="module")
def model():
    return qat_function()


def test_fake_quant_float_model_matches_tensorflow(model):
    """Before quantization the converted model is float with tfl.fake_quant on activations
    and the weights on their trained grid: LiteRT matches TensorFlow's own execution."""
    module = tflc.convert(model)
    text = tflc.to_text(module)
    assert text.count('"tfl.fake_quant"') == 3  # input, relu, output; weights are folded
    data = tflc.to_flatbuffer(module)
    rng = np.random.default_rng(1)
    for _ in range(4):
        x = rng.uniform(-1.2, 1.2, SHAPE).astype(np.float32)
        expected = model(tf.constant(x)).numpy()
        # TensorFlow's fake-quant and conv kernels vs LiteRT's: sums in another order
        np.testing.assert_allclose(corpus.litert_run(data, [x])[0], expected, atol=1e-5)


@pytest.mark.parametrize("widen", [1.0, 1.5])
def test_qat_int8_identical_to_tensorflow_converter(widen):
    """No calibration data: the ranges come from the FakeQuant ops, and weights keep the grid
    training left them on. TensorFlow's converter on the same graph gives the same I/O
    parameters and bit-identical int8 outputs."""
    model = qat_function(widen)
    ours = tflc.to_flatbuffer(tflc.quantize(tflc.convert(model), "int8", io="int8"))
    theirs = tf_int8(model)
    assert "FAKE_QUANT" not in corpus.op_names(ours)
    rng = np.random.default_rng(2)
    for _ in range(8):
        x = rng.uniform(-1.2, 1.2, SHAPE).astype(np.float32)
        a, a_in, a_out = corpus.litert_run_int8_io(ours, x)
        b, b_in, b_out = corpus.litert_run_int8_io(theirs, x)
        assert a_in == b_in and a_out == b_out
        np.testing.assert_array_equal(a, b)


def qat_keras_model():
    """Keras layers whose trained ranges are variables (frozen at conversion), as a QAT
    training loop leaves them."""
    import keras

    class QuantizedDense(keras.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, shape):
            self.w = self.add_weight(shape=(shape[-1], self.units), initializer="glorot_uniform")
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal")
            const = keras.initializers.Constant
            self.lo = self.add_weight(shape=(), initializer=const(-3.0), trainable=False)
            self.hi = self.add_weight(shape=(), initializer=const(2.5), trainable=False)

        def call(self, x):
            bound = tf.reduce_max(tf.abs(self.w))
            w = tf.quantization.fake_quant_with_min_max_vars(
                self.w, -bound, bound, narrow_range=True
            )
            y = tf.matmul(x, w) + self.b
            return tf.quantization.fake_quant_with_min_max_vars(y, self.lo, self.hi)

    keras.utils.set_random_seed(3)
    x = keras.Input((8,), batch_size=1)
    y = keras.layers.Lambda(lambda t: tf.quantization.fake_quant_with_min_max_args(t, -1.0, 1.0))(x)
    return keras.Model(x, QuantizedDense(4)(QuantizedDense(6)(y)))


def test_keras_qat_int8_identical_to_tensorflow_converter():
    model = qat_keras_model()
    ours = tflc.to_flatbuffer(tflc.quantize(tflc.convert(model), "int8", io="int8"))
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    theirs = bytes(converter.convert())
    rng = np.random.default_rng(4)
    for _ in range(8):
        x = rng.uniform(-1.2, 1.2, (1, 8)).astype(np.float32)
        a, a_in, a_out = corpus.litert_run_int8_io(ours, x)
        b, b_in, b_out = corpus.litert_run_int8_io(theirs, x)
        assert a_in == b_in and a_out == b_out
        np.testing.assert_array_equal(a, b)


def test_per_channel_fake_quant_of_an_activation_is_refused():
    @tf.function(input_signature=[tf.TensorSpec((1, 4), tf.float32)])
    def model(x):
        return tf.quantization.fake_quant_with_min_max_vars_per_channel(x, [-1.0] * 4, [1.0] * 4)

    with pytest.raises(TflcError, match="FakeQuantWithMinMaxVarsPerChannel.*only of weights"):
        tflc.convert(model)
