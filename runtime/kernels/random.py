"""RANDOM_UNIFORM, RANDOM_STANDARD_NORMAL and MULTINOMIAL.

The first two reproduce LiteRT's numbers bit for bit for a given (seed, seed2): TensorFlow's
Philox4x32-10 counter generator keyed by `seed` with `seed2` in the high half of the counter
(LiteRT reads both seeds as int32, sign-extended), one block of four uint32 per four floats (a
block's unused tail is dropped), the generator's state carried from one invoke to the next, and
Box-Muller normals through the C library's logf/sinf/cosf, which LiteRT calls (where no C
library can be loaded, float64 functions rounded to float32 stand in: within one ulp).
Seeds (0, 0) ask for a nondeterministic stream.

MULTINOMIAL samples from the same Philox stream; LiteRT draws from another generator, so its
samples follow the same distribution but are not the same numbers.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

import numpy as np
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.node import Node
from tflc.runtime.kernels.quant_math import wrap32

_MUL_A, _MUL_B = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_KEY_STEP_A, _KEY_STEP_B = 0x9E3779B9, 0xBB67AE85
_MASK32 = 0xFFFFFFFF


def philox_blocks(key: tuple[int, int], counter: tuple[int, int, int, int], count: int):
    """`count` Philox4x32-10 outputs for counters counter, counter+1, ...: (count, 4) uint32."""
    low = counter[0] | (counter[1] << 32)
    high = counter[2] | (counter[3] << 32)
    steps = np.arange(count, dtype=object) + low  # 128-bit counter increments, carried exactly
    lows = np.array([int(s) & ((1 << 64) - 1) for s in steps], dtype=np.uint64)
    highs = np.array([(high + (int(s) >> 64)) & ((1 << 64) - 1) for s in steps], dtype=np.uint64)
    c = [
        lows & np.uint64(_MASK32),
        lows >> np.uint64(32),
        highs & np.uint64(_MASK32),
        highs >> np.uint64(32),
    ]
    k0, k1 = key
    for _ in range(10):
        p0 = _MUL_A * c[0]
        p1 = _MUL_B * c[2]
        c = [
            (p1 >> np.uint64(32)) ^ c[1] ^ np.uint64(k0),
            p1 & np.uint64(_MASK32),
            (p0 >> np.uint64(32)) ^ c[3] ^ np.uint64(k1),
            p0 & np.uint64(_MASK32),
        ]
        k0, k1 = (k0 + _KEY_STEP_A) & _MASK32, (k1 + _KEY_STEP_B) & _MASK32
    return np.stack(c, axis=1).astype(np.uint32)


class PhiloxStream:
    """TensorFlow's PhiloxRandom(seed, seed2) as a stream of 4-word blocks."""

    def __init__(self, seed: int, seed2: int):
        seed, seed2 = seed & ((1 << 64) - 1), seed2 & ((1 << 64) - 1)
        self.key = (seed & _MASK32, seed >> 32)
        self.counter = 0  # low 64 bits of the 128-bit counter; seed2 is the high half
        self.high = seed2

    def blocks(self, count: int) -> np.ndarray:
        counter = (
            self.counter & _MASK32,
            self.counter >> 32,
            self.high & _MASK32,
            self.high >> 32,
        )
        out = philox_blocks(self.key, counter, count)
        total = self.counter + count
        self.counter = total & ((1 << 64) - 1)
        self.high = (self.high + (total >> 64)) & ((1 << 64) - 1)
        return out


def uint32_to_float(bits: np.ndarray) -> np.ndarray:
    """A float in [0, 1) from the low 23 bits: a mantissa under exponent 0, minus one."""
    one_to_two = ((bits & np.uint32(0x7FFFFF)) | np.uint32(0x3F800000)).view(np.float32)
    return one_to_two - np.float32(1)


@functools.cache
def _libm_float_function(name: str):
    """The C library's float function `name` (e.g. "logf") as a numpy ufunc, or None."""
    try:
        libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
        fn = getattr(libm, name)
    except (OSError, AttributeError):
        return None
    fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
    return np.frompyfunc(lambda v: fn(v), 1, 1)


def _float_function(name: str, x: np.ndarray) -> np.ndarray:
    """float32 `name` (log, sin, cos) of float32 `x` as the C library computes it."""
    libm = _libm_float_function(name + "f")
    if libm is None:
        return getattr(np, name)(x.astype(np.float64)).astype(np.float32)
    return libm(x.astype(np.float64)).astype(np.float32)


def box_muller(bits: np.ndarray) -> np.ndarray:
    """Pairs of uint32 to pairs of standard normal floats (sine first), as TensorFlow's
    BoxMullerFloat: the angle 2*pi*u is taken in double and stored as float."""
    u1 = np.maximum(uint32_to_float(bits[:, 0::2]), np.float32(1.0e-7))
    v1 = (2 * np.pi * uint32_to_float(bits[:, 1::2]).astype(np.float64)).astype(np.float32)
    radius = np.sqrt(np.float32(-2) * _float_function("log", u1))
    sin = _float_function("sin", v1)
    cos = _float_function("cos", v1)
    out = np.empty(bits.shape, dtype=np.float32)
    out[:, 0::2] = sin * radius
    out[:, 1::2] = cos * radius
    return out


