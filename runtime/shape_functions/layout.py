"""Shape functions of the data-movement ops: reshape, concatenation, slicing, padding,
transposes, gathers, reductions and the like; most read a constant operand (axes, shapes,
slice specs)."""

from __future__ import annotations

import numpy as np
from tflc.runtime.shape_inference import (
    OpView,
    Shape,
    ShapeError,
    axis_index,
    broadcast,
    const_ints,
    element_count,
    shape_function,
)


@shape_function("RESHAPE")
def _reshape(v: OpView) -> list[Shape] | None:
    target = const_ints(v, 1) if len(v.inputs) > 1 and v.inputs[1] is not None else None
    if target is None:
        target = v.option("new_shape")
        if not target or len(v.inputs) > 1 and v.inputs[1] is not None:
            return None  # the shape is computed at run time
    dims = [int(d) for d in np.ravel(target)]
    size = element_count(v.shape(0))
    if dims.count(-1) > 1 or any(d < -1 for d in dims):
        raise ShapeError(f"new shape {dims} is not a shape")
    if -1 in dims:
        known = element_count(tuple(d for d in dims if d != -1))
        if known == 0 or size % known:
            raise ShapeError(f"{size} elements do not fill new shape {dims}")
        dims[dims.index(-1)] = size // known
    if element_count(tuple(dims)) != size:
        raise ShapeError(f"new shape {dims} does not hold the input's {size} elements")
    return [tuple(dims)]


@shape_function("CONCATENATION", "STABLEHLO_CONCATENATE")
def _concatenation(v: OpView) -> list[Shape]:
    shapes = [v.shape(i) for i in range(len(v.inputs))]
    rank = len(shapes[0])
    option = "dimension" if v.op == "STABLEHLO_CONCATENATE" else "axis"
    axis = axis_index(int(v.option(option, 0)), rank)
    for s in shapes[1:]:
        if len(s) != rank or any(s[d] != shapes[0][d] for d in range(rank) if d != axis):
            raise ShapeError(f"input shapes {[list(x) for x in shapes]} differ off axis {axis}")
    total = sum(s[axis] for s in shapes)
    return [(*shapes[0][:axis], total, *shapes[0][axis + 1 :])]


@shape_function("STRIDED_SLICE")
def _strided_slice(v: OpView) -> None:
    """Checks the specs only: LiteRT's masks on partial specs do not follow numpy's or
    TensorFlow's indexing (a shrunk axis with fewer specs than the rank keeps its batch), so
    only its kernel knows its shape. begin, end and strides: integers, one per sliced axis
    (TFLite's Prepare checks the same)."""
    specs = [const_ints(v, i) for i in (1, 2, 3)]
    shapes = [v.shape(i) for i in (1, 2, 3)]
    if any(len(s) != 1 for s in shapes) or len({s[0] for s in shapes}) != 1:
        raise ShapeError(
            f"begin, end and strides of shapes {[list(s) for s in shapes]} are not vectors of "
            "one length"
        )
    count = shapes[0][0]
    if (
        not v.option("new_axis_mask", 0)
        and not v.option("ellipsis_mask", 0)
        and count > len(v.shape(0))
    ):
        raise ShapeError(f"{count} slice specs for rank {len(v.shape(0))}")
    if specs[2] is not None and 0 in specs[2]:
        raise ShapeError(f"strides {specs[2]} hold a zero")
    return None


@shape_function("TRANSPOSE")
def _transpose(v: OpView) -> list[Shape] | None:
    perm = const_ints(v, 1)
    if perm is None:
        return None
    x = v.shape(0)
    if sorted(perm) != list(range(len(x))):
        raise ShapeError(f"permutation {perm} does not permute rank {len(x)}")
    return [tuple(x[p] for p in perm)]


@shape_function(
    "MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "REDUCE_ANY", "REDUCE_ALL"
)
def _reduce(v: OpView) -> list[Shape] | None:
    axes = const_ints(v, 1)
    if axes is None:
        return None
    x = v.shape(0)
    reduced = {axis_index(a, len(x)) for a in axes}
    if v.option("keep_dims", False):
        return [tuple(1 if d in reduced else n for d, n in enumerate(x))]
    return [tuple(n for d, n in enumerate(x) if d not in reduced)]


@shape_function("PAD", "PADV2", "MIRROR_PAD")
def _pad(v: OpView) -> list[Shape] | None:
    paddings = const_ints(v, 1)
    if paddings is None:
        return None
    x = v.shape(0)
    if len(paddings) % 2:
        raise ShapeError(f"paddings {paddings} are not (before, after) pairs")
    pads = np.asarray(paddings).reshape(-1, 2) if paddings else np.zeros((0, 2))
    if len(pads) != len(x) or (pads < 0).any():
        raise ShapeError(f"paddings {pads.tolist()} do not pad rank {len(x)}")
    return [tuple(int(n + lo + hi) for n, (lo, hi) in zip(x, pads, strict=True))]


