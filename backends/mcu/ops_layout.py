"""Lowerings of layout ops: DEPTH_TO_SPACE, SPACE_TO_DEPTH, PACK, UNPACK, REVERSE_V2,
BROADCAST_TO (strided copies and concatenation: loops, no tables) and MIRROR_PAD (a small index
table per axis, from the interpreter's own kernel)."""

from __future__ import annotations

import numpy as np
from tflc.backends.mcu.lowering import Lowering
from tflc.backends.mcu.ops_common import contiguous_strides, nhwc, struct
from tflc.backends.mcu.ops_data import concat_blocks, strided_copy
from tflc.runtime.kernels.standalone import TensorSpec, run_builtin, standalone_node


def _depth_to_space(lw: Lowering) -> None:
    """out[n, h*b + i, w*b + j, c] = in[n, h, w, (i*b + j)*C + c]: in viewed as
    [n, h, w, i, j, c], read in the order [n, h, i, w, j, c]."""
    x, y, b = lw.operand(0), lw.result(), lw.attr("block_size")
    n, h, w, c = nhwc(x.shape)
    s = contiguous_strides((n, h, w, b, b, c // (b * b)))
    order = (0, 1, 3, 2, 4, 5)
    shape = (n, h, b, w, b, c // (b * b))
    strided_copy(lw, x, y, shape, [s[k] for k in order], 0)


def _space_to_depth(lw: Lowering) -> None:
    """out[n, h, w, (i*b + j)*C + c] = in[n, h*b + i, w*b + j, c]: in viewed as
    [n, h, i, w, j, c], read in the order [n, h, w, i, j, c]."""
    x, y, b = lw.operand(0), lw.result(), lw.attr("block_size")
    n, h, w, c = nhwc(x.shape)
    s = contiguous_strides((n, h // b, b, w // b, b, c))
    order = (0, 1, 3, 2, 4, 5)
    strided_copy(lw, x, y, [n, h // b, w // b, b, b, c], [s[k] for k in order], 0)


def _pack(lw: Lowering) -> None:
    xs = [lw.operand(i) for i in range(len(lw.op.operands))]
    y = lw.result()
    concat_blocks(lw, xs, y, lw.attr("axis") % len(y.shape))


def _unpack(lw: Lowering) -> None:
    x = lw.operand(0)
    axis = lw.attr("axis") % len(x.shape)
    strides = contiguous_strides(x.shape)
    kept = [k for k in range(len(x.shape)) if k != axis]
    for i in range(len(lw.op.results)):
        y = lw.result(i)
        shape, in_strides = [x.shape[k] for k in kept], [strides[k] for k in kept]
        strided_copy(lw, x, y, shape, in_strides, i * strides[axis])


def _reverse_v2(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    axes = {int(a) % len(x.shape) for a in np.ravel(lw.const(lw.operand(1)))}
    strides = contiguous_strides(x.shape)
    offset = sum((x.shape[k] - 1) * strides[k] for k in axes)
    in_strides = [-s if k in axes else s for k, s in enumerate(strides)]
    strided_copy(lw, x, y, x.shape, in_strides, offset)


def _broadcast_to(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    shape = (1,) * (len(y.shape) - len(x.shape)) + tuple(x.shape)
    strides = contiguous_strides(shape)
    in_strides = [
        0 if d == 1 and o != 1 else s for d, o, s in zip(shape, y.shape, strides, strict=True)
    ]
    strided_copy(lw, x, y, y.shape, in_strides, 0)


def _mirror_index(size: int, before: int, after: int, mode: str) -> list[int]:
    """Which input position each padded position reads along one axis: the interpreter's
    MIRROR_PAD kernel run on the positions themselves."""
    out = size + before + after
    node = standalone_node(
        "MIRROR_PAD",
        [TensorSpec((size,), "INT32"), TensorSpec((1, 2), "INT32")],
        [TensorSpec((out,), "INT32")],
        {"mode": mode},
    )
    pads = np.array([[before, after]], dtype=np.int32)
    return [int(i) for i in run_builtin(node, np.arange(size, dtype=np.int32), pads)[0]]


def _mirror_pad(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    pads = np.asarray(lw.const(lw.operand(1))).reshape(-1, 2).tolist()
    if len(x.shape) > 8:
        raise lw.fail("mirror_pad over more than 8 dimensions is not supported")
    extra = 8 - len(x.shape)
    index = [0] * extra
    for size, (before, after) in zip(x.shape, pads, strict=True):
        index += _mirror_index(size, int(before), int(after), lw.attr("mode"))
    table = lw.param("index", "int32_t", index)
    out8 = [1] * extra + list(y.shape)
    strides8 = [0] * extra + contiguous_strides(x.shape)
    fields = [struct(out8), struct(strides8), np.dtype(x.dtype).itemsize, table.name]
    params = lw.param("params", "tflc_axis_gather_params", struct(fields))
    lw.emit(
        "data_movement",
        f"tflc_axis_gather(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [table, params],
    )


HANDLERS = {
    "tfl.depth_to_space": _depth_to_space,
    "tfl.space_to_depth": _space_to_depth,
    "tfl.pack": _pack,
    "tfl.unpack": _unpack,
    "tfl.reverse_v2": _reverse_v2,
    "tfl.broadcast_to": _broadcast_to,
    "tfl.mirror_pad": _mirror_pad,
}
