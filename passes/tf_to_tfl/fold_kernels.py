"""numpy evaluation of tf ops on constant inputs, for tf-prepare's constant folding.

Keras graphs compute shapes at run time (Shape -> StridedSlice -> Pack -> Reshape) and derive
batch-norm multipliers from frozen variables (Rsqrt(var + eps) * gamma); folding them leaves the
shapes and weights as constants that legalization and fusion consume.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# fn(inputs, attrs) -> outputs; attrs is a dict of Python values.
Folder = Callable[[list[np.ndarray], dict], list[np.ndarray]]
FOLDERS: dict[str, Folder] = {}


def folds(*op_types: str):
    def register(fn: Folder) -> Folder:
        for t in op_types:
            FOLDERS[t] = fn
        return fn

    return register


def _elementwise(fn):
    return lambda xs, attrs: [np.asarray(fn(*xs))]


_ELEMENTWISE = {
    "Add": np.add,
    "AddV2": np.add,
    "Sub": np.subtract,
    "Mul": np.multiply,
    "RealDiv": np.true_divide,
    "Maximum": np.maximum,
    "Minimum": np.minimum,
    "FloorDiv": np.floor_divide,
    "FloorMod": np.mod,
    "Pow": np.power,
    "Less": np.less,
    "LessEqual": np.less_equal,
    "Greater": np.greater,
    "GreaterEqual": np.greater_equal,
    "Equal": np.equal,
    "NotEqual": np.not_equal,
    "LogicalAnd": np.logical_and,
    "LogicalOr": np.logical_or,
    "LogicalNot": np.logical_not,
    "Neg": np.negative,
    "Abs": np.abs,
    "Sqrt": np.sqrt,
    "Rsqrt": lambda x: 1 / np.sqrt(x),
    "Square": np.square,
    "Exp": np.exp,
    "Log": np.log,
    "Reciprocal": lambda x: 1 / x,
    "SquaredDifference": lambda a, b: np.square(a - b),
    "Select": lambda c, a, b: np.where(c, a, b),
    "SelectV2": lambda c, a, b: np.where(c, a, b),
}
for _name, _fn in _ELEMENTWISE.items():
    FOLDERS[_name] = _elementwise(_fn)


@folds("Div")
def _div(xs, attrs):
    a, b = xs
    if not np.issubdtype(a.dtype, np.integer):
        return [a / b]
    # TensorFlow's integer Div truncates toward zero (C++ division), as TFLite's DIV does.
    floor = np.floor_divide(a, b)
    return [(floor + ((np.remainder(a, b) != 0) & ((a < 0) != (b < 0)))).astype(floor.dtype)]


@folds("AddN")
def _add_n(xs, attrs):
    return [np.sum(np.stack(np.broadcast_arrays(*xs)), axis=0)]


@folds("Cast")
def _cast(xs, attrs):
    return [xs[0]]  # the result dtype is applied by the caller


@folds("Reshape")
def _reshape(xs, attrs):
    return [xs[0].reshape([int(d) for d in xs[1].reshape(-1)])]


@folds("ExpandDims")
def _expand_dims(xs, attrs):
    return [np.expand_dims(xs[0], int(xs[1].reshape(-1)[0]))]


@folds("Squeeze")
def _squeeze(xs, attrs):
    dims = attrs.get("squeeze_dims") or None
    return [np.squeeze(xs[0], axis=tuple(dims) if dims else None)]


@folds("Transpose")
def _transpose(xs, attrs):
    return [np.transpose(xs[0], [int(p) for p in xs[1]])]


@folds("ConcatV2")
def _concat(xs, attrs):
    return [np.concatenate(xs[:-1], axis=int(xs[-1]))]


@folds("Pack")
def _pack(xs, attrs):
    return [np.stack(xs, axis=attrs.get("axis", 0))]


@folds("Unpack")
def _unpack(xs, attrs):
    axis = attrs.get("axis", 0)
    return [np.take(xs[0], i, axis=axis) for i in range(xs[0].shape[axis])]


@folds("Fill")
def _fill(xs, attrs):
    return [np.full([int(d) for d in xs[0]], xs[1])]


@folds("ZerosLike")
def _zeros_like(xs, attrs):
    return [np.zeros_like(xs[0])]


@folds("OnesLike")
def _ones_like(xs, attrs):
    return [np.ones_like(xs[0])]


@folds("Range")
def _range(xs, attrs):
    return [np.arange(xs[0], xs[1], xs[2])]


@folds("Tile")
def _tile(xs, attrs):
    return [np.tile(xs[0], [int(m) for m in xs[1]])]


@folds("Slice")
def _slice(xs, attrs):
    x, begin, size = xs
    index = tuple(
        slice(int(b), None if int(s) == -1 else int(b) + int(s))
        for b, s in zip(begin, size, strict=True)
    )
    return [x[index]]


@folds("StridedSlice")
def _strided_slice(xs, attrs):
    x, begin, end, strides = xs
    index = []
    for i in range(len(begin)):
        if (attrs.get("ellipsis_mask", 0) >> i) & 1:
            index.append(Ellipsis)
        elif (attrs.get("new_axis_mask", 0) >> i) & 1:
            index.append(np.newaxis)
        elif (attrs.get("shrink_axis_mask", 0) >> i) & 1:
            index.append(int(begin[i]))
        else:
            b = None if (attrs.get("begin_mask", 0) >> i) & 1 else int(begin[i])
            e = None if (attrs.get("end_mask", 0) >> i) & 1 else int(end[i])
            index.append(slice(b, e, int(strides[i])))
    return [np.asarray(x[tuple(index)])]


@folds("GatherV2")
def _gather(xs, attrs):
    params, indices, axis = xs
    if attrs.get("batch_dims", 0):
        raise NotImplementedError
    return [np.take(params, indices, axis=int(axis))]


def _reduction(fn):
    def fold(xs, attrs):
        axes = tuple(int(a) for a in np.asarray(xs[1]).reshape(-1))
        return [np.asarray(fn(xs[0], axis=axes, keepdims=attrs.get("keep_dims", False)))]

    return fold


for _name, _fn in {
    "Sum": np.sum,
    "Prod": np.prod,
    "Max": np.max,
    "Min": np.min,
    "Mean": np.mean,
    "All": np.all,
    "Any": np.any,
}.items():
    FOLDERS[_name] = _reduction(_fn)


@folds("Pad", "PadV2")
def _pad(xs, attrs):
    value = xs[2] if len(xs) > 2 else 0
    return [np.pad(xs[0], np.asarray(xs[1]).astype(np.int64), constant_values=value)]


@folds("BroadcastTo")
def _broadcast_to(xs, attrs):
    return [np.broadcast_to(xs[0], [int(d) for d in xs[1]]).copy()]


@folds("Split")
def _split(xs, attrs):
    axis, x = xs
    return list(np.split(x, attrs["num_split"], axis=int(axis)))


@folds("SplitV")
def _split_v(xs, attrs):
    x, sizes, axis = xs
    sizes = [int(s) for s in sizes]
    if -1 in sizes:
        sizes[sizes.index(-1)] = x.shape[int(axis)] - (sum(sizes) + 1)
    return list(np.split(x, np.cumsum(sizes)[:-1], axis=int(axis)))
