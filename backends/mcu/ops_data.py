"""Lowerings of data movement and reductions: aliases, concatenation, padding, slicing, gathers,
resizing, MEAN / SUM / REDUCE_MAX / REDUCE_MIN, ARG_MAX / ARG_MIN.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.mcu import quantization as qz
from tflc.backends.mcu.lowering import Lowering
from tflc.backends.mcu.ops_any_type import TYPE_CODES
from tflc.backends.mcu.ops_common import contiguous_strides, float_literal, nhwc, struct
from tflc.backends.mcu.program import Tensor
from tflc.runtime.kernels.quant_math import quantize_multiplier_int, tflite_round


def _alias(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    lw.aliases[y.id] = lw.aliases.get(x.id, x.id)


def _densify(lw: Lowering) -> None:
    """Reached only for a run-time tensor: lowering.py densifies sparse constants (the one form
    LiteRT's DENSIFY takes) at compile time."""
    raise lw.fail(
        "op 'tfl.densify' has no MCU kernel for a run-time tensor: only sparse constants are "
        "densified, at compile time"
    )


def _concatenation(lw: Lowering) -> None:
    xs = [lw.operand(i) for i in range(len(lw.op.operands))]
    y = lw.result()
    if lw.attr("fused_activation_function") != "NONE":
        raise lw.fail("concatenation with a fused activation is not supported")
    concat_blocks(lw, xs, y, lw.attr("axis") % len(y.shape))


def concat_blocks(lw: Lowering, xs: list[Tensor], y: Tensor, axis: int) -> None:
    """Each output row before `axis` holds every input's block from `axis` on, in order
    (CONCATENATION, and PACK with the inputs' shape lacking the axis)."""
    if y.dtype == "int8" and any((x.scale, x.zero_point) != (y.scale, y.zero_point) for x in xs):
        raise lw.fail(f"int8 {lw.op.name} of inputs with differing quantization is not supported")
    outer = int(np.prod(y.shape[:axis], dtype=np.int64))
    elem = np.dtype(y.dtype).itemsize
    inner = [int(np.prod(x.shape[axis:], dtype=np.int64)) * elem for x in xs]
    pin = lw.param("inner_bytes", "int32_t", inner)
    ptrs = ", ".join(f"{{t:{x.id}}}" for x in xs)
    lw.emit(
        "data_movement",
        f"{{ const void *const srcs[{len(xs)}] = {{{ptrs}}}; "
        f"tflc_concat({outer}, {len(xs)}, srcs, {{p:{pin.name}}}, {{t:{y.id}}}); }}",
        xs,
        [y],
        [pin],
    )


def _pad(lw: Lowering) -> None:
    x, paddings, y = lw.operand(0), lw.operand(1), lw.result()
    pads = np.asarray(lw.const(paddings)).reshape(-1, 2)
    if len(x.shape) > 4:
        raise lw.fail("padding more than 4 dimensions is not supported")
    extra = 4 - len(x.shape)
    in4 = (1,) * extra + tuple(x.shape)
    out4 = (1,) * extra + tuple(y.shape)
    before = [0] * extra + [int(p) for p in pads[:, 0]]
    if lw.op.name == "tfl.padv2" and lw.operand(2) is not None:
        value = np.ravel(lw.const(lw.operand(2)))[0]
    else:
        value = y.zero_point if y.dtype == "int8" else 0
    elem = np.dtype(y.dtype).itemsize
    value_bytes = list(np.array([value], dtype=y.dtype).view(np.uint8))
    pv = lw.param("pad_value", "uint8_t", [int(v) for v in value_bytes])
    params = lw.param(
        "params", "tflc_pad_params", struct([struct(in4), struct(out4), struct(before), elem])
    )
    lw.emit(
        "data_movement",
        f"tflc_pad(&{{p:{params.name}}}, {{t:{x.id}}}, {{p:{pv.name}}}, {{t:{y.id}}})",
        [x],
        [y],
        [pv, params],
    )


def strided_copy(lw: Lowering, x: Tensor, y: Tensor, shape, strides, offset: int) -> None:
    if len(shape) > 8:
        raise lw.fail("data movement over more than 8 dimensions is not supported")
    shape8 = [1] * (8 - len(shape)) + [int(d) for d in shape]
    # a dimension of one element never steps (its stride may be a slice's huge step)
    strides8 = [0] * (8 - len(strides)) + [
        int(s) if n > 1 else 0 for s, n in zip(strides, shape, strict=True)
    ]
    if any(abs(v) >= 1 << 31 for v in [*strides8, int(offset)]):
        raise lw.fail(f"strides {strides8[8 - len(shape) :]} do not fit the kernel's int32 steps")
    params = lw.param(
        "params",
        "tflc_strided_copy_params",
        struct([struct(shape8), struct(strides8), int(offset), np.dtype(x.dtype).itemsize]),
    )
    lw.emit(
        "data_movement",
        f"tflc_strided_copy(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [params],
    )


def _transpose(lw: Lowering) -> None:
    x, perm_t, y = lw.operand(0), lw.operand(1), lw.result()
    perm = [int(p) % len(x.shape) for p in np.ravel(lw.const(perm_t))]
    strides = contiguous_strides(x.shape)
    strided_copy(lw, x, y, [x.shape[p] for p in perm], [strides[p] for p in perm], 0)


def _strided_slice(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    begin, end, step = (np.ravel(lw.const(lw.operand(i))).tolist() for i in (1, 2, 3))
    if lw.attr("ellipsis_mask") or lw.attr("new_axis_mask"):
        raise lw.fail("strided_slice with ellipsis or new axes is not supported")
    masks = {k: lw.attr(k) for k in ("begin_mask", "end_mask", "shrink_axis_mask")}
    offset_mode = bool(lw.attr("offset")) if "offset" in lw.op.attributes else False
    strides = contiguous_strides(x.shape)
    shape, in_strides, offset = [], [], 0
    for i, dim in enumerate(x.shape):
        b, e, s = (begin[i], end[i], step[i]) if i < len(begin) else (0, dim, 1)
        if offset_mode:
            e = b + e
        lo, hi = (0, dim) if s > 0 else (-1, dim - 1)
        if masks["begin_mask"] >> i & 1:
            b = 0 if s > 0 else dim - 1
        else:
            b = min(max(b + dim if b < 0 else b, lo), hi)
        if masks["shrink_axis_mask"] >> i & 1:
            e, s = b + 1, 1
        elif masks["end_mask"] >> i & 1:
            e = dim if s > 0 else -1
        else:
            e = min(max(e + dim if e < 0 else e, lo), hi)
        count = max(0, -(-(e - b) // s))
        shape.append(count)
        in_strides.append(strides[i] * s)
        offset += b * strides[i]
    if int(np.prod(shape)) != y.size:
        raise lw.fail(f"strided_slice computed shape {shape}, the IR says {list(y.shape)}")
    strided_copy(lw, x, y, shape, in_strides, offset)


def _slice(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    begin = np.ravel(lw.const(lw.operand(1))).tolist()
    strides = contiguous_strides(x.shape)
    strided_copy(
        lw, x, y, y.shape, strides, sum(b * s for b, s in zip(begin, strides, strict=True))
    )


def _split(lw: Lowering, sizes_operand: bool = False) -> None:
    if sizes_operand:  # split_v(input, size_splits, axis)
        x, axis_t = lw.operand(0), lw.operand(2)
    else:  # split(axis, input)
        axis_t, x = lw.operand(0), lw.operand(1)
    axis = int(np.ravel(lw.const(axis_t))[0]) % len(x.shape)
    strides = contiguous_strides(x.shape)
    at = 0
    for k in range(len(lw.op.results)):
        y = lw.result(k)
        strided_copy(lw, x, y, y.shape, strides, at * strides[axis])
        at += y.shape[axis]


def _tile(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    multiples = np.ravel(lw.const(lw.operand(1))).tolist()
    strides = contiguous_strides(x.shape)
    shape, in_strides = [], []
    for m, d, s in zip(multiples, x.shape, strides, strict=True):
        shape += [m, d]
        in_strides += [0, s]
    strided_copy(lw, x, y, shape, in_strides, 0)


def _gather(lw: Lowering) -> None:
    x, idx_t, y = lw.operand(0), lw.operand(1), lw.result()
    if lw.attr("batch_dims"):
        raise lw.fail("gather with batch_dims is not supported")
    axis = lw.attr("axis") % len(x.shape)
    outer = int(np.prod(x.shape[:axis], dtype=np.int64))
    inner = int(np.prod(x.shape[axis + 1 :], dtype=np.int64)) * np.dtype(x.dtype).itemsize
    if idx_t.data is None and idx_t.id not in lw.aliases:  # indices computed at run time
        if idx_t.dtype != "int32":
            raise lw.fail(f"gather with {idx_t.dtype} indices computed at run time")
        lw.emit(
            "data_movement",
            f"tflc_gather({outer}, {x.shape[axis]}, {inner}, {idx_t.size}, {{t:{idx_t.id}}}, "
            f"{{t:{x.id}}}, {{t:{y.id}}})",
            [x, idx_t],
            [y],
        )
        return
    indices = [int(i) % x.shape[axis] for i in np.ravel(lw.const(idx_t))]
    table = lw.param("indices", "int32_t", indices)
    lw.emit(
        "data_movement",
        f"tflc_gather({outer}, {x.shape[axis]}, {inner}, {len(indices)}, {{p:{table.name}}}, "
        f"{{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [table],
    )


def _nearest_source(out_size: int, in_size: int, align_corners: bool, half_pixel: bool) -> list:
    """reference_ops GetNearestNeighbor for every output index, in float32 as TFLite does."""
    f = np.float32
    if align_corners and out_size > 1:
        scale = f(in_size - 1) / f(out_size - 1)
    else:
        scale = f(in_size) / f(out_size)
    offset = f(0.5) if half_pixel else f(0.0)
    result = []
    for i in range(out_size):
        value = (f(i) + offset) * scale
        index = int(tflite_round(float(value))) if align_corners else int(np.floor(value))
        index = min(index, in_size - 1)
        result.append(max(0, index) if half_pixel else index)
    return result


def _resize(lw: Lowering, kind: str) -> None:
    x, y = lw.operand(0), lw.result()
    n, ih, iw, c = nhwc(x.shape)
    _, oh, ow, _ = nhwc(y.shape)
    align, half = bool(lw.attr("align_corners")), bool(lw.attr("half_pixel_centers"))
    if kind == "nearest":
        rows = lw.param("rows", "int32_t", _nearest_source(oh, ih, align, half))
        cols = lw.param("cols", "int32_t", _nearest_source(ow, iw, align, half))
        pixel = c * np.dtype(x.dtype).itemsize
        lw.emit(
            "resize_s8",
            f"tflc_resize_nearest({n}, {ih}, {iw}, {oh}, {ow}, {pixel}, {{p:{rows.name}}}, "
            f"{{p:{cols.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
            [rows, cols],
        )
        return
    if x.dtype == "float32":
        f = np.float32

        def scale(i: int, o: int) -> str:
            s = f(i - 1) / f(o - 1) if align and o > 1 else f(i) / f(o)
            return float_literal(s)

        fields = [n, ih, iw, c, oh, ow, scale(ih, oh), scale(iw, ow), int(half)]
        params = lw.param("params", "tflc_resize_bilinear_f32_params", struct(fields))
        lw.emit(
            "resize_f32",
            f"tflc_resize_bilinear_f32(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
            [params],
        )
        return
    if x.dtype != "int8" or (x.scale, x.zero_point) != (y.scale, y.zero_point):
        raise lw.fail("only int8 resize_bilinear with equal in/out quantization is supported")

    def scale_10(i: int, o: int) -> int:
        if align and o > 1:
            return ((1 << 10) * (i - 1) + (o - 1) // 2) // (o - 1)
        return ((1 << 10) * i + o // 2) // o

    fields = [n, ih, iw, c, oh, ow, scale_10(ih, oh), scale_10(iw, ow), int(half)]
    params = lw.param("params", "tflc_resize_bilinear_s8_params", struct(fields))
    lw.emit(
        "resize_s8",
        f"tflc_resize_bilinear_s8(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [params],
    )


MAX_SUM_TABLE = 16384


def _reduce_view(lw: Lowering, x: Tensor, axes: list[int]) -> tuple[int, int, int]:
    rank = len(x.shape)
    axes = sorted({a % rank for a in axes})
    if axes != list(range(axes[0], axes[-1] + 1)):
        raise lw.fail(f"reduction over non-adjacent axes {axes} is not supported")
    outer = int(np.prod(x.shape[: axes[0]], dtype=np.int64))
    reduced = int(np.prod(x.shape[axes[0] : axes[-1] + 1], dtype=np.int64))
    inner = int(np.prod(x.shape[axes[-1] + 1 :], dtype=np.int64))
    return outer, reduced, inner


def _mean(lw: Lowering, kind: str = "mean") -> None:
    x, axis_t, y = lw.operand(0), lw.operand(1), lw.result()
    axes = [int(a) for a in np.ravel(lw.const(axis_t))]
    outer, reduced, inner = _reduce_view(lw, x, axes)
    if x.dtype == "float32":
        mode = {"mean": 0, "sum": 1, "max": 2, "min": 3}[kind]
        params = lw.param("params", "tflc_reduce_f32_params", struct([outer, reduced, inner, mode]))
        lw.emit(
            "reduce_f32",
            f"tflc_reduce_f32(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
            [params],
        )
        return
    if x.dtype != "int8" or x.scale is None or y.scale is None:
        raise lw.fail(f"{lw.op.name} of {x.dtype} has no MCU kernel")
    rank = len(x.shape)
    norm = sorted(a % rank for a in axes)
    keep_dims = lw.attr("keep_dims")
    mult, shift = quantize_multiplier_int(x.scale / y.scale)
    if kind in ("max", "min"):
        mode = 3 if kind == "max" else 5
    elif kind == "sum":
        if 255 * reduced + 1 > MAX_SUM_TABLE:
            raise lw.fail(f"int8 sum over {reduced} elements is not supported (table too large)")
        mode = 4
    elif keep_dims and rank == 4 and len(axes) == 2 and norm == [1, 2]:
        mode = 2
    elif x.scale == y.scale and x.zero_point == y.zero_point:
        mode = 0
    else:
        mode = 1
        s = min(reduced.bit_length() - 1, 32, 31 + shift)
        mult = (mult << s) // reduced
        shift -= s
    table_name = "0"
    params_list = []
    if mode == 4:
        table = lw.param(
            "sum_table",
            "int8_t",
            qz.quantized_sum_table(x.scale, x.zero_point, y.scale, y.zero_point, reduced),
        )
        table_name = table.name
        params_list.append(table)
    params = lw.param(
        "params",
        "tflc_mean_s8_params",
        struct([outer, reduced, inner, mode, x.zero_point, y.zero_point, mult, shift, table_name]),
    )
    params_list.append(params)
    lw.emit(
        "mean_s8",
        f"tflc_mean_s8(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        params_list,
    )


def _arg_minmax(lw: Lowering, is_min: bool) -> None:
    x, y = lw.operand(0), lw.result()
    if x.dtype not in ("float32", "int8", "int32") or y.dtype not in ("int32", "int64"):
        raise lw.fail(f"{lw.op.name} of {x.dtype} to {y.dtype} has no MCU kernel")
    outer, reduced, inner = _reduce_view(lw, x, np.ravel(lw.const(lw.operand(1))).tolist())
    fields = [outer, reduced, inner, TYPE_CODES[x.dtype], int(is_min), TYPE_CODES[y.dtype]]
    params = lw.param("params", "tflc_arg_minmax_params", struct(fields))
    lw.emit(
        "arg_minmax",
        f"tflc_arg_minmax(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [params],
    )
