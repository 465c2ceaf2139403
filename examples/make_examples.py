"""Rebuilds the example models in this folder with TensorFlow (deterministic: fixed seeds).

    python examples/make_examples.py

`tiny_cnn.tflite` is a float32 image classifier (28x28x1 -> 10 classes); `tiny_cnn_int8.tflite`
is the same network fully quantized to int8 by TensorFlow's converter, with int8 input/output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def build_model():
    import tensorflow as tf

    tf.keras.utils.set_random_seed(7)
    inputs = tf.keras.Input((28, 28, 1), batch_size=1, name="image")
    x = tf.keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    x = tf.keras.layers.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6")(x)
    x = tf.keras.layers.Conv2D(16, 1, activation="relu")(x)
    x = tf.keras.layers.MaxPooling2D()(x)
    x = tf.keras.layers.GlobalAveragePooling2D()(x)
    x = tf.keras.layers.Dense(10)(x)
    outputs = tf.keras.layers.Softmax(name="probabilities")(x)
    return tf.keras.Model(inputs, outputs)


def convert(model, int8: bool) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if int8:
        rng = np.random.default_rng(0)

        def representative():
            for _ in range(32):
                yield [rng.uniform(0, 1, (1, 28, 28, 1)).astype(np.float32)]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


def main() -> None:
    model = build_model()
    (HERE / "tiny_cnn.tflite").write_bytes(convert(model, int8=False))
    (HERE / "tiny_cnn_int8.tflite").write_bytes(convert(model, int8=True))


if __name__ == "__main__":
    main()
