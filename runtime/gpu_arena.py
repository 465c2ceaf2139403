"""How tensors of every type live in the gpu target's float32 arena: as exact float values.

The arena and the weights buffer hold float32 only. A bool tensor holds 0.0 / 1.0; an integer
tensor (int8, uint8, int16, int32, int64 that is not quantized) holds its values as floats,
exact for magnitudes up to 2**24 (float32's 24-bit significand). Integer ops compute on those
values in the shader (as i32 where the arithmetic needs it: division, modulo) and their results
are again exact floats. A value past 2**24 would round silently: model inputs, constants and
host-step results past it are refused with a TflcError, and the indices, sizes and small
counts that integer tensors hold in models stay far below it.

Quantized int8 activations are different: they hold their real value (`backends/gpu/quantized`).
"""

from __future__ import annotations

import numpy as np
from tflc.errors import TflcError

EXACT_LIMIT = 1 << 24  # every integer of magnitude <= this is a float32

# numpy dtypes the arena holds as exact float values (besides float32 itself)
EXACT_DTYPES = ("bool", "int8", "uint8", "int16", "int32", "int64")


def to_arena(values: np.ndarray, where: str) -> np.ndarray:
    """`values` as the arena stores them (float32); integers past EXACT_LIMIT are refused."""
    values = np.asarray(values)
    if values.dtype.kind in "iu" and values.size:
        worst = int(np.abs(values.astype(np.int64)).max())
        if worst > EXACT_LIMIT:
            raise TflcError(
                f"integer value {worst} is past 2**24, which the gpu target's float32 arena "
                "holds exactly",
                where,
            )
    return np.ascontiguousarray(values, dtype=np.float32)


def from_arena(values: np.ndarray, dtype) -> np.ndarray:
    """Arena floats as a tensor of `dtype` (bool: nonzero; integers: the nearest integer)."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return values != 0
    if dtype.kind in "iu":
        return np.rint(values).astype(dtype)
    return values.astype(dtype, copy=False)
