"""Ops that move data without arithmetic: reshape, transpose, concat, pack, split, tile, ..."""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.common import float_activation
from tflc.runtime.kernels.node import Node, scale_zp
from tflc.runtime.kernels.quant_math import tflite_round


def _ints(a) -> list[int]:
    return [int(v) for v in np.asarray(a).reshape(-1)]


def _axis(node: Node, axis: int, rank: int) -> int:
    if not -rank <= axis < max(rank, 1):
        raise node.error(f"axis {axis} is out of range for rank {rank}")
    return axis % max(rank, 1)


@kernel("RESHAPE")
def reshape(node: Node, x: np.ndarray, shape: np.ndarray | None = None):
    if shape is not None and np.asarray(shape).size and np.asarray(shape).ndim == 1:
        new = _ints(shape)
    elif node.options.get("new_shape"):
        new = list(node.options["new_shape"])
    elif shape is not None and np.asarray(shape).ndim == 1 and node.input(1).shape == [0]:
        new = []  # an empty shape tensor means a scalar
    else:
        new = list(node.output().shape)
    if new.count(-1) > 1:
        raise node.error(f"new shape {new} has more than one -1")
    known = int(np.prod([d for d in new if d != -1]))
    if -1 in new:
        if known == 0 or x.size % known:
            raise node.error(f"cannot reshape {list(x.shape)} to {new}")
        new[new.index(-1)] = x.size // known
    if int(np.prod(new)) != x.size:
        raise node.error(f"cannot reshape {list(x.shape)} ({x.size} elements) to {new}")
    return x.reshape(new)


@kernel("SQUEEZE")
def squeeze(node: Node, x: np.ndarray):
    dims = node.options.get("squeeze_dims") or [i for i, d in enumerate(x.shape) if d == 1]
    axes = tuple(sorted({_axis(node, d, x.ndim) for d in dims}))
    for a in axes:
        if x.shape[a] != 1:
            raise node.error(f"cannot squeeze dimension {a} of size {x.shape[a]}")
    return np.squeeze(x, axis=axes)


@kernel("EXPAND_DIMS")
def expand_dims(node: Node, x: np.ndarray, axis: np.ndarray):
    a = _ints(axis)[0]
    if not -x.ndim - 1 <= a <= x.ndim:
        raise node.error(f"axis {a} is out of range for rank {x.ndim}")
    return np.expand_dims(x, a if a >= 0 else x.ndim + 1 + a)


@kernel("TRANSPOSE")
def transpose(node: Node, x: np.ndarray, perm: np.ndarray):
    p = _ints(perm)
    if sorted(p) != list(range(x.ndim)):
        raise node.error(f"permutation {p} does not fit a rank-{x.ndim} input")
    return np.ascontiguousarray(np.transpose(x, p))


@kernel("CONCATENATION")
def concatenation(node: Node, *xs: np.ndarray):
    axis = _axis(node, node.options.get("axis", 0), xs[0].ndim)
    out_t = node.output()
    if out_t.type == "UINT8":
        xs = tuple(_rescale_uint8(node, i, x) for i, x in enumerate(xs))
    out = np.concatenate(xs, axis=axis)
    if out.dtype == np.float32:
        out = float_activation(out, node.options.get("fused_activation_function"), node)
    return out


def _rescale_uint8(node: Node, i: int, x: np.ndarray) -> np.ndarray:
    """ConcatenationWithScaling: float rescaling of inputs whose quantization differs."""
    in_s, in_zp = scale_zp(node.input(i))
    out_s, out_zp = scale_zp(node.output())
    if (in_s, in_zp) == (out_s, out_zp):
        return x
    scale = np.float32(in_s) * (np.float32(1.0) / np.float32(out_s))
    bias = np.float32(-in_zp) * scale
    v = tflite_round((x.astype(np.float32) * scale + bias).astype(np.float32)) + out_zp
    return np.clip(v, 0, 255).astype(np.uint8)


@kernel("PACK")
def pack(node: Node, *xs: np.ndarray):
    axis = node.options.get("axis", 0)
    rank = xs[0].ndim + 1
    return np.stack(xs, axis=_axis(node, axis, rank))


@kernel("UNPACK")
def unpack(node: Node, x: np.ndarray):
    axis = _axis(node, node.options.get("axis", 0), x.ndim)
    return tuple(np.take(x, i, axis=axis) for i in range(x.shape[axis]))


@kernel("SPLIT")
def split(node: Node, axis: np.ndarray, x: np.ndarray):
    a = _axis(node, _ints(axis)[0], x.ndim)
    n = node.options.get("num_splits", len(node.outputs))
    if x.shape[a] % n:
        raise node.error(f"dimension {a} of size {x.shape[a]} does not split into {n}")
    return tuple(np.split(x, n, axis=a))


