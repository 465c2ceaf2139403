"""The TensorFlow models of the test corpus (tests/corpus.py builds, converts and caches them).

Each small model keeps at least one weight of more than 1024 elements: below that the
converter leaves weights in float, and the "dynamic" mode would equal "float32".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def randomize_affine_weights(model: Any, rng: np.random.Generator) -> None:
    """Keras starts biases at 0 and scales at 1, which would hide folding bugs."""
    for weight in model.weights:
        leaf = weight.path.rsplit("/", 1)[-1]
        shape = tuple(weight.shape)
        if leaf in ("bias", "beta"):
            weight.assign(rng.normal(0.0, 0.1, shape).astype(np.float32))
        elif leaf == "gamma":
            weight.assign(rng.uniform(0.5, 1.5, shape).astype(np.float32))
        elif leaf == "alpha":  # PReLU slopes
            weight.assign(rng.uniform(0.05, 0.3, shape).astype(np.float32))


def calibrate_batch_norms(model: Any, batch: list[np.ndarray]) -> None:
    """Sets every BatchNormalization's moving statistics to those of a random input batch.

    Untrained statistics let activations drift layer after layer until relu6 saturates them:
    MobileNetV2's output then no longer depends on its input. One training-mode pass with
    momentum 0 stores exactly the batch statistics each layer sees.
    """
    import keras

    batch_norms = [
        layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)
    ]
    if not batch_norms:
        return
    for layer in batch_norms:
        layer.momentum = 0.0
    model(batch if len(batch) > 1 else batch[0], training=True)
    for layer in batch_norms:
        layer.momentum = 0.99


def _mlp() -> Any:
    from keras import Input, Model, layers

    inputs = Input((64,))
    x = inputs
    for units in (128, 64):
        x = layers.Dense(units)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.Dropout(0.25)(x)
    x = layers.Dense(10)(x)
    return Model(inputs, layers.Softmax()(x), name="mlp")


def _cnn() -> Any:
    from keras import Input, Model, layers

    inputs = Input((32, 32, 3))
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu6")(inputs)
    y = layers.DepthwiseConv2D(3, padding="same")(x)
    y = layers.BatchNormalization()(y)
    y = layers.ReLU(6.0)(y)
    y = layers.Conv2D(32, 1, padding="valid")(y)
    shortcut = layers.Conv2D(32, 1)(x)
    x = layers.ReLU()(layers.Add()([y, shortcut]))
    max_pooled = layers.MaxPooling2D(2)(x)
    avg_pooled = layers.AveragePooling2D(3, strides=2, padding="same")(x)
    x = layers.Concatenate()([max_pooled, avg_pooled])
    x = layers.DepthwiseConv2D(3, strides=2, padding="valid", depth_multiplier=2)(x)
    x = layers.Conv2D(48, 3, padding="valid", activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.ReLU(6.0)(x)  # after MEAN, which cannot fuse it: a standalone RELU6
    x = layers.Dense(10)(x)
    return Model(inputs, layers.Softmax()(x), name="cnn")


def _upsample() -> Any:
    from keras import Input, Model, layers, ops

    inputs = Input((8, 8, 16))
    x = layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu")(inputs)
    x = layers.UpSampling2D(2, interpolation="bilinear")(x)
    x = layers.Conv2D(8, 3, padding="same")(x)
    nearest = layers.Resizing(32, 32, interpolation="nearest")(inputs)
    nearest = layers.Conv2D(8, 1)(nearest)
    x = layers.Concatenate()([x, nearest])
    x = layers.ZeroPadding2D(((1, 2), (0, 3)))(x)
    x = layers.Conv2DTranspose(4, 2, strides=2, padding="valid")(x)
    x = layers.Resizing(40, 24, interpolation="bilinear")(x)
    channel_means = ops.mean(x, axis=(1, 2), keepdims=True)
    return Model(inputs, layers.Multiply()([x, channel_means]), name="upsample")


def _activations() -> Any:
    """Each activation on its own projection: sharing one input lets the converter CSE the
    activations' common subexpressions (e.g. NEG) and then it no longer fuses PRELU or GELU."""
    from keras import Input, Model, activations, layers

    inputs = Input((16, 32))
    activation_layers = [
        layers.Activation("sigmoid"),
        layers.Activation("tanh"),
        layers.Activation(activations.hard_swish),
        layers.LeakyReLU(negative_slope=0.2),
        layers.PReLU(shared_axes=[1]),
        layers.ELU(),
        layers.Activation(lambda t: activations.gelu(t, approximate=False)),
        layers.Activation(lambda t: activations.gelu(t, approximate=True)),
    ]
    branches = [activation(layers.Dense(64)(inputs)) for activation in activation_layers]
    gated = layers.Multiply()(branches[:2])
    x = layers.Add()([gated, *branches[2:]])
    return Model(inputs, layers.Dense(32)(x), name="activations")


