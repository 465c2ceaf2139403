"""What the programs of tests/tf_op_programs.py are made of: the `Program` record, the
tf.function builders and the random inputs (from `RNG`, which `reseed` sets per program so a
program's inputs depend on its name only). Import tf_support (so tflc) first."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

RNG = np.random.default_rng(16)  # reseeded per program by `reseed`


@dataclass
class Program:
    fn: Callable
    inputs: list[np.ndarray]
    # "values": outputs compared with TensorFlow's. "random": seeded draws, where only shape,
    # dtype and statistics can match TensorFlow's (LiteRT has its own generator), and tflc's
    # interpreter must draw LiteRT's numbers. "distribution": statistics only.
    compare: str = "values"


def _spec(x: np.ndarray) -> tf.TensorSpec:
    return tf.TensorSpec(x.shape, tf.as_dtype(x.dtype))


def program(body: Callable, *inputs: np.ndarray, compare: str = "values") -> Program:
    fn = tf.function(body, input_signature=[_spec(x) for x in inputs], autograph=False)
    return Program(fn, list(inputs), compare)


def unknown_shapes(body: Callable, *inputs: np.ndarray) -> Program:
    """The program with every input dimension unknown (the rank kept)."""
    specs = [tf.TensorSpec([None] * x.ndim, tf.as_dtype(x.dtype)) for x in inputs]
    return Program(tf.function(body, input_signature=specs, autograph=False), list(inputs))


def floats(*shape: int, low: float = -2.0, high: float = 2.0) -> np.ndarray:
    return RNG.uniform(low, high, shape).astype(np.float32)


def ints(*shape: int, low: int = -20, high: int = 20, dtype=np.int32) -> np.ndarray:
    return RNG.integers(low, high, shape).astype(dtype)


def unary(body: Callable, low: float = -2.0, high: float = 2.0) -> Callable[[], Program]:
    return lambda: program(body, floats(2, 3, 4, low=low, high=high))


def binary(body: Callable, dtype=np.float32) -> Callable[[], Program]:
    if dtype == np.float32:
        return lambda: program(body, floats(2, 3, 4), floats(3, 4, low=0.5, high=2.0))
    return lambda: program(body, ints(2, 3, 4), ints(3, 4, low=1, high=7))


def complex_values(*shape: int) -> np.ndarray:
    return (floats(*shape) + 1j * floats(*shape)).astype(np.complex64)


def with_zeros(*shape: int) -> np.ndarray:
    """Floats with about a third of them 0 (the NaN-safe ops' special case)."""
    x = floats(*shape, low=0.5, high=2.0)
    return np.where(RNG.random(shape) < 0.35, np.float32(0), x).astype(np.float32)


def inf_where_zero(*shape: int) -> list[np.ndarray]:
    """x, y with x infinite where y is 0: x * y is NaN there, multiply_no_nan's 0."""
    y = with_zeros(*shape)
    return [np.where(y == 0, np.float32(np.inf), floats(*shape)).astype(np.float32), y]


def image(*shape: int) -> np.ndarray:
    return floats(*shape, low=0.0, high=1.0)


def boxes(n: int) -> np.ndarray:
    corner = RNG.uniform(0.0, 0.8, (n, 2))
    size = RNG.uniform(0.1, 0.3, (n, 2))
    return np.concatenate([corner, corner + size], axis=1).astype(np.float32)


def nms_scores() -> np.ndarray:
    return RNG.permutation(np.linspace(0.95, 0.05, 10).astype(np.float32))  # no ties


def reseed(name: str) -> None:
    global RNG
    RNG = np.random.default_rng(zlib.crc32(name.encode()))
