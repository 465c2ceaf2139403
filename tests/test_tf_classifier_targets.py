"""int8 classifiers made by TensorFlow's converter, on every target against LiteRT.

A Keras-application head (Dense(1000) + Softmax) quantized by TensorFlow: with a small logits
scale the 1000 exponentials are nearly equal and TFLite's fixed-point softmax divides by
2^(num_bits_over_unit + 23) with an exponent past 31, where LiteRT's reference kernel asserts
and an int32 shift is undefined in C (the MCU target printed 127 for every class). A large
logits scale exercises the other end, one class taking nearly all the mass. The interpreter,
the cpu and the mcu targets must each equal LiteRT's builtin kernels bit for bit.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import tf_support
from corpus import litert_run

tf_support.skip_if_gpu_stack_loaded()
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

import tflc  # noqa: E402

CLASSES, FEATURES = 1000, 64


def int8_classifier(weight_stddev: float) -> bytes:
    rng = np.random.default_rng(0)
    inputs = keras.Input((FEATURES,), batch_size=1)
    logits = keras.layers.Dense(CLASSES)(inputs)
    model = keras.Model(inputs, keras.layers.Softmax()(logits))
    model.layers[1].kernel.assign(
        rng.normal(0.0, weight_stddev, (FEATURES, CLASSES)).astype(np.float32)
    )

    def samples():
        for _ in range(16):
            yield [rng.standard_normal((1, FEATURES)).astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = samples
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return bytes(converter.convert())


def logits_scale(model: bytes) -> float:
    from tflc.runtime.tflite_model import read_model

    graph = read_model(model).subgraphs[0]
    softmax_input = graph.operators[-1].inputs[0]
    return graph.tensors[softmax_input].quantization.scale[0]


TARGETS = ["interpreter", "cpu"] + (["mcu"] if shutil.which("gcc") else [])


# weight stddev 0.01: logits scale ~0.002; 3.0: ~0.7
@pytest.mark.parametrize("stddev", [0.01, 3.0], ids=["near-equal-logits", "large-logits-scale"])
@pytest.mark.parametrize("target", TARGETS)
def test_int8_softmax_classifier_bit_exact_with_litert(tmp_path, stddev, target):
    model = int8_classifier(stddev)
    scale = logits_scale(model)
    assert (scale < 0.01) if stddev < 1 else (scale > 0.1), scale
    path = tmp_path / "classifier.tflite"
    path.write_bytes(model)
    if target == "interpreter":
        run = tflc.Interpreter(model_path=path)
    elif target == "mcu":  # the host build under ASan/UBSan
        compiled = tflc.compile(str(path), target="mcu", measure_flash=False)
        run = lambda x: compiled(x, sanitize=True)  # noqa: E731
    else:
        run = tflc.compile(str(path), target=target)
    rng = np.random.default_rng(1)
    for _ in range(4):
        x = rng.integers(-128, 128, (1, FEATURES)).astype(np.int8)
        expected = litert_run(model, [x], kernels="builtin")[0]
        np.testing.assert_array_equal(run(x)[0], expected)
