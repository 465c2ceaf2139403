"""Lowering of REDUCE_WINDOW (kernels/reduce_window.c): the window shape, strides and
dilations are compile-time constants (the verifier's shape function checked the output's
shape); each output element folds its window from the scalar
init value, in row-major window order, as runtime/kernels/stablehlo_reduce.py folds it."""

from __future__ import annotations

import numpy as np
from tflc.backends.mcu.lowering import Lowering
from tflc.backends.mcu.ops_any_type import TYPE_CODES
from tflc.backends.mcu.ops_common import struct
from tflc.runtime.kernels.stablehlo_reduce import WINDOW_FUNCTIONS

# the interpreter's functions, by their C enum names (kernels/reduce_window.h)
_FUNCTION_CODES = {name: f"TFLC_WINDOW_{name}" for name in WINDOW_FUNCTIONS}
_RANK = 6


def _padded(values, fill: int) -> str:
    return struct([fill] * (_RANK - len(values)) + [int(v) for v in values])


def _reduce_window(lw: Lowering) -> None:
    x, init, y = lw.operand(0), lw.operand(1), lw.result()
    function = lw.attr("reduce_function")
    if function not in _FUNCTION_CODES:
        raise lw.fail(f"reduce function {function} is not supported")
    if x.scale is not None or x.dtype not in TYPE_CODES:
        kind = f"quantized {x.dtype}" if x.scale is not None else x.dtype
        raise lw.fail(f"reduce_window of {kind} has no MCU kernel")
    if len(x.shape) > _RANK:
        raise lw.fail(f"reduce_window over {len(x.shape)} dimensions (at most {_RANK})")
    if init.size != 1 or init.dtype != x.dtype:
        raise lw.fail("the init value must be one element of the input's type")
    window, strides, dilations = (
        [int(v) for v in np.asarray(lw.const(lw.operand(i))).reshape(-1)] for i in (2, 3, 4)
    )
    rank = len(x.shape)
    if not len(window) == len(strides) == len(dilations) == rank:
        raise lw.fail(f"window, strides and dilations must each have {rank} values")
    if min(window + strides + dilations, default=1) < 1:
        raise lw.fail("window sizes, strides and dilations must be positive")
    fields = [
        _padded(x.shape, 1),
        _padded(y.shape, 1),
        _padded(window, 1),
        _padded(strides, 1),
        _padded(dilations, 1),
        TYPE_CODES[x.dtype],
        _FUNCTION_CODES[function],
    ]
    params = lw.param("params", "tflc_reduce_window_params", struct(fields))
    lw.emit(
        "reduce_window",
        f"tflc_reduce_window(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{init.id}}}, {{t:{y.id}}})",
        [x, init],
        [y],
        [params],
    )


HANDLERS = {"tfl.reduce_window": _reduce_window}
