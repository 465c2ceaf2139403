"""Lowerings of block and diagonal layout ops as strided copies (kernels/data_movement.c):
SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND, MATRIX_DIAG, MATRIX_SET_DIAG, DILATE. Where an op pads or
crops, a scratch tensor in the arena holds the padded or uncropped view between two copies."""

from __future__ import annotations

import numpy as np
from tflc.backends.mcu.lowering import Lowering
from tflc.backends.mcu.ops_common import contiguous_strides, struct
from tflc.backends.mcu.ops_data import strided_copy
from tflc.backends.mcu.ops_logic import fill_with
from tflc.backends.mcu.program import Tensor


def scratch_tensor(lw: Lowering, shape, like: Tensor) -> Tensor:
    """An arena tensor no model value names, typed like `like`."""
    tid = len(lw.tensors)
    t = Tensor(
        tid, f"t{tid}", tuple(int(d) for d in shape), like.dtype, like.scale, like.zero_point
    )
    t.origin = f"scratch of {lw.op.name}"
    lw.tensors[tid] = t
    return t


def _strided_scatter(lw: Lowering, x: Tensor, y: Tensor, shape, out_strides, offset: int) -> None:
    """y[offset + sum(i_k * out_strides[k])] = x[i] over `shape` (y filled before: read too)."""
    if len(shape) > 8:
        raise lw.fail("data movement over more than 8 dimensions is not supported")
    extra = 8 - len(shape)
    fields = [
        struct([1] * extra + [int(d) for d in shape]),
        struct([0] * extra + [int(s) for s in out_strides]),
        int(offset),
        np.dtype(y.dtype).itemsize,
    ]
    params = lw.param("params", "tflc_strided_copy_params", struct(fields))
    lw.emit(
        "data_movement",
        f"tflc_strided_scatter(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x, y],
        [y],
        [params],
    )


def _copy_into(lw: Lowering, x: Tensor, y: Tensor) -> None:
    lw.emit(
        "data_movement",
        f"tflc_copy({x.nbytes}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        overlap=0,
    )


def _space_to_batch_nd(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    block = [int(b) for b in np.ravel(lw.const(lw.operand(1)))]
    pads = np.asarray(lw.const(lw.operand(2))).reshape(-1, 2).tolist()
    m = len(block)
    padded_shape = [x.shape[0]] + [x.shape[1 + i] + sum(pads[i]) for i in range(m)]
    padded_shape += list(x.shape[1 + m :])
    source = x
    if any(p for pair in pads for p in pair):
        # LiteRT pads a quantized tensor with its zero point
        source = scratch_tensor(lw, padded_shape, x)
        fill_with(lw, source, np.array(x.zero_point if x.scale is not None else 0))
        strides = contiguous_strides(padded_shape)
        offset = sum(int(pads[i][0]) * strides[1 + i] for i in range(m))
        _strided_scatter(lw, x, source, x.shape, strides, offset)
    # padded [n, s0/b0, b0, s1/b1, b1, ..., rest] read as [b0, b1, ..., n, s0/b0, s1/b1, ..., rest]
    view = [padded_shape[0]]
    for i in range(m):
        view += [padded_shape[1 + i] // block[i], block[i]]
    view += padded_shape[1 + m :]
    strides = contiguous_strides(view)
    order = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)]
    order += list(range(1 + 2 * m, len(view)))
    strided_copy(lw, source, y, [view[k] for k in order], [strides[k] for k in order], 0)


def _batch_to_space_nd(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    block = [int(b) for b in np.ravel(lw.const(lw.operand(1)))]
    crops = np.asarray(lw.const(lw.operand(2))).reshape(-1, 2).tolist()
    m = len(block)
    n = x.shape[0] // int(np.prod(block))
    spatial, rest = list(x.shape[1 : 1 + m]), list(x.shape[1 + m :])
    # x as [b0, b1, ..., n, s0, s1, ..., rest] read as [n, s0, b0, s1, b1, ..., rest]
    view = block + [n] + spatial + rest
    strides = contiguous_strides(view)
    order = [m]
    for i in range(m):
        order += [m + 1 + i, i]
    order += list(range(1 + 2 * m, len(view)))
    full_shape = [n] + [s * b for s, b in zip(spatial, block, strict=True)] + rest
    cropped = any(c for pair in crops for c in pair)
    target = scratch_tensor(lw, full_shape, x) if cropped else y
    strided_copy(lw, x, target, [view[k] for k in order], [strides[k] for k in order], 0)
    if cropped:
        full_strides = contiguous_strides(full_shape)
        offset = sum(int(crops[i][0]) * full_strides[1 + i] for i in range(m))
        strided_copy(lw, target, y, y.shape, full_strides, offset)


def _diagonal(lw: Lowering, y: Tensor, diag: Tensor, rows: int, cols: int) -> None:
    """y[..., i, i] = diag[..., i] for i < min(rows, cols), the batch dims in front."""
    batch = y.size // (rows * cols)
    n = min(rows, cols)
    _strided_scatter(lw, diag, y, [batch, n], [rows * cols, cols + 1], 0)


def _matrix_diag(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    fill_with(lw, y, np.array(y.zero_point if y.scale is not None else 0))
    _diagonal(lw, y, x, y.shape[-2], y.shape[-1])


def _matrix_set_diag(lw: Lowering) -> None:
    x, diag, y = lw.operand(0), lw.operand(1), lw.result()
    _copy_into(lw, x, y)
    _diagonal(lw, y, diag, y.shape[-2], y.shape[-1])


def _dilate(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    dilations = [int(d) for d in np.ravel(lw.const(lw.operand(1)))]
    fill_with(lw, y, np.ravel(lw.const(lw.operand(2)))[0])
    strides = contiguous_strides(y.shape)
    _strided_scatter(lw, x, y, x.shape, [s * d for s, d in zip(strides, dilations, strict=True)], 0)


HANDLERS = {
    "tfl.space_to_batch_nd": _space_to_batch_nd,
    "tfl.batch_to_space_nd": _batch_to_space_nd,
    "tfl.matrix_diag": _matrix_diag,
    "tfl.matrix_set_diag": _matrix_set_diag,
    "tfl.dilate": _dilate,
}
