"""Lowerings of elementwise ops: binary arithmetic, requantization and activations, tables.

An int8 unary op becomes the 256-entry table the interpreter's kernel computes
(runtime/kernels/int8_tables.py), so both run the same arithmetic, bit for bit.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.mcu.lowering import Lowering
from tflc.backends.mcu.ops_any_type import binary_s32, broadcast_strides, out4_of
from tflc.backends.mcu.ops_common import (
    act_range,
    float_act,
    float_bound_literal,
    float_literal,
    struct,
)
from tflc.runtime.kernels.int8_tables import int8_table
from tflc.runtime.kernels.quant_math import (
    activation_bounds,
    quantize_multiplier_int,
    reciprocal_int,
)
from tflc.runtime.kernels.quantized_elementwise import div_params
from tflc.runtime.kernels.standalone import TensorSpec, standalone_node
from tflc.runtime.op_traits import INT8_TABLE

INT8_BINARY = {"add", "sub", "mul", "maximum", "minimum", "prelu", "squared_difference"}


def _binary(lw: Lowering, kind: str) -> None:
    a, b = lw.operand(0), lw.operand(1)
    y = lw.result()
    out4 = out4_of(lw, y)
    sa, sb = broadcast_strides(a.shape, out4), broadcast_strides(b.shape, out4)
    act = (
        lw.attr("fused_activation_function")
        if "fused_activation_function" in lw.op.attributes
        else "NONE"
    )
    same = a.shape == b.shape == y.shape
    if y.dtype != "float32" and (y.dtype != "int8" or y.scale is None):
        binary_s32(lw, kind, act)
        return
    if y.dtype == "float32":
        lo, hi = float_act(act)
        op = "TFLC_F32_" + kind.upper()
        params = lw.param(
            "params",
            "tflc_binary_f32_params",
            struct([struct(out4), struct(sa), struct(sb), lo, hi, op]),
        )
        lw.emit(
            "elementwise_f32",
            f"tflc_binary_f32(&{{p:{params.name}}}, {{t:{a.id}}}, {{t:{b.id}}}, {{t:{y.id}}})",
            [a, b],
            [y],
            [params],
            overlap=0 if same else None,
            overlap_inputs=(0, 1),
        )
        return
    if kind == "div" and a.scale is not None and b.scale is not None:
        _div_s8(lw, out4, sa, sb, act)
        return
    if kind not in INT8_BINARY or a.scale is None or b.scale is None:
        raise lw.fail(f"{lw.op.name} of int8 has no MCU kernel")
    lo, hi = act_range(act, y.scale, y.zero_point)
    if kind in ("maximum", "minimum"):
        if (a.scale, a.zero_point) != (y.scale, y.zero_point) or (b.scale, b.zero_point) != (
            y.scale,
            y.zero_point,
        ):
            raise lw.fail(f"int8 {kind} of differently quantized tensors is not supported")
        lo, hi = -128, 127
    if kind == "prelu":
        f = np.float32
        # prelu.cc: float products, then QuantizeMultiplier of the double
        m1, s1 = quantize_multiplier_int(float(f(a.scale) / f(y.scale)))
        mo, so = quantize_multiplier_int(float(f(a.scale) * f(b.scale) / f(y.scale)))
        left_shift, m2, s2 = 0, 0, 0
    elif kind == "squared_difference":
        left_shift = 7
        twice_max = 2.0 * max(a.scale, b.scale)
        m1, s1 = quantize_multiplier_int(a.scale / twice_max)
        m2, s2 = quantize_multiplier_int(b.scale / twice_max)
        mo, so = quantize_multiplier_int(
            twice_max * twice_max / ((1 << (2 * left_shift)) * y.scale)
        )
    elif kind in ("add", "sub"):
        left_shift = 20
        twice_max = 2 * max(a.scale, b.scale)
        m1, s1 = quantize_multiplier_int(a.scale / twice_max)
        m2, s2 = quantize_multiplier_int(b.scale / twice_max)
        mo, so = quantize_multiplier_int(twice_max / ((1 << left_shift) * y.scale))
        if kind == "sub":  # sub.cc: "Use add kernel for 8-bit sub": input2_multiplier *= -1
            m2 = -m2
    else:
        left_shift, m1, s1, m2, s2 = 0, 0, 0, 0, 0
        mo, so = quantize_multiplier_int(a.scale * b.scale / y.scale)
    params = lw.param(
        "params",
        "tflc_binary_s8_params",
        struct(
            [
                struct(out4),
                struct(sa),
                struct(sb),
                -a.zero_point,
                -b.zero_point,
                y.zero_point,
                left_shift,
                m1,
                m2,
                mo,
                s1,
                s2,
                so,
                lo,
                hi,
            ]
        ),
    )
    kernel = {"sub": "add", "maximum": "minmax", "minimum": "minmax"}.get(kind, kind)
    if kind == "squared_difference":
        kernel = "squared_difference"
    function = "add" if kind == "sub" else kind
    lw.emit(
        f"{kernel}_s8",
        f"tflc_{function}_s8(&{{p:{params.name}}}, {{t:{a.id}}}, {{t:{b.id}}}, {{t:{y.id}}})",
        [a, b],
        [y],
        [params],
        overlap=0 if same else None,
        overlap_inputs=(0, 1),
    )


def _div_s8(lw: Lowering, out4, sa: list[int], sb: list[int], act: str) -> None:
    a, b, y = lw.operand(0), lw.operand(1), lw.result()
    node = standalone_node(
        "DIV",
        [TensorSpec(a.shape, "INT8", a.scale, a.zero_point)]
        + [TensorSpec(b.shape, "INT8", b.scale, b.zero_point)],
        [TensorSpec(y.shape, "INT8", y.scale, y.zero_point)],
    )
    p = div_params(node)
    # GetReciprocal of |divisor| for every raw divisor value (0 where it is the zero point)
    divisors = [abs(v - p["z2"]) for v in range(-128, 128)]
    reciprocals = [reciprocal_int(d) if d else (0, 0) for d in divisors]
    recip = lw.param("reciprocal", "int32_t", [r for r, _ in reciprocals])
    recip_shift = lw.param("reciprocal_shift", "int8_t", [s for _, s in reciprocals])
    lo, hi = act_range(act, y.scale, y.zero_point)
    fields = [struct(out4), struct(sa), struct(sb), -p["z1"], -p["z2"], p["zo"], p["m"], p["s"]]
    fields += [lo, hi, recip.name, recip_shift.name]
    params = lw.param("params", "tflc_div_s8_params", struct(fields))
    lw.emit(
        "div_s8",
        f"tflc_div_s8(&{{p:{params.name}}}, {{t:{a.id}}}, {{t:{b.id}}}, {{t:{y.id}}})",
        [a, b],
        [y],
        [recip, recip_shift, params],
    )


def _requantize(lw: Lowering, real: float, lo: int, hi: int) -> None:
    x, y = lw.operand(0), lw.result()
    mult, shift = quantize_multiplier_int(real)
    params = lw.param(
        "params",
        "tflc_requantize_s8_params",
        struct([x.size, x.zero_point, y.zero_point, mult, shift, lo, hi]),
    )
    lw.emit(
        "requantize_s8",
        f"tflc_requantize_s8(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [params],
        overlap=0,
    )


# The float clamps of the relu family (their int8 kernels are tables).
RELU_BOUNDS = {
    f"tfl.{op.lower()}": activation_bounds(op) for op in ("RELU", "RELU6", "RELU_N1_TO_1")
} | {"tfl.relu_0_to_1": (0.0, 1.0)}


def _relu(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    if x.dtype == "float32":
        lo, hi = (float_bound_literal(v) for v in RELU_BOUNDS[lw.op.name])
        params = lw.param("params", "tflc_clamp_f32_params", struct([x.size, lo, hi]))
        lw.emit(
            "elementwise_f32",
            f"tflc_clamp_f32(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
            [params],
            overlap=0,
        )
        return
    _table(lw)


def _quantize(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    if x.dtype == "float32" and y.dtype == "int8":
        lw.emit(
            "quantize_io",
            f"tflc_quantize_f32_s8({x.size}, {float_literal(y.scale)}, {y.zero_point}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
        )
    elif x.dtype == "int8" and y.dtype == "int8":
        _requantize(lw, x.scale / y.scale, -128, 127)
    else:
        raise lw.fail(f"quantize from {x.dtype} to {y.dtype} is not supported")


def _dequantize(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    if x.dtype == "float16" and y.dtype == "float32" and x.data is not None:
        lw.pending_widening[y.id] = x.id  # emitted where a kernel first reads it
        return
    if x.dtype != "int8" or y.dtype != "float32":
        raise lw.fail(f"dequantize from {x.dtype} to {y.dtype} is not supported")
    lw.emit(
        "quantize_io",
        f"tflc_dequantize_s8_f32({x.size}, {float_literal(x.scale)}, {x.zero_point}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
    )


FLOAT_UNARY = {
    "tfl.tanh": "TFLC_F32_TANH",
    "tfl.logistic": "TFLC_F32_LOGISTIC",
    "tfl.hard_swish": "TFLC_F32_HARD_SWISH",
    "tfl.leaky_relu": "TFLC_F32_LEAKY_RELU",
    "tfl.gelu": "TFLC_F32_GELU",
    "tfl.rsqrt": "TFLC_F32_RSQRT",
    "tfl.sqrt": "TFLC_F32_SQRT",
    "tfl.exp": "TFLC_F32_EXP",
    "tfl.log": "TFLC_F32_LOG",
    "tfl.abs": "TFLC_F32_ABS",
    "tfl.neg": "TFLC_F32_NEG",
    "tfl.square": "TFLC_F32_SQUARE",
    "tfl.floor": "TFLC_F32_FLOOR",
    "tfl.ceil": "TFLC_F32_CEIL",
    "tfl.round": "TFLC_F32_ROUND",
    "tfl.sin": "TFLC_F32_SIN",
    "tfl.cos": "TFLC_F32_COS",
}
TABLE_OPS = {f"tfl.{op.lower()}" for op in INT8_TABLE}
UNARY_OPS = sorted((TABLE_OPS | set(FLOAT_UNARY)) - set(RELU_BOUNDS))


def _unary(lw: Lowering) -> None:
    """float: the C library's formula; int8: the interpreter's 256-entry table."""
    x, y = lw.operand(0), lw.result()
    if x.dtype == "float32" and lw.op.name in FLOAT_UNARY:
        op = FLOAT_UNARY[lw.op.name]
        if lw.op.name == "tfl.gelu" and lw.attr("approximate"):
            op = "TFLC_F32_GELU_TANH"
        alpha = float_literal(lw.attr("alpha")) if lw.op.name == "tfl.leaky_relu" else "0.0f"
        lw.emit(
            "unary_f32",
            f"tflc_unary_f32({x.size}, {op}, {alpha}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
            overlap=0,
        )
        return
    if lw.op.name == "tfl.elu" and x.dtype == "float32":
        lw.emit(
            "elu_f32",
            f"tflc_elu_f32({x.size}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
            overlap=0,
        )
        return
    _table(lw)


def _table(lw: Lowering) -> None:
    """int8 → int8 ops of one input value: the interpreter's table (runtime/kernels/int8_tables)."""
    x, y = lw.operand(0), lw.result()
    if lw.op.name not in TABLE_OPS or x.dtype != "int8" or y.dtype != "int8" or x.scale is None:
        raise lw.fail(f"{lw.op.name} of {x.dtype} to {y.dtype} has no MCU kernel")
    options = {name: lw.attr(name) for name in lw.op.attributes}
    table = int8_table(
        lw.op.name.removeprefix("tfl.").upper(),
        (x.scale, x.zero_point),
        (y.scale, y.zero_point),
        options,
    ).tolist()
    lut = lw.param("table", "int8_t", table)
    lw.emit(
        "lut_s8",
        f"tflc_lut_s8({x.size}, {{p:{lut.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [lut],
        overlap=0,
    )
