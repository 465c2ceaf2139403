"""Lowerings of the compute-heavy ops: convolutions, fully connected, batch matmul, pooling, softmax.

Multipliers and shifts are computed here exactly as TFLite's Prepare functions compute them.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.mcu import quantization as qz
from tflc.backends.mcu.lowering import Lowering
from tflc.backends.mcu.memory_planner import window_overlap
from tflc.backends.mcu.ops_common import (
    act_range,
    float_act,
    float_literal,
    multipliers,
    nhwc,
    per_channel_values,
    pool_geometry,
    struct,
)
from tflc.dialects.tfl_ops import ops_by_mlir_name
from tflc.runtime.kernels.geometry import conv_axis
from tflc.runtime.kernels.quant_math import quantize_multiplier_int


def _conv(lw: Lowering, depthwise: bool = False) -> None:
    x, w, b = lw.operand(0), lw.operand(1), lw.operand(2)
    y = lw.result()
    lw.const(w)
    n, ih, iw, ic = nhwc(x.shape)
    _, oh, ow, oc = nhwc(y.shape)
    kh, kw = w.shape[1], w.shape[2]
    sh, sw = lw.attr("stride_h"), lw.attr("stride_w")
    dh, dw = lw.attr("dilation_h_factor"), lw.attr("dilation_w_factor")
    pad = lw.attr("padding")
    ph = conv_axis(pad, ih, kh, sh, dh).before
    pw = conv_axis(pad, iw, kw, sw, dw).before
    act = lw.attr("fused_activation_function")
    multiplier = oc // ic if depthwise else 1
    elem = np.dtype(x.dtype).itemsize
    overlap = window_overlap(
        (n, ih, iw, ic * elem), (oh, ow, oc * elem), (kh, kw), (sh, sw), (ph, pw), (dh, dw),
        channelwise=depthwise and multiplier == 1,
    )  # fmt: skip
    if x.dtype == "float32":
        lo, hi = float_act(act)
        params = lw.param(
            "params",
            "tflc_conv_f32_params",
            struct([n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, ph, pw, multiplier, lo, hi]),
        )
        half = lw.float16_weight(w)  # float16 weights: read as half bits from flash
        w, kind = (half, "f16w") if half is not None else (w, "f32")
        fn = f"tflc_depthwise_conv_{kind}" if depthwise else f"tflc_conv_{kind}"
        bias = f"{{t:{b.id}}}" if b else "0"
        lw.emit(
            f"conv_{kind}",
            f"{fn}(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{w.id}}}, {bias}, {{t:{y.id}}})",
            [x, w] + ([b] if b else []),
            [y],
            [params],
            overlap=overlap,
        )
        return
    w_scales = per_channel_values(w.scale, oc)
    reals = [x.scale * s / y.scale for s in w_scales]
    mults, shifts = multipliers(reals)
    lo, hi = act_range(act, y.scale, y.zero_point)
    pm = lw.param("multiplier", "int32_t", mults)
    ps = lw.param("shift", "int8_t", shifts)
    pf = lw.param("folded_bias", "int32_t", _folded_bias(lw, w, b, -x.zero_point, depthwise))
    params = lw.param(
        "params",
        "tflc_conv_s8_params",
        struct(
            [
                n,
                ih,
                iw,
                ic,
                oh,
                ow,
                oc,
                kh,
                kw,
                sh,
                sw,
                dh,
                dw,
                ph,
                pw,
                multiplier,
                -x.zero_point,
                y.zero_point,
                lo,
                hi,
                pm.name,
                ps.name,
                pf.name,
            ]
        ),
    )
    fn = "tflc_depthwise_conv_s8" if depthwise else "tflc_conv_s8"
    lw.emit(
        "depthwise_conv_s8" if depthwise else "conv_s8",
        f"{fn}(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{w.id}}}, {{t:{y.id}}})",
        [x, w],
        [y],
        [pm, ps, pf, params],
        overlap=overlap,
    )


def _folded_bias(lw: Lowering, w, b, input_offset: int, depthwise: bool) -> list[int]:
    """bias + input_offset * (sum of each output channel's filter taps), exact in int64."""
    weights = np.asarray(lw.const(w)).astype(np.int64)
    sums = (
        weights.reshape(-1, weights.shape[-1]).sum(0)
        if depthwise
        else weights.reshape(weights.shape[0], -1).sum(1)
    )
    bias = np.asarray(lw.const(b)).astype(np.int64).ravel() if b else np.zeros_like(sums)
    folded = bias + input_offset * sums
    if np.abs(folded).max(initial=0) >= 1 << 31:
        raise lw.fail("folded bias overflows int32")
    return [int(v) for v in folded]


def _fully_connected(lw: Lowering) -> None:
    x, w, b = lw.operand(0), lw.operand(1), lw.operand(2)
    y = lw.result()
    if lw.attr("weights_format") != "DEFAULT":
        raise lw.fail("shuffled fully-connected weights are not supported")
    lw.const(w)
    units, depth = w.shape
    batches = x.size // depth
    act = lw.attr("fused_activation_function")
    bias = f"{{t:{b.id}}}" if b else "0"
    if x.dtype == "float32":
        lo, hi = float_act(act)
        params = lw.param(
            "params", "tflc_fully_connected_f32_params", struct([batches, depth, units, lo, hi])
        )
        half = lw.float16_weight(w)  # float16 weights: read as half bits from flash
        w, kind = (half, "f16w") if half is not None else (w, "f32")
        lw.emit(
            f"fully_connected_{kind}",
            f"tflc_fully_connected_{kind}(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{w.id}}}, {bias}, {{t:{y.id}}})",
            [x, w] + ([b] if b else []),
            [y],
            [params],
        )
        return
    per_channel = isinstance(w.scale, list) and len(w.scale) > 1
    w_scales = (
        per_channel_values(w.scale, units)
        if per_channel
        else [w.scale[0] if isinstance(w.scale, list) else w.scale]
    )
    if per_channel:  # double products, as conv's PopulateConvolutionQuantizationParams
        reals = [x.scale * s / y.scale for s in w_scales]
    else:  # GetQuantizedConvolutionMultipler: the scales' product in float, then double
        reals = [float(np.float32(x.scale) * np.float32(w_scales[0])) / y.scale]
    mults, shifts = multipliers(reals)
    lo, hi = act_range(act, y.scale, y.zero_point)
    pm = lw.param("multiplier", "int32_t", mults)
    ps = lw.param("shift", "int8_t", shifts)
    # sum(w * (x + offset)) + bias == sum(w * x) + folded_bias: the offset folds into the bias
    pf = lw.param("folded_bias", "int32_t", _folded_bias(lw, w, b, -x.zero_point, False))
    fields = [batches, depth, units, y.zero_point, lo, hi, pm.name, ps.name, int(per_channel)]
    params = lw.param("params", "tflc_fully_connected_s8_params", struct(fields))
    lw.emit(
        "fully_connected_s8",
        f"tflc_fully_connected_s8(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{w.id}}}, "
        f"{{p:{pf.name}}}, {{t:{y.id}}})",
        [x, w],
        [y],
        [pm, ps, pf, params],
    )


def _transpose_conv(lw: Lowering) -> None:
    w, x, b = lw.operand(1), lw.operand(2), lw.operand(3)
    y = lw.result()
    lw.const(w)
    n, ih, iw, ic = nhwc(x.shape)
    _, oh, ow, oc = nhwc(y.shape)
    kh, kw = w.shape[1], w.shape[2]
    sh, sw = lw.attr("stride_h"), lw.attr("stride_w")
    pad = lw.attr("padding")
    # transpose_conv.cc: the padding of the forward convolution from the output back to the input
    ph = conv_axis(pad, oh, kh, sh).before
    pw = conv_axis(pad, ow, kw, sw).before
    act = (
        lw.attr("fused_activation_function")
        if "fused_activation_function" in lw.op.attributes
        else "NONE"
    )
    if x.dtype == "float32":
        flo, fhi = float_act(act)
        fields = [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, ph, pw, flo, fhi]
        params = lw.param("params", "tflc_transpose_conv_f32_params", struct(fields))
        bias = f"{{t:{b.id}}}" if b else "0"
        lw.emit(
            "transpose_conv_f32",
            f"tflc_transpose_conv_f32(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{w.id}}}, {bias}, "
            f"{{t:{y.id}}})",
            [x, w] + ([b] if b else []),
            [y],
            [params],
        )
        return
    lo, hi = act_range(act, y.scale, y.zero_point)
    mults, shifts = multipliers([x.scale * s / y.scale for s in per_channel_values(w.scale, oc)])
    pm = lw.param("multiplier", "int32_t", mults)
    ps = lw.param("shift", "int8_t", shifts)
    fields = [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, ph, pw]
    fields += [-x.zero_point, y.zero_point, lo, hi, pm.name, ps.name]
    params = lw.param("params", "tflc_transpose_conv_s8_params", struct(fields))
    bias = f"{{t:{b.id}}}" if b else "0"
    lw.emit(
        "transpose_conv_s8",
        f"tflc_transpose_conv_s8(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{w.id}}}, {bias}, "
        f"{{t:{y.id}}})",
        [x, w] + ([b] if b else []),
        [y],
        [pm, ps, params],
    )


def _batch_matmul(lw: Lowering) -> None:
    a, b, y = lw.operand(0), lw.operand(1), lw.result()
    if len(a.shape) < 2 or a.shape[:-2] != b.shape[:-2]:
        raise lw.fail("batch_matmul with broadcast batch dimensions is not supported")
    adj_x, adj_y = bool(lw.attr("adj_x")), bool(lw.attr("adj_y"))
    rows, depth = (a.shape[-1], a.shape[-2]) if adj_x else (a.shape[-2], a.shape[-1])
    cols = b.shape[-2] if adj_y else b.shape[-1]
    batches = int(np.prod(a.shape[:-2], dtype=np.int64))
    lhs_strides = (1, a.shape[-1]) if adj_x else (a.shape[-1], 1)  # (row, depth)
    rhs_strides = (1, b.shape[-1]) if adj_y else (b.shape[-1], 1)  # (depth, col)
    strides = [a.shape[-1] * a.shape[-2], *lhs_strides, b.shape[-1] * b.shape[-2], *rhs_strides]
    if a.dtype == "float32":
        params = lw.param(
            "params", "tflc_batch_matmul_f32_params", struct([batches, rows, depth, cols, *strides])
        )
        lw.emit(
            "batch_matmul_f32",
            f"tflc_batch_matmul_f32(&{{p:{params.name}}}, {{t:{a.id}}}, {{t:{b.id}}}, {{t:{y.id}}})",
            [a, b],
            [y],
            [params],
        )
        return
    f = np.float32
    # GetQuantizedConvolutionMultipler: the scales' product in float, then double
    mult, shift = quantize_multiplier_int(float(f(a.scale) * f(b.scale)) / y.scale)
    fields = [batches, rows, depth, cols]
    fields += [a.shape[-1] * a.shape[-2], *lhs_strides, b.shape[-1] * b.shape[-2], *rhs_strides]
    fields += [-a.zero_point, -b.zero_point, y.zero_point, mult, shift, -128, 127]
    params = lw.param("params", "tflc_batch_matmul_s8_params", struct(fields))
    lw.emit(
        "batch_matmul_s8",
        f"tflc_batch_matmul_s8(&{{p:{params.name}}}, {{t:{a.id}}}, {{t:{b.id}}}, {{t:{y.id}}})",
        [a, b],
        [y],
        [params],
    )


def _pool(lw: Lowering, kind: str) -> None:
    x, y = lw.operand(0), lw.result()
    geometry = pool_geometry(lw, x, y)
    act = lw.attr("fused_activation_function")
    if x.dtype == "float32":
        lo, hi = float_act(act)
        params = lw.param(
            "params",
            "tflc_pool_f32_params",
            struct([*geometry, lo, hi]),
        )
        lw.emit(
            "pool_f32",
            f"tflc_{kind}_pool_f32(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
            [params],
        )
        return
    lo, hi = act_range(act, y.scale, y.zero_point)
    params = lw.param(
        "params",
        "tflc_pool_s8_params",
        struct([*geometry, lo, hi]),
    )
    lw.emit(
        "pool_s8",
        f"tflc_{kind}_pool_s8(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [params],
    )


def _softmax(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    depth = x.shape[-1]
    rows = x.size // depth
    beta = float(lw.attr("beta"))
    if x.dtype == "float32":
        params = lw.param(
            "params", "tflc_softmax_f32_params", struct([rows, depth, float_literal(beta)])
        )
        lw.emit(
            "softmax_f32",
            f"tflc_softmax_f32(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
            [params],
        )
        return
    scale, zero_point = ops_by_mlir_name()["tfl.softmax"].int8_fixed_output
    if y.dtype != "int8" or abs(y.scale - scale) > 1e-12 or y.zero_point != zero_point:
        raise lw.fail(
            f"int8 softmax needs an int8 output with scale {scale} and zero point {zero_point}"
        )
    table = lw.param("exp_table", "int32_t", qz.softmax_exp_table(x.scale, qz.f32(beta)))
    params = lw.param("params", "tflc_softmax_s8_params", struct([rows, depth, table.name]))
    lw.emit(
        "softmax_s8",
        f"tflc_softmax_s8(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [table, params],
    )
