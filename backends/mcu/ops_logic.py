"""Lowerings of logic, bit and small arithmetic ops (kernels/elementwise_extra.c): LOGICAL_*,
BITWISE_XOR, RIGHT_SHIFT, SIGN, ATAN2, ADD_N, FAKE_QUANT, REDUCE_ALL / REDUCE_ANY / REDUCE_PROD over any
axes; FILL and ZEROS_LIKE (data_movement.c); and the ops whose result the compiler knows
(SHAPE and RANK of static shapes, BROADCAST_ARGS and RANGE of constants), computed by the
interpreter's own kernel and stored as a constant."""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.backends.mcu.lowering import Lowering
from tflc.backends.mcu.ops_any_type import TYPE_CODES, _broadcast_param
from tflc.backends.mcu.ops_common import contiguous_strides, float_literal, struct
from tflc.backends.mcu.program import Tensor
from tflc.dialects.tfl import builtin_options, tensor_type_name
from tflc.dialects.tfl_ops import ops_by_mlir_name
from tflc.runtime.kernels.quantize import fake_quant_params
from tflc.runtime.kernels.standalone import TensorSpec, run_builtin, standalone_node

INTEGER_TYPES = ("int8", "uint8", "int32", "int64")


def _require(lw: Lowering, t: Tensor, dtypes: tuple[str, ...]) -> None:
    if t.dtype not in dtypes or t.scale is not None:
        kind = f"quantized {t.dtype}" if t.scale is not None else t.dtype
        raise lw.fail(f"{lw.op.name} of {kind} has no MCU kernel")


def _bitwise(lw: Lowering, op: str, dtypes: tuple[str, ...]) -> None:
    a, b, y = lw.operand(0), lw.operand(1), lw.result()
    _require(lw, a, dtypes)
    bc = _broadcast_param(lw, [a, b], y)
    lw.emit(
        "elementwise_extra",
        f"tflc_bitwise(&{{p:{bc.name}}}, TFLC_{op}, {TYPE_CODES[a.dtype]}, {{t:{a.id}}}, "
        f"{{t:{b.id}}}, {{t:{y.id}}})",
        [a, b],
        [y],
        [bc],
    )


