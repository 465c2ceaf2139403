"""Unknown dimensions: kept as -1 in shape_signature (1 in shape), as TensorFlow's converter
writes them, and resizable in LiteRT and in tflc's interpreter to what TensorFlow computes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import tf_support
import tflc

tf_support.skip_if_gpu_stack_loaded()
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")
from ai_edge_litert.interpreter import Interpreter  # noqa: E402

RNG = np.random.default_rng(13)
BATCH = 3


def _keras(layers, shape):
    keras.utils.set_random_seed(8)
    inp = keras.Input(shape)  # batch unknown
    h = inp
    for layer in layers:
        h = layer(h)
    model = keras.Model(inp, h)
    return model, model


def _mlp():
    L = keras.layers
    return _keras([L.Dense(16, activation="relu"), L.BatchNormalization(), L.Dense(3)], (10,))


def _cnn():
    L = keras.layers
    layers = [
        L.Conv2D(8, 3, padding="same"),
        L.ReLU(6.0),
        L.DepthwiseConv2D(3, strides=2),
        L.MaxPooling2D(),
        L.Flatten(),
        L.Dense(5, activation="softmax"),
    ]
    return _keras(layers, (12, 12, 3))


def _reshaping_function():
    @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32)])
    def f(x):
        y = tf.reshape(x, [-1, 2, 4])
        return tf.reduce_sum(y * 2.0, axis=2) + tf.reduce_mean(x)

    return f, tf.lite.TFLiteConverter.from_concrete_functions([f.get_concrete_function()], f)


CASES = {"mlp": _mlp, "cnn": _cnn, "reshaping_function": _reshaping_function}


def _tf_converted(name):
    model, source = CASES[name]()
    if isinstance(source, keras.Model):
        converter = tf.lite.TFLiteConverter.from_keras_model(source)
    else:
        converter = source
    return model, converter.convert()


def _io_shapes(flatbuffer: bytes) -> list:
    interp = Interpreter(model_content=flatbuffer)
    details = interp.get_input_details() + interp.get_output_details()
    return [(list(d["shape"]), list(d["shape_signature"])) for d in details]


def _resized_run(interp, x: np.ndarray) -> np.ndarray:
    index = interp.get_input_details()[0]["index"]
    interp.resize_tensor_input(index, x.shape)
    interp.allocate_tensors()
    interp.set_tensor(index, x)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"])


@pytest.mark.parametrize("name", list(CASES))
def test_unknown_dims_and_batch_3_match_tensorflow(name):
    model, theirs = _tf_converted(name)
    ours = tflc.convert(model, output="flatbuffer")
    assert _io_shapes(ours) == _io_shapes(theirs)
    shape = Interpreter(model_content=ours).get_input_details()[0]["shape"][1:]
    x = RNG.standard_normal((BATCH, *shape)).astype(np.float32)
    want = np.asarray(model(x))
    for interp in (Interpreter(model_content=ours), tflc.Interpreter(model_content=ours)):
        got = _resized_run(interp, x)
        # TensorFlow's kernels vs LiteRT's on the same float32 values: sums in another order
        assert tf_support.max_relative_error([got], [want]) < 1e-5, type(interp)


def test_static_backends_compile_at_batch_1():
    model, _ = _mlp()
    module = tflc.convert(model)
    x = RNG.standard_normal((1, 10)).astype(np.float32)
    (got,) = tflc.compile(module, target="cpu")(x)
    # the cpu target's sums and TensorFlow's in another order
    np.testing.assert_allclose(got, np.asarray(model(x)), rtol=1e-5, atol=1e-5)


def _bidirectional_lstm_gru():
    L = keras.layers
    return _keras([L.Bidirectional(L.LSTM(5, return_sequences=True)), L.GRU(3)], (6, 4))[0]


@pytest.mark.parametrize("given", ["model", "keras_file", "exported_saved_model"])
def test_recurrent_layers_keep_the_unknown_batch(given, tmp_path):
    """Keras RNN loops write a TensorList whose element shape holds the unknown batch: the list
    takes its item's shape at the first write, so the batch stays unknown (-1 in
    shape_signature) and any batch runs. TensorFlow's converter fails the exported
    Bidirectional(LSTM) -> GRU SavedModel ("TensorList whose element shape is not static")."""
    model = _bidirectional_lstm_gru()
    source = model
    if given == "keras_file":
        source = tmp_path / "rnn.keras"
        model.save(source)
    elif given == "exported_saved_model":
        source = tmp_path / "rnn_saved_model"
        model.export(str(source))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no batch pinned with a warning
        ours = tflc.convert(source, output="flatbuffer")
    assert _io_shapes(ours)[0] == ([1, 6, 4], [-1, 6, 4])
    for batch in (1, BATCH):
        x = RNG.standard_normal((batch, 6, 4)).astype(np.float32)
        want = np.asarray(model(x))
        for interp in (Interpreter(model_content=ours), tflc.Interpreter(model_content=ours)):
            got = _resized_run(interp, x)
            # TensorFlow's kernels vs LiteRT's and the targets': sums in another order
            assert tf_support.max_relative_error([got], [want]) < 1e-5, (type(interp), batch)
    if given == "exported_saved_model":  # the static targets compile it at batch 1
        x = RNG.standard_normal((1, 6, 4)).astype(np.float32)
        module = tflc.convert(source)
        for target in ("cpu", "mcu"):
            (got,) = tflc.compile(module, target=target)(x)
            # TensorFlow's kernels vs LiteRT's and the targets': sums in another order
            assert tf_support.max_relative_error([got], [np.asarray(model(x))]) < 1e-5, target


def test_shapes_computed_at_run_time_resize_in_both_interpreters():
    """A Dense on a sequence with an unknown batch reshapes through shapes computed at run time;
    the file's placeholder 1s must not fail tflc's reader (their checks wait for the run)."""
    L = keras.layers
    model, _ = _keras([L.Reshape((5, 8)), L.Dense(6)], (40,))
    ours = tflc.convert(model, output="flatbuffer")
    x = RNG.standard_normal((BATCH, 40)).astype(np.float32)
    want = np.asarray(model(x))
    for interp in (Interpreter(model_content=ours), tflc.Interpreter(model_content=ours)):
        got = _resized_run(interp, x)
        # TensorFlow's kernels vs LiteRT's on the same float32 values: sums in another order
        assert tf_support.max_relative_error([got], [want]) < 1e-5, type(interp)
