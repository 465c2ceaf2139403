"""One wording for call-time inputs that do not fit the model, on every target.

The interpreter (`__call__`, `set_tensor`, signature runners), compiled cpu models and
pipelines, the gpu runtime and the mcu host build all say the same for the same mistake:

    model call: the model takes 1 input(s), got 2
    input 0 'image': got dtype float64, expected float32
    input 0 'image': got shape [2, 8], expected [1, 8]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from tflc.errors import TflcError

CALL = "model call"


def input_place(position: int, name: str) -> str:
    return f"input {position} '{name}'"


def wrong_count(expected: int, got: int) -> TflcError:
    return TflcError(f"the model takes {expected} input(s), got {got}", CALL)


def wrong_dtype(place: str, got: Any, expected: Any) -> TflcError:
    return TflcError(f"got dtype {np.dtype(got)}, expected {np.dtype(expected)}", place)


def wrong_shape(
    place: str, got: Sequence[int], expected: Sequence[int], hint: str = ""
) -> TflcError:
    return TflcError(f"got shape {list(got)}, expected {list(expected)}{hint}", place)


def checked_inputs(
    descriptors: Sequence[dict[str, Any]], arrays: Sequence[Any]
) -> list[np.ndarray]:
    """`arrays` as contiguous arrays, after checking their count, then each one's dtype and
    shape against `descriptors` (dicts with `name`, `shape` and `dtype`)."""
    if len(arrays) != len(descriptors):
        raise wrong_count(len(descriptors), len(arrays))
    checked = []
    for i, (desc, value) in enumerate(zip(descriptors, arrays, strict=True)):
        arr = np.asarray(value)
        place = input_place(i, desc["name"])
        if arr.dtype != np.dtype(desc["dtype"]):
            raise wrong_dtype(place, arr.dtype, desc["dtype"])
        if tuple(arr.shape) != tuple(desc["shape"]):
            raise wrong_shape(place, arr.shape, desc["shape"])
        # ascontiguousarray makes a scalar one-dimensional: keep its shape
        checked.append(np.ascontiguousarray(arr).reshape(arr.shape))
    return checked
