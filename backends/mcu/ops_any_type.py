"""Lowerings of elementwise ops over any element type: comparisons, LOGICAL_AND / _OR / _NOT,
SELECT / SELECT_V2, CAST and int32 arithmetic (kernels/elementwise_any.c). Bool tensors are one
byte, 0 or 1."""

from __future__ import annotations

from tflc.backends.mcu.lowering import Lowering
from tflc.backends.mcu.ops_common import struct
from tflc.backends.mcu.program import Tensor

TYPE_CODES = {
    "float32": "TFLC_TYPE_F32",
    "int32": "TFLC_TYPE_S32",
    "int64": "TFLC_TYPE_S64",
    "int8": "TFLC_TYPE_S8",
    "uint8": "TFLC_TYPE_U8",
    "bool": "TFLC_TYPE_BOOL",
}
INT32_MIN, INT32_MAX = "(-2147483647 - 1)", "2147483647"
INT32_ACTIVATIONS = {  # CalculateActivationRange<int32_t>
    "NONE": (INT32_MIN, INT32_MAX),
    "RELU": (0, INT32_MAX),
    "RELU6": (0, 6),
    "RELU_N1_TO_1": (-1, 1),
}


def broadcast_strides(shape: tuple[int, ...], out4: tuple[int, ...]) -> list[int]:
    """Element strides of `shape` read at each position of the 4-D `out4` (0 where broadcast)."""
    shape4 = (1,) * (4 - len(shape)) + tuple(shape)
    strides, acc = [0] * 4, 1
    for i in range(3, -1, -1):
        strides[i] = 0 if shape4[i] == 1 and out4[i] != 1 else acc
        acc *= shape4[i]
    return strides


def out4_of(lw: Lowering, y: Tensor) -> tuple[int, ...]:
    if len(y.shape) > 4:
        raise lw.fail("elementwise ops over more than 4 dimensions are not supported")
    return (1,) * (4 - len(y.shape)) + tuple(y.shape)


def _broadcast_param(lw: Lowering, operands: list[Tensor], y: Tensor, strides=None):
    out4 = out4_of(lw, y)
    strides = strides or [broadcast_strides(t.shape, out4) for t in operands]
    strides += [[0] * 4] * (3 - len(strides))
    fields = [struct(out4), struct([struct(s) for s in strides])]
    return lw.param("broadcast", "tflc_broadcast4", struct(fields))


def _plain(lw: Lowering, t: Tensor, what: str) -> None:
    if t.dtype not in TYPE_CODES or t.scale is not None:
        kind = f"quantized {t.dtype}" if t.scale is not None else t.dtype
        raise lw.fail(f"{what} of {kind} has no MCU kernel")


def _compare(lw: Lowering, op: str) -> None:
    a, b, y = lw.operand(0), lw.operand(1), lw.result()
    _plain(lw, a, lw.op.name)
    if a.dtype != b.dtype:
        raise lw.fail(f"comparison of {a.dtype} with {b.dtype}")
    bc = _broadcast_param(lw, [a, b], y)
    lw.emit(
        "elementwise_any",
        f"tflc_compare(&{{p:{bc.name}}}, TFLC_CMP_{op.upper()}, {TYPE_CODES[a.dtype]}, "
        f"{{t:{a.id}}}, {{t:{b.id}}}, {{t:{y.id}}})",
        [a, b],
        [y],
        [bc],
    )


def _select(lw: Lowering) -> None:
    cond, x, z, y = lw.operand(0), lw.operand(1), lw.operand(2), lw.result()
    out4 = out4_of(lw, y)
    strides = [broadcast_strides(t.shape, out4) for t in (cond, x, z)]
    if lw.op.name == "tfl.select" and len(cond.shape) == 1 and len(y.shape) > 1:
        # SELECT (v1): a rank-1 condition picks whole rows along the first axis
        strides[0] = [0] * 4
        strides[0][4 - len(y.shape)] = 1
    if (x.scale, x.zero_point) != (y.scale, y.zero_point) or (z.scale, z.zero_point) != (
        y.scale,
        y.zero_point,
    ):
        raise lw.fail("select of differently quantized tensors has no MCU kernel")
    bc = _broadcast_param(lw, [cond, x, z], y, strides)
    elem = y.nbytes // max(y.size, 1)
    lw.emit(
        "elementwise_any",
        f"tflc_select(&{{p:{bc.name}}}, {elem}, {{t:{cond.id}}}, {{t:{x.id}}}, {{t:{z.id}}}, "
        f"{{t:{y.id}}})",
        [cond, x, z],
        [y],
        [bc],
    )


def _cast(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    _plain(lw, x, "cast")
    _plain(lw, y, "cast")
    lw.emit(
        "elementwise_any",
        f"tflc_cast({x.size}, {TYPE_CODES[x.dtype]}, {TYPE_CODES[y.dtype]}, {{t:{x.id}}}, "
        f"{{t:{y.id}}})",
        [x],
        [y],
        overlap=0 if x.nbytes == y.nbytes else None,
    )


INT32_BINARY = {
    "add",
    "sub",
    "mul",
    "maximum",
    "minimum",
    "squared_difference",
    "floor_div",
    "floor_mod",
}


def binary_s32(lw: Lowering, kind: str, act: str) -> None:
    a, b, y = lw.operand(0), lw.operand(1), lw.result()
    if kind not in INT32_BINARY or a.dtype != "int32" or b.dtype != "int32":
        raise lw.fail(f"{lw.op.name} of {a.dtype} has no MCU kernel")
    if act not in INT32_ACTIVATIONS:
        raise lw.fail(f"fused activation {act} is not supported by the MCU target")
    lo, hi = INT32_ACTIVATIONS[act]
    bc = _broadcast_param(lw, [a, b], y)
    lw.emit(
        "elementwise_any",
        f"tflc_binary_s32(&{{p:{bc.name}}}, TFLC_S32_{kind.upper()}, {lo}, {hi}, "
        f"{{t:{a.id}}}, {{t:{b.id}}}, {{t:{y.id}}})",
        [a, b],
        [y],
        [bc],
    )


COMPARISONS = ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal")
HANDLERS = {
    **{f"tfl.{op}": (lambda lw, op=op: _compare(lw, op)) for op in COMPARISONS},
    "tfl.select": _select,
    "tfl.select_v2": _select,
    "tfl.cast": _cast,
}
