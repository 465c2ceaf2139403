"""Lowerings of normalizations over the last axis and L2 pooling (kernels/normalization_f32.c):
L2_NORMALIZATION, LOG_SOFTMAX, LOCAL_RESPONSE_NORMALIZATION, L2_POOL_2D in float32, and int8
L2_NORMALIZATION and LOG_SOFTMAX (kernels/l2_norm_s8.c, log_softmax_s8.c: LiteRT's reference
fixed-point arithmetic)."""

from __future__ import annotations

from tflc.backends.mcu import quantization as qz
from tflc.backends.mcu.lowering import Lowering
from tflc.backends.mcu.ops_common import float_act, float_literal, pool_geometry, struct
from tflc.dialects.tfl_ops import ops_by_mlir_name


def _float_only(lw: Lowering) -> tuple:
    x, y = lw.operand(0), lw.result()
    if x.dtype != "float32":
        kind = f"quantized {x.dtype}" if x.scale is not None else x.dtype
        raise lw.fail(f"{lw.op.name} of {kind} has no MCU kernel")
    return x, y


def _fixed_int8_output(lw: Lowering) -> None:
    """The int8 output parameters LiteRT's kernel requires (op_traits' fixed int8 outputs)."""
    x, y = lw.operand(0), lw.result()
    scale, zero_point = ops_by_mlir_name()[lw.op.name].int8_fixed_output
    if x.scale is None or y.scale is None or abs(y.scale - scale) > 1e-12:
        raise lw.fail(f"int8 {lw.op.name} needs an int8 output with scale {scale}")
    if y.zero_point != zero_point:
        raise lw.fail(f"int8 {lw.op.name} needs an int8 output with zero point {zero_point}")


def _l2_normalization(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    depth = x.shape[-1]
    if x.dtype == "int8":
        _fixed_int8_output(lw)
        if lw.attr("fused_activation_function") != "NONE":
            raise lw.fail("int8 l2_normalization with a fused activation is not supported")
        lw.emit(
            "l2_norm_s8",
            f"tflc_l2_normalization_s8({x.size // depth}, {depth}, {x.zero_point}, "
            f"{{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
            overlap=0,
        )
        return
    x, y = _float_only(lw)
    lo, hi = float_act(lw.attr("fused_activation_function"))
    lw.emit(
        "normalization_f32",
        f"tflc_l2_normalization_f32({x.size // depth}, {depth}, {lo}, {hi}, {{t:{x.id}}}, "
        f"{{t:{y.id}}})",
        [x],
        [y],
        overlap=0,
    )


def _log_softmax(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    depth = x.shape[-1]
    if x.dtype == "int8":
        _fixed_int8_output(lw)
        q = qz.log_softmax_params(x.scale)
        diff_q5 = lw.param("diff_q5", "int32_t", q["diff_q5"])
        exp_table = lw.param("exp_table", "int32_t", q["exp_table"])
        fields = [x.size // depth, depth, q["diff_min"], q["reverse_multiplier"]]
        fields += [q["reverse_shift"], diff_q5.name, exp_table.name]
        params = lw.param("params", "tflc_log_softmax_s8_params", struct(fields))
        lw.emit(
            "log_softmax_s8",
            f"tflc_log_softmax_s8(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
            [diff_q5, exp_table, params],
        )
        return
    x, y = _float_only(lw)
    lw.emit(
        "normalization_f32",
        f"tflc_log_softmax_f32({x.size // depth}, {depth}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
    )


def _local_response_normalization(lw: Lowering) -> None:
    x, y = _float_only(lw)
    depth = x.shape[-1]
    fields = [x.size // depth, depth, lw.attr("radius")]
    fields += [float_literal(lw.attr(k)) for k in ("bias", "alpha", "beta")]
    params = lw.param("params", "tflc_lrn_f32_params", struct(fields))
    lw.emit(
        "normalization_f32",
        f"tflc_lrn_f32(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [params],
    )


def _l2_pool_2d(lw: Lowering) -> None:
    x, y = _float_only(lw)
    lo, hi = float_act(lw.attr("fused_activation_function"))
    fields = [*pool_geometry(lw, x, y), lo, hi]
    params = lw.param("params", "tflc_l2_pool_f32_params", struct(fields))
    lw.emit(
        "normalization_f32",
        f"tflc_l2_pool_f32(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [params],
    )


HANDLERS = {
    "tfl.l2_normalization": _l2_normalization,
    "tfl.log_softmax": _log_softmax,
    "tfl.local_response_normalization": _local_response_normalization,
    "tfl.l2_pool_2d": _l2_pool_2d,
}