@shape_function("SQUEEZE")
def _squeeze(v: OpView) -> list[Shape]:
    x = v.shape(0)
    dims = {axis_index(int(a), len(x)) for a in v.option("squeeze_dims", []) or []}
    dims = dims or {d for d, n in enumerate(x) if n == 1}
    if any(x[d] != 1 for d in dims):
        raise ShapeError(f"cannot squeeze dimensions {sorted(dims)} of {list(x)}")
    return [tuple(n for d, n in enumerate(x) if d not in dims)]


@shape_function("EXPAND_DIMS")
def _expand_dims(v: OpView) -> list[Shape] | None:
    axis = const_ints(v, 1)
    if axis is None:
        return None
    x = v.shape(0)
    a = axis_index(axis[0], len(x) + 1)
    return [(*x[:a], 1, *x[a:])]


@shape_function("GATHER")
def _gather(v: OpView) -> list[Shape]:
    params, indices = v.shape(0), v.shape(1)
    axis = axis_index(int(v.option("axis", 0)), len(params))
    batch_dims = int(v.option("batch_dims", 0))
    batch = batch_dims + len(indices) if batch_dims < 0 else batch_dims
    if not 0 <= batch <= min(len(indices), axis) or params[:batch] != indices[:batch]:
        raise ShapeError(
            f"batch_dims {batch_dims} does not fit params {list(params)}, indices "
            f"{list(indices)} and axis {axis}"
        )
    return [(*params[:axis], *indices[batch:], *params[axis + 1 :])]


@shape_function("PACK")
def _pack(v: OpView) -> list[Shape]:
    shapes = [v.shape(i) for i in range(len(v.inputs))]
    if any(s != shapes[0] for s in shapes):
        raise ShapeError(f"input shapes {[list(s) for s in shapes]} differ")
    axis = axis_index(int(v.option("axis", 0)), len(shapes[0]) + 1)
    return [(*shapes[0][:axis], len(shapes), *shapes[0][axis:])]


@shape_function("UNPACK")
def _unpack(v: OpView) -> list[Shape]:
    x = v.shape(0)
    axis = axis_index(int(v.option("axis", 0)), len(x))
    count = int(v.option("num", x[axis]))
    if count != x[axis]:
        raise ShapeError(f"num {count} differs from dimension {axis} of size {x[axis]}")
    return [(*x[:axis], *x[axis + 1 :])] * count


