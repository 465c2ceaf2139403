"""Legalizers for shape and data-movement ops: reshape, transpose, concat, slicing, padding."""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.passes.tf_to_tfl.common import (
    TfOp,
    Unsupported,
    element_of,
    emit,
    emit_multi,
    i32,
    is_fully_static,
    legalizes,
    normalize_axis,
    static_shape,
    with_shape,
)


def reshape_to(x: ir.Value, result_type: ir.Type) -> ir.Value:
    shape = static_shape(result_type)
    if shape is None or sum(d < 0 for d in shape) > 1:
        raise Unsupported("reshape to a shape with several unknown dims")
    return emit("reshape", [x, i32(shape)], result_type)


@legalizes("Reshape")
def _reshape(op: TfOp):
    if is_fully_static(op.result_type):
        return [reshape_to(op.operands[0], op.result_type)]
    shape = op.const(1)
    shape_value = i32(shape) if shape is not None else op.operands[1]
    return [emit("reshape", [op.operands[0], shape_value], op.result_type)]


@legalizes("Squeeze", "ExpandDims")
def _squeeze_like(op: TfOp):
    if (
        is_fully_static(op.result_type)
        or sum(d < 0 for d in static_shape(op.result_type) or [-1, -1]) <= 1
    ):
        return [reshape_to(op.operands[0], op.result_type)]
    if op.type == "Squeeze":
        return [
            emit(
                "squeeze",
                [op.operands[0]],
                op.result_type,
                squeeze_dims=op.attr("squeeze_dims", []),
            )
        ]
    axis = op.require_const(1, "axis")
    return [
        emit("expand_dims", [op.operands[0], i32(np.asarray(axis).reshape(()))], op.result_type)
    ]


@legalizes("Transpose")
def _transpose(op: TfOp):
    perm = op.require_const(1, "permutation")
    shape = static_shape(op.operands[0].type)
    if shape is not None and is_fully_static(op.result_type):
        moved = [p for p in perm.reshape(-1) if shape[p] != 1]
        if moved == sorted(moved):  # only unit dims move: the data order is unchanged
            return [reshape_to(op.operands[0], op.result_type)]
    return [emit("transpose", [op.operands[0], i32(perm)], op.result_type)]


@legalizes("ConcatV2", "Concat")
def _concat(op: TfOp):
    # ConcatV2 takes the axis last, the first Concat first.
    axis_index = len(op.operands) - 1 if op.type == "ConcatV2" else 0
    axis = int(op.require_const(axis_index, "axis"))
    values = op.operands[:-1] if op.type == "ConcatV2" else op.operands[1:]
    if len(values) == 1:
        return [values[0]]
    rank = len(static_shape(op.result_type))
    return [
        emit(
            "concatenation",
            values,
            op.result_type,
            axis=normalize_axis(axis, rank),
            fused_activation_function="NONE",
        )
    ]


@legalizes("Pack")
def _pack(op: TfOp):
    rank = len(static_shape(op.result_type))
    return [
        emit(
            "pack",
            op.operands,
            op.result_type,
            values_count=len(op.operands),
            axis=normalize_axis(op.attr("axis", 0), rank),
        )
    ]


@legalizes("Unpack")
def _unpack(op: TfOp):
    rank = len(static_shape(op.operands[0].type))
    return emit_multi(
        "unpack",
        [op.operands[0]],
        [r.type for r in op.results],
        num=len(op.results),
        axis=normalize_axis(op.attr("axis", 0), rank),
    )


@legalizes("Split")
def _split(op: TfOp):
    axis = op.require_const(0, "split axis")
    return emit_multi(
        "split",
        [i32(np.asarray(axis).reshape(())), op.operands[1]],
        [r.type for r in op.results],
        num_splits=len(op.results),
    )


@legalizes("SplitV")
def _split_v(op: TfOp):
    sizes = op.require_const(1, "split sizes")
    axis = op.require_const(2, "split axis")
    return emit_multi(
        "split_v",
        [op.operands[0], i32(sizes), i32(np.asarray(axis).reshape(()))],
        [r.type for r in op.results],
        num_splits=len(op.results),
    )


@legalizes("Slice")
def _slice(op: TfOp):
    begin = op.require_const(1, "slice begin")
    size = op.require_const(2, "slice size")
    return [emit("slice", [op.operands[0], i32(begin), i32(size)], op.result_type)]


@legalizes("StridedSlice")
def _strided_slice(op: TfOp):
    begin = op.require_const(1, "begin")
    end = op.require_const(2, "end")
    strides = op.require_const(3, "strides")
    masks = {
        k: op.attr(k, 0)
        for k in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")
    }
    x = op.operands[0]
    rank = len(static_shape(x.type) or [])
    if masks["ellipsis_mask"] or masks["new_axis_mask"]:
        b, e, s, bm, em, sm = _expand_spec(rank, begin, end, strides, masks)
        shape = _sliced_shape(static_shape(x.type), b, e, s, bm, em, sm)
        sliced = emit(
            "strided_slice",
            [x, i32(b), i32(e), i32(s)],
            with_shape(shape, element_of(x.type)),
            begin_mask=bm,
            end_mask=em,
            shrink_axis_mask=sm,
        )
        return [reshape_to(sliced, op.result_type)]
    return [
        emit(
            "strided_slice",
            [x, i32(begin), i32(end), i32(strides)],
            op.result_type,
            begin_mask=masks["begin_mask"],
            end_mask=masks["end_mask"],
            shrink_axis_mask=masks["shrink_axis_mask"],
        )
    ]


