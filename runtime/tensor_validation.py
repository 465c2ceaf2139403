"""Checks one tensor of a .tflite model: its quantization parameters, its constant buffer and
its size against the tensor limit (runtime/limits.py).

Compiler-free (numpy only): the runtime reader calls it for every tensor, and the tfl importer
calls it again before it builds a tensor's MLIR type, because MLIR's quant type constructors
abort the process (a C++ assertion, not an exception) on a scale that is not finite and positive
or on a storage type wider than 32 bits. Either caller reports the same one-line error.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from tflc.errors import TflcError, brief
from tflc.runtime.limits import tensor_size_problem

if TYPE_CHECKING:
    from tflc.runtime.tflite_model import Model, Quantization, Tensor

# Integer range of each TensorType that may hold quantized values.
QUANTIZED_STORAGE_RANGES: dict[str, tuple[int, int]] = {
    "INT4": (-8, 7),
    "INT8": (-128, 127),
    "UINT8": (0, 255),
    "INT16": (-32768, 32767),
    "INT32": (-(2**31), 2**31 - 1),
    "INT64": (-(2**63), 2**63 - 1),
}
# Non-integer tensors may carry parameters that nothing reads (LiteRT ignores them too).
_UNQUANTIZABLE_TYPES = ("FLOAT16", "FLOAT32", "FLOAT64", "BFLOAT16", "BOOL", "STRING")


def validate_tensor(model: Model, subgraph_index: int, tensor_index: int) -> None:
    """Raises a `TflcError` naming the file, subgraph, tensor index and name when the tensor's
    quantization parameters or its constant buffer cannot be right, or it is too large."""
    tensor = model.subgraphs[subgraph_index].tensors[tensor_index]
    is_constant = bool(len(model.buffer_data(tensor)))
    problem = (
        (
            "INT4 is for constants only (packed weights)"
            if tensor.type == "INT4" and not is_constant
            else None
        )
        or quantization_problem(tensor, is_constant)
        or buffer_problem(model, tensor)
        or size_problem(tensor)
        or sparsity_problem(model, tensor)
    )
    if problem:
        raise TflcError(
            f"subgraph {subgraph_index} tensor {tensor_index} '{tensor.name}': {problem}",
            model.source,
        )


def quantization_problem(tensor: Tensor, is_constant: bool) -> str | None:
    """What is wrong with a tensor's quantization parameters, or None (also used by the tfl
    verifier on quant types read from MLIR text)."""
    q = tensor.quantization
    if q is None or not q.is_quantized or tensor.type in _UNQUANTIZABLE_TYPES:
        return None
    storage = QUANTIZED_STORAGE_RANGES.get(tensor.type)
    if storage is None:
        kinds = ", ".join(QUANTIZED_STORAGE_RANGES)
        return f"quantized {tensor.type} storage is not supported (only {kinds})"
    for scale in q.scale:
        if not (math.isfinite(scale) and scale > 0):
            return f"quantization scale {scale} is not a finite positive number"
    if q.zero_point and len(q.zero_point) != len(q.scale):
        return f"{len(q.scale)} quantization scales but {len(q.zero_point)} zero points"
    if tensor.type == "INT64" and not is_constant:
        return "quantized INT64 is for constants only (the biases of 16x8 models)"
    lo, hi = storage
    for zero_point in q.zero_point:
        if not lo <= zero_point <= hi:
            return f"zero point {zero_point} is outside the {tensor.type} range [{lo}, {hi}]"
    return _axis_problem(q, tensor.shape) if len(q.scale) > 1 else None


def _axis_problem(q: Quantization, shape: list[int]) -> str | None:
    axis = q.quantized_dimension
    if not 0 <= axis < len(shape):
        return f"quantized_dimension {axis} is outside the tensor's rank {len(shape)}"
    if shape[axis] >= 0 and shape[axis] != len(q.scale):
        return (
            f"{len(q.scale)} quantization scales for dimension {axis} of size {shape[axis]} "
            f"(shape {shape})"
        )
    return None


def buffer_problem(model: Model, tensor: Tensor) -> str | None:
    """A constant whose bytes cannot hold exactly its shape of its type (sparse constants hold
    whole elements; STRING buffers are checked when decoded)."""
    size = len(model.buffer_data(tensor))
    if not size or tensor.type == "STRING":
        return None
    count = math.prod(tensor.shape)
    if tensor.type == "INT4":  # two values a byte
        needed = (count + 1) // 2
    elif tensor.dtype is not None:
        itemsize = tensor.dtype.itemsize
        if tensor.sparsity is not None:
            if size % itemsize:
                return f"buffer of {size} bytes is not a whole number of {tensor.type} values"
            return None
        needed = count * itemsize
    else:
        return None
    if tensor.sparsity is None and size != needed:
        return f"buffer holds {size} bytes; {tensor.type} of shape {brief(tensor.shape)} needs {needed}"
    return None


def size_problem(tensor: Tensor) -> str | None:
    """A declared shape over the tensor limit (unknown dimensions count as 1)."""
    if tensor.type == "INT4":
        itemsize = 0.5
    else:
        itemsize = tensor.dtype.itemsize if tensor.dtype is not None else 1
    return tensor_size_problem(tensor.shape, itemsize, f"{tensor.type} tensor")


def sparsity_problem(model: Model, tensor: Tensor) -> str | None:
    """Sparse metadata that does not describe the tensor's shape and values: the walk DENSIFY
    makes over the levels, sizes only (TFLite's format: traversal order over the dimensions and
    then the blocks, a block map, one DENSE or SPARSE_CSR level per traversed dimension)."""
    sp = tensor.sparsity
    if sp is None:
        return None
    shape, rank = tensor.shape, len(tensor.shape)
    order, levels = list(sp.traversal_order), len(sp.traversal_order)
    if sorted(order) != list(range(levels)) or levels < rank:
        return f"sparse traversal order {order} is not a permutation of {max(levels, rank)} levels"
    if sorted(order[:rank]) != list(range(rank)):
        return f"sparse traversal order {order} does not list the {rank} dimensions first"
    if len(sp.block_map) != levels - rank or any(not 0 <= d < rank for d in sp.block_map):
        return f"sparse block map {list(sp.block_map)} does not fit rank {rank}"
    if len(sp.dim_metadata) != levels:
        return f"{len(sp.dim_metadata)} sparse dimension metadata for {levels} levels"
    block_size = {
        sp.block_map[order[lv] - rank]: sp.dim_metadata[lv].dense_size for lv in range(rank, levels)
    }
    total = max(math.prod(shape), 1)
    count = 1  # entries at the current level
    for lv, meta in enumerate(sp.dim_metadata):
        if lv < rank:
            block = block_size.get(order[lv], 1)
            if block < 1 or shape[order[lv]] % block:
                return f"sparse block size {block} does not divide dimension {order[lv]}"
            size = shape[order[lv]] // block
        else:
            size = meta.dense_size
        if meta.format == 0:  # DENSE
            if meta.dense_size != size:
                return f"sparse level {lv}: dense size {meta.dense_size}, the shape gives {size}"
            count *= size
        else:  # SPARSE_CSR
            if meta.array_segments is None or meta.array_indices is None:
                return f"sparse level {lv}: segments or indices missing"
            segments, indices = meta.array_segments[1], meta.array_indices[1]
            if len(segments) != count + 1 or segments[0] != 0 or segments[-1] != len(indices):
                return f"sparse level {lv}: {len(segments)} segments do not index {count} rows"
            if any(b < a for a, b in zip(segments, segments[1:], strict=False)):
                return f"sparse level {lv}: segments decrease"
            if any(not 0 <= i < size for i in indices):
                return f"sparse level {lv}: an index is outside the dimension's size {size}"
            count = len(indices)
        if count > total:
            return f"sparse level {lv} holds {count} entries, more than the tensor's {total}"
    itemsize = tensor.dtype.itemsize if tensor.dtype is not None else 1
    values = len(model.buffer_data(tensor)) // itemsize
    if values != count:
        return f"sparse metadata describes {count} values, the buffer holds {values}"
    return None