def _logical_not(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    lw.emit(
        "elementwise_extra",
        f"tflc_logical_not({x.size}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        overlap=0,
    )


def _sign(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    _require(lw, x, ("float32", "int32"))
    lw.emit(
        "elementwise_extra",
        f"tflc_sign({x.size}, {TYPE_CODES[x.dtype]}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        overlap=0,
    )


def _atan2(lw: Lowering) -> None:
    a, b, y = lw.operand(0), lw.operand(1), lw.result()
    _require(lw, a, ("float32",))
    bc = _broadcast_param(lw, [a, b], y)
    lw.emit(
        "elementwise_extra",
        f"tflc_atan2_f32(&{{p:{bc.name}}}, {{t:{a.id}}}, {{t:{b.id}}}, {{t:{y.id}}})",
        [a, b],
        [y],
        [bc],
    )


def _add_n(lw: Lowering) -> None:
    xs = [lw.operand(i) for i in range(len(lw.op.operands))]
    y = lw.result()
    _require(lw, y, ("float32", "int32"))
    ptrs = ", ".join(f"{{t:{x.id}}}" for x in xs)
    lw.emit(
        "elementwise_extra",
        f"{{ const void *const srcs[{len(xs)}] = {{{ptrs}}}; "
        f"tflc_add_n({y.size}, {TYPE_CODES[y.dtype]}, {len(xs)}, srcs, {{t:{y.id}}}); }}",
        xs,
        [y],
    )


def _reduce_axes(lw: Lowering, op: str) -> None:
    x, y = lw.operand(0), lw.result()
    _require(lw, x, ("float32", "int32") if op == "PROD" else ("bool",))
    if len(x.shape) > 8:
        raise lw.fail("reductions over more than 8 dimensions are not supported")
    axes = {int(a) % len(x.shape) for a in np.ravel(lw.const(lw.operand(1)))}
    kept = [d for k, d in enumerate(x.shape) if k not in axes]
    kept_strides = iter(contiguous_strides(kept))
    out_strides = [0 if k in axes else next(kept_strides) for k in range(len(x.shape))]
    extra = 8 - len(x.shape)
    fields = [
        struct([1] * extra + list(x.shape)),
        struct([0] * extra + out_strides),
        y.size,
        f"TFLC_REDUCE_{op}",
        TYPE_CODES[x.dtype],
    ]
    params = lw.param("params", "tflc_reduce_axes_params", struct(fields))
    lw.emit(
        "elementwise_extra",
        f"tflc_reduce_axes(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [params],
    )


def _fake_quant(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    _require(lw, x, ("float32",))
    options = builtin_options(lw.op, ops_by_mlir_name()[lw.op.name])
    nmin, nmax, scale, inverse = (float_literal(v) for v in fake_quant_params(options))
    lw.emit(
        "elementwise_extra",
        f"tflc_fake_quant_f32({x.size}, {nmin}, {nmax}, {scale}, {inverse}, {{t:{x.id}}}, "
        f"{{t:{y.id}}})",
        [x],
        [y],
        overlap=0,
    )


def fill_with(lw: Lowering, y: Tensor, value: np.ndarray, inputs=()) -> None:
    """y = `value` (one element of y's type) everywhere."""
    raw = [int(v) for v in np.asarray(value, dtype=y.dtype).reshape(1).view(np.uint8)]
    pv = lw.param("value", "uint8_t", raw)
    elem = np.dtype(y.dtype).itemsize
    lw.emit(
        "data_movement",
        f"tflc_fill({y.size}, {elem}, {{p:{pv.name}}}, {{t:{y.id}}})",
        list(inputs),
        [y],
        [pv],
    )


def _zeros_like(lw: Lowering) -> None:
    y = lw.result()
    zero = y.zero_point if y.scale is not None else 0
    fill_with(lw, y, np.array(zero))


def _fill(lw: Lowering) -> None:
    value, y = lw.operand(1), lw.result()
    if value.data is not None:
        fill_with(lw, y, value.data)
        return
    lw.emit(
        "data_movement",
        f"tflc_fill({y.size}, {np.dtype(y.dtype).itemsize}, {{t:{value.id}}}, {{t:{y.id}}})",
        [value],
        [y],
    )


def _spec(value: ir.Value) -> TensorSpec:
    t = ir.RankedTensorType(value.type)
    return TensorSpec(tuple(t.shape), tensor_type_name(t.element_type))


def _known_result(lw: Lowering, shape_only: bool = False) -> None:
    """The result as a constant, from the interpreter's kernel: on the operands' static shapes
    (`shape_only`) or on their constant values."""
    operands = [lw.operand(i) for i in range(len(lw.op.operands))]
    if shape_only:
        args = [np.zeros(t.shape, t.dtype) for t in operands]
    else:
        if any(t.data is None and t.id not in lw.aliases for t in operands):
            raise lw.fail(f"{lw.op.name} of operands computed at run time has no MCU kernel")
        args = [lw.const(t) for t in operands]
    d = ops_by_mlir_name()[lw.op.name]
    node = standalone_node(
        d.opcode,
        [_spec(v) for v in lw.op.operands],
        [_spec(r) for r in lw.op.results],
        builtin_options(lw.op, d),
    )
    y = lw.result()
    value = np.asarray(run_builtin(node, *args)[0])
    y.data = np.ascontiguousarray(value.astype(y.dtype).reshape(y.shape))


HANDLERS = {
    "tfl.logical_and": lambda lw: _bitwise(lw, "LOGICAL_AND", ("bool",)),
    "tfl.logical_or": lambda lw: _bitwise(lw, "LOGICAL_OR", ("bool",)),
    "tfl.bitwise_xor": lambda lw: _bitwise(lw, "BITWISE_XOR", INTEGER_TYPES),
    "tfl.right_shift": lambda lw: _bitwise(lw, "RIGHT_SHIFT", INTEGER_TYPES),
    "tfl.logical_not": _logical_not,
    "tfl.sign": _sign,
    "tfl.atan2": _atan2,
    "tfl.add_n": _add_n,
    "tfl.fake_quant": _fake_quant,
    "tfl.reduce_all": lambda lw: _reduce_axes(lw, "ALL"),
    "tfl.reduce_any": lambda lw: _reduce_axes(lw, "ANY"),
    "tfl.reduce_prod": lambda lw: _reduce_axes(lw, "PROD"),
    "tfl.zeros_like": _zeros_like,
    "tfl.fill": _fill,
    "tfl.shape": lambda lw: _known_result(lw, shape_only=True),
    "tfl.rank": lambda lw: _known_result(lw, shape_only=True),
    "tfl.broadcast_args": _known_result,
    "tfl.range": _known_result,
}