def _stream(node: Node) -> PhiloxStream:
    key = ("random", node.subgraph, node.index)
    resources = node.interpreter.resources
    if key not in resources:
        # LiteRT keeps the int64 seeds of the options as int32 (sign-extended when widened).
        seed = wrap32(int(node.options.get("seed", 0)))
        seed2 = wrap32(int(node.options.get("seed2", 0)))
        if seed == 0 and seed2 == 0:
            seed, seed2 = (int(s) for s in np.random.SeedSequence().generate_state(2, np.uint64))
        resources[key] = PhiloxStream(seed, seed2)
    return resources[key]


def _output_shape(node: Node, shape: np.ndarray) -> list[int]:
    dims = [int(d) for d in np.asarray(shape).reshape(-1)]
    if any(d < 0 for d in dims):
        raise node.error(f"output shape {dims} has a negative dimension")
    return dims


@kernel("RANDOM_UNIFORM")
def random_uniform(node: Node, shape: np.ndarray):
    dims = _output_shape(node, shape)
    size = int(np.prod(dims))
    bits = _stream(node).blocks((size + 3) // 4)
    return uint32_to_float(bits).reshape(-1)[:size].reshape(dims)


@kernel("RANDOM_STANDARD_NORMAL")
def random_standard_normal(node: Node, shape: np.ndarray):
    dims = _output_shape(node, shape)
    size = int(np.prod(dims))
    bits = _stream(node).blocks((size + 3) // 4)
    return box_muller(bits).reshape(-1)[:size].reshape(dims)


@kernel("MULTINOMIAL")
def multinomial(node: Node, logits: np.ndarray, num_samples: np.ndarray):
    """`num_samples` class indices per batch row, drawn with probabilities softmax(logits):
    a uniform double in [0, sum of exp(logit - max)) located in the cumulative sums."""
    count = int(np.asarray(num_samples).reshape(-1)[0])
    if count < 0:
        raise node.error(f"num_samples is {count}, must be >= 0")
    rows = logits.reshape(logits.shape[0], -1).astype(np.float64)
    odds = np.cumsum(np.exp(rows - rows.max(axis=1, keepdims=True)), axis=1)
    bits = _stream(node).blocks((rows.shape[0] * count + 1) // 2).astype(np.uint64)
    # 53-bit uniform doubles in [0, 1) from pairs of words.
    words = bits.reshape(-1, 2)[: rows.shape[0] * count]
    unit = ((words[:, 0] >> np.uint64(5)) * 67108864.0 + (words[:, 1] >> np.uint64(6))) / 2.0**53
    unit = unit.reshape(rows.shape[0], count)
    out = np.empty((rows.shape[0], count), dtype=node.out_dtype())
    for b in range(rows.shape[0]):
        picks = np.searchsorted(odds[b], unit[b] * odds[b, -1], side="left")
        out[b] = np.minimum(picks, rows.shape[1] - 1)
    return out


def _check_rng_bit_generator(node: Node) -> str | None:
    state = node.input(0)
    if state is None or state.type not in ("UINT64", "INT64"):
        return "the initial state must be a 64-bit integer tensor"
    if node.output(1).type not in ("UINT32", "INT32", "UINT64", "INT64", "UINT8", "INT8"):
        return f"random bits of type {node.output(1).type} are not supported"
    return None


@kernel("STABLEHLO_RNG_BIT_GENERATOR", check=_check_rng_bit_generator)
def stablehlo_rng_bit_generator(node: Node, state: np.ndarray):
    """(new state, random bits) from state = [key, counter, (counter high)]: Philox4x32-10
    blocks at counter, counter + 1, ... for every algorithm. The StableHLO spec asks only that
    the bits be a deterministic function of the state (they differ between implementations;
    LiteRT has no kernel for the op)."""
    words = np.asarray(state).astype(np.uint64).reshape(-1)
    if words.size < 2:
        raise node.error(f"the state needs at least 2 words, got {words.size}")
    key, counter = int(words[0]), int(words[1])
    high = int(words[2]) if words.size > 2 else 0
    out_dtype = node.out_dtype(1)
    shape = [max(d, 0) for d in node.output(1).shape]
    nbytes = int(np.prod(shape)) * out_dtype.itemsize
    blocks = (nbytes + 15) // 16
    stream = PhiloxStream(key, high)
    stream.counter = counter
    bits = stream.blocks(blocks).reshape(-1).view(np.uint8)[:nbytes].view(out_dtype)
    new_state = words.copy()
    new_state[1] = np.uint64(stream.counter)
    if words.size > 2:
        new_state[2] = np.uint64(stream.high)
    return new_state.astype(node.out_dtype(0)), bits.reshape(shape)
