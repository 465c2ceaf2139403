"""The tensor descriptions the LiteRT API hands out (`get_input_details()` and friends), and
whether an array's shape fits a tensor's shape signature."""

from __future__ import annotations

from typing import Any

import numpy as np
from tflc.runtime.tflite_model import Tensor


def tensor_details(t: Tensor, ti: int, shape: tuple[int, ...]) -> dict[str, Any]:
    """LiteRT's details dict of tensor `ti`, whose current shape is `shape`."""
    q = t.quantization
    scales = np.asarray(q.scale if q else [], dtype=np.float32)
    zps = np.asarray(q.zero_point if q else [], dtype=np.int32)
    return {
        "name": t.name,
        "index": ti,
        "shape": np.asarray(shape, dtype=np.int32),
        "shape_signature": np.asarray(t.shape_signature or t.shape, dtype=np.int32),
        "dtype": t.dtype.type if t.dtype is not None else np.object_,
        "quantization": (float(scales[0]), int(zps[0])) if len(scales) == 1 else (0.0, 0),
        "quantization_parameters": {
            "scales": scales,
            "zero_points": zps,
            "quantized_dimension": q.quantized_dimension if q else 0,
        },
        "sparsity_parameters": {},
    }


def fits_signature(t: Tensor, shape: tuple[int, ...]) -> bool:
    signature = t.shape_signature or t.shape
    return len(signature) == len(shape) and all(
        s == -1 or s == d for s, d in zip(signature, shape, strict=True)
    )
