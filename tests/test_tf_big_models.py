"""Keras MobileNetV2, ResNet50 and EfficientNetB0 (weights=None, batch 1) through tflc.convert:
LiteRT on our .tflite matches TensorFlow within 1e-4, with no more operators than TensorFlow's
converter. Conversion time against TFLiteConverter is a target of benchmarks/tf_convert.py."""

from __future__ import annotations

import numpy as np
import pytest
import tf_support

tf_support.skip_if_gpu_stack_loaded()
keras = pytest.importorskip("keras")

BUILDERS = {
    "mobilenet_v2": lambda: keras.applications.MobileNetV2(
        input_shape=(224, 224, 3), weights=None, classifier_activation=None
    ),
    "resnet50": lambda: keras.applications.ResNet50(weights=None, classifier_activation=None),
    "efficientnet_b0": lambda: keras.applications.EfficientNetB0(
        weights=None, classifier_activation=None
    ),
}


def _build(name):
    keras.backend.clear_session()
    keras.utils.set_random_seed(11)
    return BUILDERS[name]()


@pytest.mark.slow
@pytest.mark.parametrize("name", list(BUILDERS))
def test_big_model_matches_tensorflow(name):
    import tflc

    model = _build(name)
    x = np.random.default_rng(5).random((1, 224, 224, 3), dtype=np.float32)
    # tf_support.tf_converter converts at batch 1: pin ours the same way (with an unknown
    # batch, both keep the shape ops of the squeeze-excite reshapes).
    ours = tflc.convert(model, output="flatbuffer", batch_size=1)
    error = tf_support.max_relative_error(
        tf_support.run_litert(ours, [x]), tf_support.tf_outputs(model, [x])
    )
    # TensorFlow's kernels vs LiteRT's on the same float32 values: sums in another order,
    # compounded over 50+ layers (the corpus's mobilenet_v2 bound, test_tf_corpus)
    assert error <= 1e-4, f"{name}: max relative error {error:.2e}"
    theirs, _ = tf_support.tf_converter(model)
    assert tf_support.count_ops(ours) <= tf_support.count_ops(theirs)
