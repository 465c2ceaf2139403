"""int8 quantization of recurrent models converted by tflc: Keras LSTM and GRU run as a
tfl.while over the time steps. Calibration measures every result of the loop (an op with several
results), the ops around the loop become int8, and the loop body stays float between a
dequantize and a quantize. The quantized model runs alike in LiteRT and tflc's interpreter and
stays close to the float model."""

from __future__ import annotations

import numpy as np
import pytest
import tf_support

tf_support.skip_if_gpu_stack_loaded()
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")


@pytest.mark.parametrize("layer", ["LSTM", "GRU"])
def test_recurrent_model_quantizes_to_int8_around_its_loop(layer):
    import tflc

    keras.utils.set_random_seed(1)
    inp = keras.Input((6, 4), batch_size=1)
    h = getattr(keras.layers, layer)(5)(inp)
    model = keras.Model(inp, keras.layers.Dense(3)(h))
    rng = np.random.default_rng(0)
    samples = [[rng.random((1, 6, 4), dtype=np.float32)] for _ in range(16)]
    quantized = tflc.quantize(tflc.convert(model), mode="int8", calibration=samples)
    text = tflc.to_text(quantized)
    main = text.split("func.func private")[0]
    assert '"tfl.while"' in main and '"tfl.fully_connected"' in main
    assert "!quant.uniform<i8" in main  # the dense layer after the loop is int8
    data = tflc.to_flatbuffer(quantized)
    for _ in range(3):
        x = rng.random((1, 6, 4), dtype=np.float32)
        (ours,) = tflc.Interpreter(model_content=data)(x)
        (lite,) = tf_support.run_litert(data, [x])
        np.testing.assert_array_equal(ours, lite)
        want = np.asarray(model(x))
        # int8 activations: a few output steps of the calibrated range (|y| < 1 here)
        assert np.abs(lite - want).max() < 0.02 * max(1.0, np.abs(want).max())