@shape_function("SPLIT")
def _split(v: OpView) -> list[Shape] | None:
    axis = const_ints(v, 0)
    if axis is None:
        return None
    x = v.shape(1)
    a = axis_index(axis[0], len(x))
    parts = v.positive("num_splits")
    if x[a] % parts:
        raise ShapeError(f"dimension {a} of size {x[a]} does not split into {parts}")
    return [(*x[:a], x[a] // parts, *x[a + 1 :])] * parts


@shape_function("ARG_MAX", "ARG_MIN")
def _arg_reduce(v: OpView) -> list[Shape] | None:
    axis = const_ints(v, 1)
    if axis is None:
        return None
    x = v.shape(0)
    a = axis_index(axis[0], len(x))
    return [(*x[:a], *x[a + 1 :])]


@shape_function("TILE")
def _tile(v: OpView) -> list[Shape] | None:
    multiples = const_ints(v, 1)
    if multiples is None:
        return None
    x = v.shape(0)
    if len(multiples) != len(x) or min(multiples, default=0) < 0:
        raise ShapeError(f"multiples {multiples} do not tile rank {len(x)}")
    return [tuple(n * m for n, m in zip(x, multiples, strict=True))]


@shape_function("SHAPE")
def _shape(v: OpView) -> list[Shape]:
    return [(len(v.shape(0)),)]


@shape_function("SLICE")
def _slice(v: OpView) -> list[Shape] | None:
    begin, size = const_ints(v, 1), const_ints(v, 2)
    if begin is None or size is None:
        return None
    x = v.shape(0)
    if len(begin) != len(x) or len(size) != len(x):
        raise ShapeError(f"begin {begin} and size {size} do not slice rank {len(x)}")
    out = []
    for n, b, k in zip(x, begin, size, strict=True):
        k = n - b if k == -1 else k
        if b < 0 or k < 0 or b + k > n:
            raise ShapeError(f"begin {begin} and size {size} reach outside shape {list(x)}")
        out.append(k)
    return [tuple(out)]


@shape_function("SPLIT_V")
def _split_v(v: OpView) -> list[Shape] | None:
    sizes, axis = const_ints(v, 1), const_ints(v, 2)
    if sizes is None or axis is None:
        return None
    x = v.shape(0)
    a = axis_index(axis[0], len(x))
    if sizes.count(-1) > 1 or any(k < -1 for k in sizes):
        raise ShapeError(f"size_splits {sizes} are not sizes")
    if -1 in sizes:
        sizes[sizes.index(-1)] = x[a] - (sum(sizes) + 1)
    if sum(sizes) != x[a] or min(sizes, default=0) < 0:
        raise ShapeError(f"size_splits {sizes} do not split dimension {a} of size {x[a]}")
    return [(*x[:a], k, *x[a + 1 :]) for k in sizes]


@shape_function("REVERSE_V2", "CUMSUM")
def _same_along_axes(v: OpView) -> list[Shape]:
    x = v.shape(0)
    for a in const_ints(v, 1) or []:
        axis_index(a, len(x))
    return [x]


@shape_function("BROADCAST_TO")
def _broadcast_to(v: OpView) -> list[Shape] | None:
    target = const_ints(v, 1)
    if target is None:
        return None
    if broadcast(v.shape(0), tuple(target)) != tuple(target):
        raise ShapeError(f"input shape {list(v.shape(0))} does not broadcast to {target}")
    return [tuple(target)]


@shape_function("FILL")
def _fill(v: OpView) -> list[Shape] | None:
    dims = const_ints(v, 0)
    if dims is None:
        return None
    if min(dims, default=0) < 0:
        raise ShapeError(f"dims {dims} are not a shape")
    return [tuple(dims)]


@shape_function("SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND")
def _space_batch(v: OpView) -> list[Shape] | None:
    block, pads = const_ints(v, 1), const_ints(v, 2)
    if block is None or pads is None:
        return None
    x = v.shape(0)
    if len(pads) != 2 * len(block) or len(x) < len(block) + 1 or min(block, default=1) < 1:
        raise ShapeError(f"block_shape {block} and {pads} do not fit input shape {list(x)}")
    total = int(np.prod(block))
    spatial = []
    for i, b in enumerate(block):
        lo, hi = pads[2 * i], pads[2 * i + 1]
        if v.op == "SPACE_TO_BATCH_ND":
            size = x[1 + i] + lo + hi
            if lo < 0 or hi < 0 or size % b:
                raise ShapeError(
                    f"padded dimension {1 + i} of size {size} is not a multiple of {b}"
                )
            spatial.append(size // b)
        else:
            size = x[1 + i] * b - lo - hi
            if lo < 0 or hi < 0 or size < 0:
                raise ShapeError(f"crops {pads} are larger than dimension {1 + i}")
            spatial.append(size)
    if v.op == "SPACE_TO_BATCH_ND":
        batch = x[0] * total
    elif x[0] % total:
        raise ShapeError(f"batch {x[0]} is not a multiple of the block size {total}")
    else:
        batch = x[0] // total
    return [(batch, *spatial, *x[1 + len(block) :])]


@shape_function("DILATE")
def _dilate(v: OpView) -> list[Shape] | None:
    x, dilations = v.shape(0), const_ints(v, 1)
    if dilations is None:
        return None
    if len(dilations) != len(x) or min(dilations, default=1) < 1:
        raise ShapeError(f"dilations {dilations} are not {len(x)} positive factors")
    return [tuple((n - 1) * k + 1 if n else 0 for n, k in zip(x, dilations, strict=True))]


@shape_function("BITCAST")
def _bitcast(v: OpView) -> list[Shape] | None:
    """The bytes stay: a narrower output type adds an innermost dimension, a wider one takes
    the innermost dimension's elements (as tf.bitcast and LiteRT's kernel do)."""
    x = v.shape(0)
    sizes = v.input_itemsizes[:1] + v.output_itemsizes[:1]
    if len(sizes) != 2 or None in sizes:
        return None
    size_in, size_out = sizes
    if size_in == size_out:
        return [x]
    if size_in > size_out:
        if size_in % size_out:
            raise ShapeError(f"{size_in}-byte elements do not split into {size_out}-byte ones")
        return [(*x, size_in // size_out)]
    if not x or x[-1] * size_in != size_out:
        raise ShapeError(
            f"the innermost dimension of {list(x)} does not hold one {size_out}-byte element"
        )
    return [x[:-1]]


@shape_function("RANK")
def _rank(v: OpView) -> list[Shape]:
    v.shape(0)
    return [()]


@shape_function("BROADCAST_ARGS")
def _broadcast_args(v: OpView) -> list[Shape]:
    a, b = v.shape(0), v.shape(1)
    if len(a) != 1 or len(b) != 1:
        raise ShapeError(f"operands of shapes {list(a)} and {list(b)} are not shape vectors")
    return [(max(a[0], b[0]),)]