def _transformer() -> Any:
    """One pre-norm encoder block, attention written out so it lowers to BATCH_MATMUL."""
    from keras import Input, Model, layers, ops

    tokens, width, heads = 16, 32, 4
    head_width = width // heads
    inputs = Input((tokens, width))

    def split_heads(t: Any) -> Any:
        return ops.transpose(ops.reshape(t, (-1, tokens, heads, head_width)), (0, 2, 1, 3))

    x = layers.LayerNormalization(epsilon=1e-5)(inputs)
    q, k, v = (split_heads(layers.Dense(width)(x)) for _ in range(3))
    scores = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) * (1.0 / head_width**0.5)
    attended = ops.matmul(ops.softmax(scores, axis=-1), v)
    attended = ops.reshape(ops.transpose(attended, (0, 2, 1, 3)), (-1, tokens, width))
    x = layers.Add()([inputs, layers.Dense(width)(attended)])
    y = layers.LayerNormalization(epsilon=1e-5)(x)
    y = layers.Dense(2 * width, activation="gelu")(y)
    return Model(inputs, layers.Add()([x, layers.Dense(width)(y)]), name="transformer")


def _tensor_ops() -> Any:
    """A plain tf.function model: two inputs, two outputs, shape and data-movement ops."""
    from corpus import MODEL_SEED, _import_tf

    tf = _import_tf()
    rng = np.random.default_rng(MODEL_SEED)

    class TensorOps(tf.Module):
        input_specs = [
            tf.TensorSpec((1, 4, 6, 8), tf.float32, name="image"),
            tf.TensorSpec((1, 8, 24), tf.float32, name="sequence"),
        ]

        def __init__(self) -> None:
            super().__init__(name="tensor_ops")
            self.projection = tf.Variable(
                rng.normal(0, 0.2, (24, 64)).astype(np.float32), name="projection"
            )
            self.offsets = tf.Variable(
                rng.normal(0, 0.5, (1, 8, 1)).astype(np.float32), name="offsets"
            )

        @tf.function(input_signature=input_specs)
        def __call__(self, image: Any, sequence: Any) -> tuple[Any, Any]:
            channels_first = tf.transpose(image, (0, 3, 1, 2))  # 1x8x4x6
            rows = tf.reshape(channels_first, (1, 8, 24)) + sequence * self.offsets
            picked = tf.gather(rows, [3, 0, 5, 5, 7], axis=1)  # 1x5x24
            reversed_every_other = rows[:, 1:7:2, ::-1]  # 1x3x24
            stacked = tf.concat([picked, reversed_every_other], axis=1)  # 1x8x24
            # MAXIMUM/MINIMUM on the two SPLIT halves would make the int8 converter requantize
            # both, in an order that changes from run to run: clamp one tensor instead.
            first, second = tf.split(stacked, 2, axis=1)
            mixed = first * second - tf.minimum(tf.maximum(first, -0.5), 0.75)
            mixed = tf.squeeze(tf.expand_dims(mixed, 0), 0)
            projected = tf.matmul(tf.reshape(mixed, (4, 24)), self.projection)  # 4x64
            padded = tf.pad(image, [[0, 0], [1, 1], [2, 0], [0, 0]])
            pooled = tf.reduce_mean(padded, axis=[1, 2]) + tf.reduce_max(image, axis=[1, 2])
            summary = tf.tile(pooled, [4, 1]) * tf.reduce_sum(sequence, axis=[1])[:, :8]
            return tf.reshape(projected, (1, 4, 64)), tf.concat([summary, summary - 1.0], axis=-1)

    return TensorOps()


def _mobilenet_v2() -> Any:
    """Ends in logits: with random weights a 1000-way softmax is flat (every class about
    0.001), and its int8 output would be -128 everywhere, proving nothing."""
    import keras

    return keras.applications.MobileNetV2(
        input_shape=(224, 224, 3), weights=None, classifier_activation=None
    )


MODEL_BUILDERS: dict[str, Callable[[], Any]] = {
    "mlp": _mlp,
    "cnn": _cnn,
    "upsample": _upsample,
    "activations": _activations,
    "tensor_ops": _tensor_ops,
    "transformer": _transformer,
    "mobilenet_v2": _mobilenet_v2,
}