@kernel("SPLIT_V")
def split_v(node: Node, x: np.ndarray, sizes: np.ndarray, axis: np.ndarray):
    a = _axis(node, _ints(axis)[0], x.ndim)
    sizes = _ints(sizes)
    if -1 in sizes:
        sizes[sizes.index(-1)] = x.shape[a] - (sum(sizes) + 1)
    if sum(sizes) != x.shape[a] or min(sizes) < 0:
        raise node.error(f"sizes {sizes} do not split dimension {a} of size {x.shape[a]}")
    return tuple(np.split(x, np.cumsum(sizes)[:-1], axis=a))


@kernel("TILE")
def tile(node: Node, x: np.ndarray, multiples: np.ndarray):
    return np.tile(x, _ints(multiples))


@kernel("SHAPE")
def shape(node: Node, x: np.ndarray):
    return np.asarray(x.shape, dtype=node.out_dtype())


@kernel("RANK")
def rank(node: Node, x: np.ndarray):
    return np.asarray(x.ndim, dtype=node.out_dtype())


@kernel("FILL")
def fill(node: Node, dims: np.ndarray, value: np.ndarray):
    return np.full(_ints(dims), value.reshape(()), dtype=value.dtype)


@kernel("ZEROS_LIKE")
def zeros_like(node: Node, x: np.ndarray):
    return np.zeros_like(x)


@kernel("ONES_LIKE")
def ones_like(node: Node, x: np.ndarray):
    return np.ones_like(x)


@kernel("BROADCAST_TO")
def broadcast_to(node: Node, x: np.ndarray, shape: np.ndarray):
    try:
        return np.array(np.broadcast_to(x, _ints(shape)))
    except ValueError:
        raise node.error(f"cannot broadcast {list(x.shape)} to {_ints(shape)}") from None


@kernel("BROADCAST_ARGS")
def broadcast_args(node: Node, a: np.ndarray, b: np.ndarray):
    try:
        return np.asarray(np.broadcast_shapes(tuple(_ints(a)), tuple(_ints(b))), dtype=a.dtype)
    except ValueError:
        raise node.error(f"shapes {_ints(a)} and {_ints(b)} do not broadcast") from None


@kernel("REVERSE_V2")
def reverse_v2(node: Node, x: np.ndarray, axes: np.ndarray):
    return np.flip(x, axis=tuple(_axis(node, a, x.ndim) for a in _ints(axes)))


@kernel("RANGE")
def range_(node: Node, start: np.ndarray, limit: np.ndarray, delta: np.ndarray):
    s, lim, d = start.reshape(()), limit.reshape(()), delta.reshape(())
    if d == 0:
        raise node.error("delta must not be zero")
    return np.arange(s, lim, d, dtype=node.out_dtype())


@kernel("WHERE")
def where(node: Node, cond: np.ndarray, *rest: np.ndarray):
    if rest:
        return np.where(cond, rest[0], rest[1])
    return np.argwhere(cond).astype(node.out_dtype())


@kernel("ONE_HOT")
def one_hot(node: Node, indices, depth, on_value, off_value):
    d = int(np.asarray(depth).reshape(()))
    axis = node.options.get("axis", -1)
    hot = indices[..., None] == np.arange(d)
    out = np.where(hot, on_value.reshape(()), off_value.reshape(())).astype(on_value.dtype)
    if axis != -1:
        out = np.moveaxis(out, -1, axis)
    return out


@kernel("MATRIX_DIAG")
def matrix_diag(node: Node, x: np.ndarray):
    n = x.shape[-1]
    out = np.zeros(x.shape + (n,), dtype=x.dtype)
    idx = np.arange(n)
    out[..., idx, idx] = x
    return out


@kernel("MATRIX_SET_DIAG")
def matrix_set_diag(node: Node, x: np.ndarray, diag: np.ndarray):
    out = np.array(x, copy=True)
    n = min(x.shape[-2], x.shape[-1])
    idx = np.arange(n)
    out[..., idx, idx] = diag[..., :n]
    return out


@kernel("UNIQUE")
def unique(node: Node, x: np.ndarray):
    _, first, inverse = np.unique(x, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # keep first-occurrence order, as TFLite does
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    values = x[np.sort(first)]
    return values, rank[inverse].astype(node.out_dtype(1))


@kernel("REVERSE_SEQUENCE")
def reverse_sequence(node: Node, x: np.ndarray, lengths: np.ndarray):
    seq_dim = node.options.get("seq_dim", 0)
    batch_dim = node.options.get("batch_dim", 0)
    out = np.array(x, copy=True)
    for b, n in enumerate(_ints(lengths)):
        src = [slice(None)] * x.ndim
        src[batch_dim] = b
        src[seq_dim] = slice(0, n)
        dst = list(src)
        dst[seq_dim] = slice(n - 1, None, -1) if n > 0 else slice(0, 0)
        out[tuple(src)] = x[tuple(dst)] if n > 0 else out[tuple(src)]
    return out
