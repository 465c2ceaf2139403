"""Single-op cases for the StableHLO elementwise builtins.

LiteRT 2.3 runs STABLEHLO_AND, MINIMUM and SHIFT_LEFT itself. For the others it has no kernel
("Didn't find op for builtin opcode"): where a TFLite builtin has the same meaning, LiteRT runs
that builtin on the same operands; otherwise TensorFlow computes the outputs.
"""

from __future__ import annotations

from kernel_case import KernelCase as C
from test_interpreter_ops import spec

F = spec
SHAPE = (3, 5)
POSITIVE = {0: (0.05, 3.0)}


def unary(op, reference, ranges=None) -> C:
    return C(op, [F(SHAPE)], [F(SHAPE)], reference=reference, ranges=ranges or {})


def binary(op, reference, type_="FLOAT32", ranges=None, tf_reference=None) -> C:
    ins = [spec(SHAPE, type_), spec(SHAPE, type_)]
    return C(
        op,
        ins,
        [spec(SHAPE, type_)],
        reference=reference,
        tf_reference=tf_reference,
        ranges=ranges or {},
    )


def tf_bitwise_or(a, b):
    import tensorflow as tf

    return [tf.bitwise.bitwise_or(a, b).numpy()]


def tf_cbrt(x):
    import tensorflow.experimental.numpy as tnp

    return [tnp.cbrt(x).numpy()]


def tf_truncate_mod(a, b):  # StableHLO's remainder takes the sign of the dividend, like fmod
    import tensorflow as tf

    return [tf.truncatemod(a, b).numpy()]


def tf_reshape_to_2x6(x):
    import tensorflow as tf

    return [tf.reshape(x, (2, 6)).numpy()]


def tf_clamp(lo, x, hi):
    import tensorflow as tf

    return [tf.minimum(tf.maximum(x, lo), hi).numpy()]


NONZERO_DIVISOR = {0: (-50, 50), 1: (1, 9)}

CASES: list[C] = [
    unary("STABLEHLO_ABS", "ABS"),
    unary("STABLEHLO_COSINE", "COS"),
    unary("STABLEHLO_EXPONENTIAL", "EXP"),
    unary("STABLEHLO_FLOOR", "FLOOR"),
    unary("STABLEHLO_LOG", "LOG", POSITIVE),
    unary("STABLEHLO_LOGISTIC", "LOGISTIC"),
    unary("STABLEHLO_NEGATE", "NEG"),
    unary("STABLEHLO_RSQRT", "RSQRT", POSITIVE),
    unary("STABLEHLO_TANH", "TANH"),
    C("STABLEHLO_CBRT", [F(SHAPE)], [F(SHAPE)], tf_reference=tf_cbrt, ranges={0: (-30.0, 30.0)}),
    C("STABLEHLO_RESHAPE", [F((3, 4))], [F((2, 6))], tf_reference=tf_reshape_to_2x6),
    C("STABLEHLO_CONVERT", [F(SHAPE)], [spec(SHAPE, "INT32")], reference="CAST"),
    C("STABLEHLO_CONVERT", [spec(SHAPE, "INT32")], [F(SHAPE)], reference="CAST"),
    binary("STABLEHLO_SUBTRACT", "SUB"),
    binary("STABLEHLO_DIVIDE", "DIV", ranges={1: (0.5, 2.0)}),
    binary("STABLEHLO_POWER", "POW", ranges=POSITIVE),
    binary("STABLEHLO_MINIMUM", None),
    binary("STABLEHLO_MINIMUM", None, "INT32"),
    binary("STABLEHLO_AND", None, "INT32", {0: (-999, 999), 1: (-999, 999)}),
    binary("STABLEHLO_AND", None, "BOOL"),
    binary("STABLEHLO_OR", "LOGICAL_OR", "BOOL"),
    binary("STABLEHLO_OR", None, "INT32", {0: (-999, 999)}, tf_bitwise_or),
    binary("STABLEHLO_SHIFT_LEFT", None, "INT32", {0: (-999, 999), 1: (0, 31)}),
    binary("STABLEHLO_REMAINDER", None, ranges={1: (0.5, 2.0)}, tf_reference=tf_truncate_mod),
    binary("STABLEHLO_REMAINDER", None, "INT32", NONZERO_DIVISOR, tf_truncate_mod),
    C(
        "STABLEHLO_CLAMP",
        [spec([]), F(SHAPE), spec(SHAPE)],
        [F(SHAPE)],
        tf_reference=tf_clamp,
        ranges={0: (-1.0, 0.0), 2: (0.0, 1.0)},
    ),
]
