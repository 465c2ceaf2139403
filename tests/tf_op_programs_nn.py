"""The parity programs of neural-network ops (matmuls, convolutions, pools, resizes,
detection), complex and random numbers (tests/tf_op_programs.py)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf
from tf_op_inputs import Program, boxes, complex_values, floats, image, nms_scores, program, unary


def _nms_v4(boxes, scores):
    return tf.raw_ops.NonMaxSuppressionV4(
        boxes=boxes,
        scores=scores,
        max_output_size=6,
        iou_threshold=0.4,
        score_threshold=0.2,
        pad_to_max_output_size=True,
    )


def _nms_v5(boxes, scores):
    return tf.raw_ops.NonMaxSuppressionV5(
        boxes=boxes,
        scores=scores,
        max_output_size=6,
        iou_threshold=0.4,
        score_threshold=0.2,
        soft_nms_sigma=0.5,
        pad_to_max_output_size=True,
    )


def _rfft2d(x):
    return tf.math.real(tf.signal.rfft2d(x)), tf.math.imag(tf.signal.rfft2d(x))


def _random_uniform(scale):
    return tf.random.uniform([64, 64], seed=7) * scale


def _random_normal(scale):
    return tf.random.normal([64, 64], seed=7) * scale


NN: dict[str, Callable[[], Program]] = {
    # --- neural network ops --------------------------------------------------------------------
    "MatMul": lambda: program(tf.matmul, floats(3, 5), floats(5, 4)),
    "BatchMatMulV3": lambda: program(tf.matmul, floats(2, 3, 5), floats(2, 5, 4)),
    "Einsum": lambda: program(
        lambda a, b: tf.einsum("bij,bjk->bik", a, b), floats(2, 3, 5), floats(2, 5, 4)
    ),
    "Conv2D": lambda: program(
        lambda x: tf.nn.conv2d(x, tf.constant(floats(3, 3, 3, 4)), 1, "SAME"), floats(1, 6, 6, 3)
    ),
    "DepthwiseConv2dNative": lambda: program(
        lambda x: tf.nn.depthwise_conv2d(x, tf.constant(floats(3, 3, 3, 2)), [1, 1, 1, 1], "VALID"),
        floats(1, 6, 6, 3),
    ),
    "Conv2DBackpropInput": lambda: program(
        lambda x: tf.nn.conv2d_transpose(
            x, tf.constant(floats(3, 3, 2, 3)), [1, 8, 8, 2], 2, "SAME"
        ),
        floats(1, 4, 4, 3),
    ),
    "Conv3D": lambda: program(
        lambda x: tf.nn.conv3d(x, tf.constant(floats(2, 2, 2, 3, 4)), [1] * 5, "VALID"),
        floats(1, 4, 4, 4, 3),
    ),
    "Conv3DBackpropInputV2": lambda: program(
        lambda x: tf.nn.conv3d_transpose(
            x, tf.constant(floats(2, 2, 2, 2, 3)), [1, 6, 6, 6, 2], [1, 2, 2, 2, 1], "SAME"
        ),
        floats(1, 3, 3, 3, 3),
    ),
    "Conv1D": lambda: program(
        lambda x: tf.nn.conv1d(x, tf.constant(floats(3, 2, 4)), 1, "SAME"), floats(1, 9, 2)
    ),
    "SeparableConv2D": lambda: program(
        lambda x: tf.nn.separable_conv2d(
            x,
            tf.constant(floats(3, 3, 2, 2)),
            tf.constant(floats(1, 1, 4, 3)),
            [1, 1, 1, 1],
            "SAME",
        ),
        floats(1, 6, 6, 2),
    ),
    "EinsumAttention": lambda: program(
        lambda q, k: tf.einsum("bhqd,bhkd->bhqk", q, k), floats(1, 2, 3, 4), floats(1, 2, 5, 4)
    ),
    "EinsumWeights": lambda: program(
        lambda x: tf.einsum("abc,cd->abd", x, tf.constant(floats(4, 3))), floats(2, 3, 4)
    ),
    "BatchMatMulBroadcast": lambda: program(tf.matmul, floats(2, 1, 3, 5), floats(4, 5, 2)),
    "MeanAll": unary(lambda x: tf.reduce_mean(x)),
    "ClipByNorm": unary(lambda x: tf.clip_by_norm(x, 1.0, axes=[2])),
    "MaxPool": lambda: program(lambda x: tf.nn.max_pool2d(x, 2, 2, "VALID"), floats(1, 6, 6, 3)),
    "AvgPool": lambda: program(lambda x: tf.nn.avg_pool2d(x, 3, 1, "SAME"), floats(1, 6, 6, 3)),
    "BiasAdd": lambda: program(lambda x, b: tf.nn.bias_add(x, b), floats(2, 3, 4), floats(4)),
    "FusedBatchNormV3": lambda: program(
        lambda x: tf.compat.v1.nn.fused_batch_norm(
            x, floats(3), floats(3), floats(3), floats(3, low=0.5, high=1.5), is_training=False
        )[0],
        floats(1, 4, 4, 3),
    ),
    "ResizeBilinear": lambda: program(
        lambda x: tf.image.resize(x, [7, 5], "bilinear"), image(1, 4, 3, 2)
    ),
    "ResizeBilinearAlignCorners": lambda: program(
        lambda x: tf.compat.v1.image.resize_bilinear(x, [7, 5], align_corners=True),
        image(1, 4, 3, 2),
    ),
    "ResizeBicubic": lambda: program(
        lambda x: tf.image.resize(x, [7, 5], "bicubic"), image(1, 4, 3, 2)
    ),
    "CropAndResize": lambda: program(
        lambda x: tf.image.crop_and_resize(x, [[0.1, 0.2, 0.8, 0.9]], [0], [3, 3]),
        image(1, 6, 6, 2),
    ),
    "ExtractImagePatches": lambda: program(
        lambda x: tf.image.extract_patches(x, [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID"),
        image(1, 4, 4, 2),
    ),
    "Dilation2D": lambda: program(
        lambda x: tf.nn.dilation2d(
            x, tf.constant(floats(2, 2, 2)), [1, 1, 1, 1], "VALID", "NHWC", [1, 1, 1, 1]
        ),
        image(1, 4, 4, 2),
    ),
    "DepthwiseConvDilated": lambda: program(
        lambda x: tf.nn.depthwise_conv2d(
            x, tf.constant(floats(3, 3, 3, 1)), [1, 1, 1, 1], "SAME", dilations=[2, 2]
        ),
        floats(1, 8, 8, 3),
    ),
    "Conv2DDilated": lambda: program(
        lambda x: tf.nn.conv2d(x, tf.constant(floats(3, 3, 3, 4)), 1, "VALID", dilations=2),
        floats(1, 8, 8, 3),
    ),
    "MatMulAdjoint": lambda: program(
        lambda a, b: tf.matmul(a, b, transpose_a=True, adjoint_b=True),
        floats(2, 5, 3),
        floats(2, 4, 5),
    ),
    "ResizeNearestNeighbor": lambda: program(
        lambda x: tf.image.resize(x, [8, 6], "nearest"), image(1, 4, 3, 2)
    ),
    "NonMaxSuppressionV4": lambda: program(_nms_v4, boxes(10), nms_scores()),
    "NonMaxSuppressionV5": lambda: program(_nms_v5, boxes(10), nms_scores()),
    "NonMaxSuppressionV3": lambda: program(
        lambda b, s: tf.image.non_max_suppression(b, s, 9, 0.4, 0.2), boxes(10), nms_scores()
    ),
    # Hard suppression: LiteRT's soft-NMS can stop before TensorFlow's on these boxes.
    "NonMaxSuppressionV5Unpadded": lambda: program(
        lambda b, s: tf.image.non_max_suppression_with_scores(b, s, 9, 0.4, 0.3, 0.0),
        boxes(10),
        nms_scores(),
    ),
    # --- complex numbers and random numbers -----------------------------------------------------
    "RFFT2D": lambda: program(_rfft2d, floats(2, 4, 8)),
    "ComplexAbs": lambda: program(lambda x: tf.abs(tf.signal.rfft2d(x)), floats(2, 4, 8)),
    "RandomUniform": lambda: program(_random_uniform, np.ones(1, np.float32), compare="random"),
    "RandomStandardNormal": lambda: program(
        _random_normal, np.ones(1, np.float32), compare="random"
    ),
    "RandomUniformUnseeded": lambda: program(
        lambda scale: tf.random.uniform([64, 64]) * scale,
        np.ones(1, np.float32),
        compare="distribution",
    ),
    "RandomNormalInt32Shape": lambda: program(
        lambda n: tf.random.normal(tf.stack([n, 32]), seed=5),
        np.array(128, np.int32),
        compare="random",
    ),
    "RFFT2DCropped": lambda: program(
        lambda x: tf.abs(tf.signal.rfft2d(x, fft_length=[4, 4])), floats(2, 4, 8)
    ),
    "RFFT2DPadded": lambda: program(
        lambda x: tf.abs(tf.signal.rfft2d(x, fft_length=[8, 16])), floats(2, 4, 8)
    ),
    "RFFT2DOddLength": lambda: program(
        lambda x: tf.abs(tf.signal.rfft2d(x, fft_length=[3, 6])), floats(2, 3, 6)
    ),
    "Multinomial": lambda: program(
        lambda logits: tf.random.categorical(logits, 2048, seed=3, dtype=tf.int32),
        np.log(np.array([[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1]], np.float32)),
        compare="distribution",
    ),
    "Real": lambda: program(tf.math.real, complex_values(3, 4)),
    "Imag": lambda: program(tf.math.imag, complex_values(3, 4)),
    "ComplexAbsInput": lambda: program(tf.abs, complex_values(3, 4)),
}