def _expand_spec(rank, begin, end, strides, masks):
    """The slice spec over every input dim, with ellipsis expanded and new axes dropped."""
    n = len(begin)
    ellipsis, new_axis = masks["ellipsis_mask"], masks["new_axis_mask"]
    consumed = sum(1 for i in range(n) if not (ellipsis >> i) & 1 and not (new_axis >> i) & 1)
    b, e, s, bm, em, sm = [], [], [], 0, 0, 0
    for i in range(n):
        if (ellipsis >> i) & 1:
            for _ in range(rank - consumed):
                d = len(b)
                b.append(0), e.append(0), s.append(1)
                bm, em = bm | 1 << d, em | 1 << d
        elif (new_axis >> i) & 1:
            continue
        else:
            d = len(b)
            b.append(int(begin[i])), e.append(int(end[i])), s.append(int(strides[i]))
            bm |= ((masks["begin_mask"] >> i) & 1) << d
            em |= ((masks["end_mask"] >> i) & 1) << d
            sm |= ((masks["shrink_axis_mask"] >> i) & 1) << d
    while len(b) < rank:
        d = len(b)
        b.append(0), e.append(0), s.append(1)
        bm, em = bm | 1 << d, em | 1 << d
    return b, e, s, bm, em, sm


def _sliced_shape(shape, b, e, s, bm, em, sm):
    out = []
    for d, dim in enumerate(shape):
        if (sm >> d) & 1:
            continue
        if dim < 0:
            out.append(-1)
            continue
        start = None if (bm >> d) & 1 else b[d]
        stop = None if (em >> d) & 1 else e[d]
        out.append(len(range(dim)[slice(start, stop, s[d])]))
    return out


@legalizes("GatherV2", "Gather")
def _gather(op: TfOp):
    axis = int(op.const(2)) if len(op.operands) > 2 else 0
    rank = len(static_shape(op.operands[0].type))
    return [
        emit(
            "gather",
            op.operands[:2],
            op.result_type,
            axis=normalize_axis(axis, rank),
            batch_dims=op.attr("batch_dims", 0),
        )
    ]


@legalizes("Pad", "PadV2", "MirrorPad")
def _pad(op: TfOp):
    pads = i32(op.require_const(1, "paddings"))
    x = op.operands[0]
    if op.type == "MirrorPad":
        return [emit("mirror_pad", [x, pads], op.result_type, mode=op.attr("mode"))]
    if op.type == "PadV2":
        value = op.const(2)
        if value is None or float(value) != 0.0:
            return [emit("padv2", [x, pads, op.operands[2]], op.result_type)]
    return [emit("pad", [x, pads], op.result_type)]


@legalizes("Tile")
def _tile(op: TfOp):
    multiples = op.const(1)
    m = i32(multiples) if multiples is not None else op.operands[1]
    return [emit("tile", [op.operands[0], m], op.result_type)]


@legalizes("Fill")
def _fill(op: TfOp):
    dims = op.const(0)
    d = i32(dims) if dims is not None else op.operands[0]
    return [emit("fill", [d, op.operands[1]], op.result_type)]


@legalizes("Shape")
def _shape(op: TfOp):
    out = str(element_of(op.result_type))
    return [
        emit("shape", op.operands, op.result_type, out_type="INT64" if out == "i64" else "INT32")
    ]


@legalizes("Range")
def _range(op: TfOp):
    return [emit("range", op.operands, op.result_type)]


@legalizes("ReverseV2")
def _reverse(op: TfOp):
    axis = op.require_const(1, "axis")
    return [emit("reverse_v2", [op.operands[0], i32(np.asarray(axis).reshape(-1))], op.result_type)]


@legalizes("BroadcastTo")
def _broadcast_to(op: TfOp):
    shape = op.const(1)
    s = i32(shape) if shape is not None else op.operands[1]
    return [emit("broadcast_to", [op.operands[0], s], op.result_type)]


@legalizes("BroadcastArgs")
def _broadcast_args(op: TfOp):
    return [emit("broadcast_args", op.operands, op.result_type)]


@legalizes("Roll")
def _roll(op: TfOp):
    """A roll by constant shifts: per axis, the last `shift` elements moved to the front
    (two slices and a concatenation, as TensorFlow's converter writes it)."""
    x = op.operands[0]
    shape = static_shape(x.type)
    if shape is None or any(d < 0 for d in shape):
        raise Unsupported("the input shape must be static")
    shifts = np.asarray(op.require_const(1, "shift")).reshape(-1)
    axes = np.asarray(op.require_const(2, "axis")).reshape(-1)
    if shifts.size != axes.size:
        raise Unsupported("shift and axis of different lengths")
    total = {}
    for shift, axis in zip(shifts, axes, strict=True):
        axis = normalize_axis(int(axis), len(shape))
        total[axis] = total.get(axis, 0) + int(shift)  # repeated axes add up, as in TensorFlow
    for axis, shift in sorted(total.items()):
        shift %= max(shape[axis], 1)
        if shift:
            x = _roll_axis(x, shape, axis, shift)
    return [x]


def _roll_axis(x, shape: list[int], axis: int, shift: int):
    parts = []
    for start, size in ((shape[axis] - shift, shift), (0, shape[axis] - shift)):
        begin, sizes = [0] * len(shape), list(shape)
        begin[axis], sizes[axis] = start, size
        parts.append(
            emit("slice", [x, i32(begin), i32(sizes)], with_shape(sizes, element_of(x.type)))
        )
    return emit(
        "concatenation",
        parts,
        with_shape(shape, element_of(x.type)),
        axis=axis,
        fused_activation_function="NONE",
    )
