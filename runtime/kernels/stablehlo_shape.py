"""StableHLO data movement: PAD, SLICE, DYNAMIC_SLICE, DYNAMIC_UPDATE_SLICE, CONCATENATE,
BROADCAST_IN_DIM, IOTA, TRANSPOSE, and COMPARE. Semantics from the StableHLO specification."""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.node import Node
from tflc.runtime.kernels.stablehlo_common import int_list


def _static_output_shape(node: Node) -> list[int]:
    shape = list(node.output().shape)
    if any(d < 0 for d in shape):
        raise node.error(f"output shape {shape} must be static")
    return shape


@kernel("STABLEHLO_PAD")
def stablehlo_pad(node: Node, x: np.ndarray, value: np.ndarray):
    """Interior padding between elements, then edge padding (negative edges crop)."""
    low, high = int_list(node, "edge_padding_low"), int_list(node, "edge_padding_high")
    interior = int_list(node, "interior_padding") or [0] * x.ndim
    if not len(low) == len(high) == len(interior) == x.ndim:
        raise node.error(f"padding lists must each have {x.ndim} entries")
    if any(i < 0 for i in interior):
        raise node.error(f"interior padding {interior} must be >= 0")
    fill = np.asarray(value, dtype=x.dtype).reshape(())
    spread = [d + max(d - 1, 0) * i for d, i in zip(x.shape, interior, strict=True)]
    out = np.full(spread, fill, dtype=x.dtype)
    out[tuple(slice(None, None, i + 1) for i in interior)] = x
    pads = [(max(lo, 0), max(hi, 0)) for lo, hi in zip(low, high, strict=True)]
    out = np.pad(out, pads, constant_values=fill)
    crop = tuple(
        slice(max(-lo, 0), out.shape[k] - max(-hi, 0))
        for k, (lo, hi) in enumerate(zip(low, high, strict=True))
    )
    return np.ascontiguousarray(out[crop])


@kernel("STABLEHLO_SLICE")
def stablehlo_slice(node: Node, x: np.ndarray):
    start, limit = int_list(node, "start_indices"), int_list(node, "limit_indices")
    strides = int_list(node, "strides") or [1] * x.ndim
    index = tuple(slice(s, e, st) for s, e, st in zip(start, limit, strides, strict=True))
    return np.ascontiguousarray(x[index])


def _clamped_starts(node: Node, starts, shape, sizes) -> list[int]:
    """Start indices clamped so the window fits, as dynamic_slice/update_slice specify."""
    if len(starts) != len(shape):
        raise node.error(f"{len(starts)} start indices for a rank-{len(shape)} operand")
    return [
        int(min(max(int(np.asarray(s).reshape(())), 0), d - n))
        for s, d, n in zip(starts, shape, sizes, strict=True)
    ]


@kernel("STABLEHLO_DYNAMIC_SLICE")
def stablehlo_dynamic_slice(node: Node, x: np.ndarray, *starts: np.ndarray):
    sizes = int_list(node, "slice_sizes")
    begin = _clamped_starts(node, starts, x.shape, sizes)
    return np.ascontiguousarray(
        x[tuple(slice(b, b + n) for b, n in zip(begin, sizes, strict=True))]
    )


@kernel("STABLEHLO_DYNAMIC_UPDATE_SLICE")
def stablehlo_dynamic_update_slice(node: Node, x: np.ndarray, update: np.ndarray, *starts):
    begin = _clamped_starts(node, starts, x.shape, update.shape)
    out = x.copy()
    out[tuple(slice(b, b + n) for b, n in zip(begin, update.shape, strict=True))] = update
    return out


@kernel("STABLEHLO_CONCATENATE")
def stablehlo_concatenate(node: Node, *xs: np.ndarray):
    return np.concatenate(xs, axis=int(node.options.get("dimension", 0)))


@kernel("STABLEHLO_BROADCAST_IN_DIM")
def stablehlo_broadcast_in_dim(node: Node, x: np.ndarray):
    """Operand dimension i becomes result dimension broadcast_dimensions[i]."""
    dims = int_list(node, "broadcast_dimensions")
    out_shape = _static_output_shape(node)
    if len(dims) != x.ndim:
        raise node.error(f"{len(dims)} broadcast dimensions for a rank-{x.ndim} operand")
    order = np.argsort(dims)
    placed = np.transpose(x, order) if x.ndim else x
    shape = [1] * len(out_shape)
    for i in order:
        shape[dims[i]] = x.shape[i]
    return np.ascontiguousarray(np.broadcast_to(placed.reshape(shape), out_shape))


@kernel("STABLEHLO_IOTA")
def stablehlo_iota(node: Node):
    shape = _static_output_shape(node)
    axis = int(node.options.get("iota_dimension", 0))
    ramp = np.arange(shape[axis]).reshape([-1 if k == axis else 1 for k in range(len(shape))])
    return np.ascontiguousarray(np.broadcast_to(ramp, shape).astype(node.out_dtype()))


@kernel("STABLEHLO_TRANSPOSE")
def stablehlo_transpose(node: Node, x: np.ndarray):
    return np.ascontiguousarray(np.transpose(x, int_list(node, "permutation")))


def _total_order_key(x: np.ndarray) -> np.ndarray:
    """Integers ordered as IEEE totalOrder orders the floats: -NaN < -inf < ... < -0 < +0 <
    ... < inf < NaN."""
    bits = x.view({2: np.int16, 4: np.int32, 8: np.int64}[x.dtype.itemsize]).astype(np.int64)
    top = (1 << (8 * x.dtype.itemsize - 1)) - 1
    return np.where(bits < 0, -(bits & top) - 1, bits)


_COMPARISONS = {
    "EQ": np.equal,
    "NE": np.not_equal,
    "GE": np.greater_equal,
    "GT": np.greater,
    "LE": np.less_equal,
    "LT": np.less,
}


@kernel("STABLEHLO_COMPARE")
def stablehlo_compare(node: Node, a: np.ndarray, b: np.ndarray):
    direction = str(node.options.get("comparison_direction", "EQ")).rsplit("_", 1)[-1]
    kind = str(node.options.get("compare_type", "NOTYPE"))
    if kind.endswith("TOTAL_ORDER") and a.dtype.kind == "f":
        a, b = _total_order_key(a), _total_order_key(b)
    elif kind.endswith("UNSIGNED") and a.dtype.kind == "i":
        a, b = a.view(a.dtype.str.replace("i", "u")), b.view(b.dtype.str.replace("i", "u"))
    return _COMPARISONS[direction](a, b)
