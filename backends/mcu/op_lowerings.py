"""Per-op lowerings: each reads a tfl op's operands and options and emits kernel calls.

Multipliers and shifts are computed here exactly as TFLite's Prepare functions compute them.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.mcu import quantization as qz
from tflc.backends.mcu.lowering import Lowering
from tflc.backends.mcu.memory_planner import window_overlap
from tflc.backends.mcu.program import Tensor
from tflc.errors import TflcError

# ---- helpers -------------------------------------------------------------------------------------


def _act_range(act: str, scale: float, zp: int) -> tuple[int, int]:
    """CalculateActivationRangeQuantized for int8."""

    def q(f: float) -> int:
        return zp + qz.tflite_round(float(np.float32(f) / np.float32(scale)))

    lo, hi = -128, 127
    if act == "RELU":
        return max(lo, q(0.0)), hi
    if act == "RELU6":
        return max(lo, q(0.0)), min(hi, q(6.0))
    if act == "RELU_N1_TO_1":
        return max(lo, q(-1.0)), min(hi, q(1.0))
    if act == "NONE":
        return lo, hi
    raise TflcError(f"fused activation {act} is not supported by the MCU target")


def _float_act(act: str) -> tuple[str, str]:
    ranges = {
        "NONE": ("-3.40282347e+38f", "3.40282347e+38f"),
        "RELU": ("0.0f", "3.40282347e+38f"),
        "RELU6": ("0.0f", "6.0f"),
        "RELU_N1_TO_1": ("-1.0f", "1.0f"),
    }
    if act not in ranges:
        raise TflcError(f"fused activation {act} is not supported by the MCU target")
    return ranges[act]


def _padding(kind: str, in_size: int, k: int, stride: int, dilation: int, out_size: int) -> int:
    """ComputePaddingWithOffset (the same formula serves SAME and VALID)."""
    effective = (k - 1) * dilation + 1
    total = (out_size - 1) * stride + effective - in_size
    return max(total, 0) // 2


def _multipliers(reals: list[float]) -> tuple[list[int], list[int]]:
    pairs = [qz.quantize_multiplier(r) for r in reals]
    return [m for m, _ in pairs], [s for _, s in pairs]


def _struct(fields: list) -> str:
    return "{" + ", ".join(str(f) for f in fields) + "}"


def _nhwc(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    if len(shape) != 4:
        raise TflcError(f"expected a 4-D NHWC tensor, got shape {list(shape)}")
    return shape  # type: ignore[return-value]


def _per_channel(value, n: int) -> list[float]:
    return list(value) if isinstance(value, list) else [value] * n


def _float_literal(x: float) -> str:
    return f"{float(np.float32(x))!r}f".replace("inf", "INFINITY")


# ---- op handlers ---------------------------------------------------------------------------------


def _conv(lw: Lowering, depthwise: bool = False) -> None:
    x, w, b = lw.operand(0), lw.operand(1), lw.operand(2)
    y = lw.result()
    lw.const(w)
    n, ih, iw, ic = _nhwc(x.shape)
    _, oh, ow, oc = _nhwc(y.shape)
    kh, kw = w.shape[1], w.shape[2]
    sh, sw = lw.attr("stride_h"), lw.attr("stride_w")
    dh, dw = lw.attr("dilation_h_factor"), lw.attr("dilation_w_factor")
    pad = lw.attr("padding")
    ph = _padding(pad, ih, kh, sh, dh, oh)
    pw = _padding(pad, iw, kw, sw, dw, ow)
    act = lw.attr("fused_activation_function")
    multiplier = oc // ic if depthwise else 1
    elem = np.dtype(x.dtype).itemsize
    overlap = window_overlap(
        (n, ih, iw, ic * elem), (oh, ow, oc * elem), (kh, kw), (sh, sw), (ph, pw), (dh, dw),
        channelwise=depthwise and multiplier == 1,
    )  # fmt: skip
    if x.dtype == "float32":
        lo, hi = _float_act(act)
        params = lw.param(
            "params",
            "tflc_conv_f32_params",
            _struct(
                [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, ph, pw, multiplier, lo, hi]
            ),
        )
        fn = "tflc_depthwise_conv_f32" if depthwise else "tflc_conv_f32"
        bias = f"{{t:{b.id}}}" if b else "0"
        lw.emit(
            "conv_f32",
            f"{fn}(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{w.id}}}, {bias}, {{t:{y.id}}})",
            [x, w] + ([b] if b else []),
            [y],
            [params],
            overlap=overlap,
        )
        return
    w_scales = _per_channel(w.scale, oc)
    reals = [x.scale * s / y.scale for s in w_scales]
    mults, shifts = _multipliers(reals)
    lo, hi = _act_range(act, y.scale, y.zero_point)
    pm = lw.param("multiplier", "int32_t", mults)
    ps = lw.param("shift", "int8_t", shifts)
    params = lw.param(
        "params",
        "tflc_conv_s8_params",
        _struct(
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
            ]
        ),
    )
    fn = "tflc_depthwise_conv_s8" if depthwise else "tflc_conv_s8"
    bias = f"{{t:{b.id}}}" if b else "0"
    lw.emit(
        "depthwise_conv_s8" if depthwise else "conv_s8",
        f"{fn}(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{w.id}}}, {bias}, {{t:{y.id}}})",
        [x, w] + ([b] if b else []),
        [y],
        [pm, ps, params],
        overlap=overlap,
    )


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
        if w.dtype != "float32":
            raise lw.fail("hybrid (dynamic-range) fully connected is not supported")
        lo, hi = _float_act(act)
        params = lw.param(
            "params", "tflc_fully_connected_f32_params", _struct([batches, depth, units, lo, hi])
        )
        lw.emit(
            "fully_connected_f32",
            f"tflc_fully_connected_f32(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{w.id}}}, {bias}, {{t:{y.id}}})",
            [x, w] + ([b] if b else []),
            [y],
            [params],
        )
        return
    per_channel = isinstance(w.scale, list) and len(w.scale) > 1
    w_scales = (
        _per_channel(w.scale, units)
        if per_channel
        else [w.scale[0] if isinstance(w.scale, list) else w.scale]
    )
    mults, shifts = _multipliers([x.scale * s / y.scale for s in w_scales])
    lo, hi = _act_range(act, y.scale, y.zero_point)
    pm = lw.param("multiplier", "int32_t", mults)
    ps = lw.param("shift", "int8_t", shifts)
    params = lw.param(
        "params",
        "tflc_fully_connected_s8_params",
        _struct(
            [
                batches,
                depth,
                units,
                -x.zero_point,
                y.zero_point,
                lo,
                hi,
                pm.name,
                ps.name,
                int(per_channel),
            ]
        ),
    )
    lw.emit(
        "fully_connected_s8",
        f"tflc_fully_connected_s8(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{w.id}}}, {bias}, {{t:{y.id}}})",
        [x, w] + ([b] if b else []),
        [y],
        [pm, ps, params],
    )


def _broadcast_strides(shape: tuple[int, ...], out: tuple[int, ...]) -> list[int]:
    shape4 = (1,) * (4 - len(shape)) + tuple(shape)
    strides, acc = [0] * 4, 1
    for i in range(3, -1, -1):
        strides[i] = 0 if shape4[i] == 1 and out[i] != 1 else acc
        acc *= shape4[i]
    return strides


def _binary(lw: Lowering, kind: str) -> None:
    a, b = lw.operand(0), lw.operand(1)
    y = lw.result()
    if len(y.shape) > 4:
        raise lw.fail("elementwise ops over more than 4 dimensions are not supported")
    out4 = (1,) * (4 - len(y.shape)) + tuple(y.shape)
    sa, sb = _broadcast_strides(a.shape, out4), _broadcast_strides(b.shape, out4)
    act = (
        lw.attr("fused_activation_function")
        if "fused_activation_function" in lw.op.attributes
        else "NONE"
    )
    same = a.shape == b.shape == y.shape
    if y.dtype == "float32":
        if kind not in ("add", "mul"):
            raise lw.fail(f"float {kind} has no MCU kernel")
        lo, hi = _float_act(act)
        params = lw.param(
            "params",
            "tflc_binary_f32_params",
            _struct([_struct(out4), _struct(sa), _struct(sb), lo, hi]),
        )
        lw.emit(
            "elementwise_f32",
            f"tflc_{kind}_f32(&{{p:{params.name}}}, {{t:{a.id}}}, {{t:{b.id}}}, {{t:{y.id}}})",
            [a, b],
            [y],
            [params],
            overlap=0 if same else None,
            overlap_inputs=(0, 1),
        )
        return
    lo, hi = _act_range(act, y.scale, y.zero_point)
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
        m1, s1 = qz.quantize_multiplier(float(f(a.scale) / f(y.scale)))
        mo, so = qz.quantize_multiplier(float(f(a.scale) * f(b.scale) / f(y.scale)))
        left_shift, m2, s2 = 0, 0, 0
    elif kind == "squared_difference":
        left_shift = 7
        twice_max = 2.0 * max(a.scale, b.scale)
        m1, s1 = qz.quantize_multiplier(a.scale / twice_max)
        m2, s2 = qz.quantize_multiplier(b.scale / twice_max)
        mo, so = qz.quantize_multiplier(twice_max * twice_max / ((1 << (2 * left_shift)) * y.scale))
    elif kind in ("add", "sub"):
        left_shift = 20
        twice_max = 2 * max(a.scale, b.scale)
        m1, s1 = qz.quantize_multiplier(a.scale / twice_max)
        m2, s2 = qz.quantize_multiplier(b.scale / twice_max)
        mo, so = qz.quantize_multiplier(twice_max / ((1 << left_shift) * y.scale))
        if kind == "sub":  # sub.cc: "Use add kernel for 8-bit sub": input2_multiplier *= -1
            m2 = -m2
    else:
        left_shift, m1, s1, m2, s2 = 0, 0, 0, 0, 0
        mo, so = qz.quantize_multiplier(a.scale * b.scale / y.scale)
    params = lw.param(
        "params",
        "tflc_binary_s8_params",
        _struct(
            [
                _struct(out4),
                _struct(sa),
                _struct(sb),
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


def _pool(lw: Lowering, kind: str) -> None:
    x, y = lw.operand(0), lw.result()
    n, ih, iw, c = _nhwc(x.shape)
    _, oh, ow, _ = _nhwc(y.shape)
    kh, kw = lw.attr("filter_height"), lw.attr("filter_width")
    sh, sw = lw.attr("stride_h"), lw.attr("stride_w")
    pad = lw.attr("padding")
    ph, pw = _padding(pad, ih, kh, sh, 1, oh), _padding(pad, iw, kw, sw, 1, ow)
    act = lw.attr("fused_activation_function")
    if x.dtype == "float32":
        lo, hi = _float_act(act)
        params = lw.param(
            "params",
            "tflc_pool_f32_params",
            _struct([n, ih, iw, c, oh, ow, kh, kw, sh, sw, ph, pw, lo, hi]),
        )
        lw.emit(
            "pool_f32",
            f"tflc_{kind}_pool_f32(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
            [params],
        )
        return
    lo, hi = _act_range(act, y.scale, y.zero_point)
    params = lw.param(
        "params",
        "tflc_pool_s8_params",
        _struct([n, ih, iw, c, oh, ow, kh, kw, sh, sw, ph, pw, lo, hi]),
    )
    lw.emit(
        f"{kind}_pool_s8",
        f"tflc_{kind}_pool_s8(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
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
    if x.dtype == "float32" and kind != "mean":
        raise lw.fail(f"float {lw.op.name} has no MCU kernel")
    if x.dtype == "float32":
        params = lw.param("params", "tflc_reduce_f32_params", _struct([outer, reduced, inner]))
        lw.emit(
            "reduce_f32",
            f"tflc_mean_f32(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
            [params],
        )
        return
    rank = len(x.shape)
    norm = sorted(a % rank for a in axes)
    keep_dims = lw.attr("keep_dims")
    mult, shift = qz.quantize_multiplier(x.scale / y.scale)
    if kind == "max":
        mode = 3
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
        _struct([outer, reduced, inner, mode, x.zero_point, y.zero_point, mult, shift, table_name]),
    )
    params_list.append(params)
    lw.emit(
        "mean_s8",
        f"tflc_mean_s8(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        params_list,
    )


def _softmax(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    depth = x.shape[-1]
    rows = x.size // depth
    beta = float(lw.attr("beta"))
    if x.dtype == "float32":
        params = lw.param(
            "params", "tflc_softmax_f32_params", _struct([rows, depth, _float_literal(beta)])
        )
        lw.emit(
            "softmax_f32",
            f"tflc_softmax_f32(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
            [params],
        )
        return
    if y.dtype != "int8" or abs(y.scale - 1 / 256) > 1e-12 or y.zero_point != -128:
        raise lw.fail("int8 softmax needs an int8 output with scale 1/256 and zero point -128")
    table = lw.param("exp_table", "int32_t", qz.softmax_exp_table(x.scale, qz.f32(beta)))
    params = lw.param("params", "tflc_softmax_s8_params", _struct([rows, depth, table.name]))
    lw.emit(
        "softmax_s8",
        f"tflc_softmax_s8(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [table, params],
    )


def _requantize(lw: Lowering, real: float, lo: int, hi: int) -> None:
    x, y = lw.operand(0), lw.result()
    mult, shift = qz.quantize_multiplier(real)
    params = lw.param(
        "params",
        "tflc_requantize_s8_params",
        _struct([x.size, x.zero_point, y.zero_point, mult, shift, lo, hi]),
    )
    lw.emit(
        "requantize_s8",
        f"tflc_requantize_s8(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [params],
        overlap=0,
    )


def _relu(lw: Lowering, act: str) -> None:
    x, y = lw.operand(0), lw.result()
    if x.dtype == "float32":
        lo, hi = _float_act(act)
        params = lw.param("params", "tflc_clamp_f32_params", _struct([x.size, lo, hi]))
        lw.emit(
            "elementwise_f32",
            f"tflc_clamp_f32(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
            [params],
            overlap=0,
        )
        return
    lo, hi = _act_range(act, y.scale, y.zero_point)
    # activations.cc: `double real_multiplier = input->params.scale / output->params.scale`
    _requantize(lw, float(np.float32(x.scale) / np.float32(y.scale)), lo, hi)


def _quantize(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    if x.dtype == "float32" and y.dtype == "int8":
        lw.emit(
            "quantize_io",
            f"tflc_quantize_f32_s8({x.size}, {_float_literal(y.scale)}, {y.zero_point}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
        )
    elif x.dtype == "int8" and y.dtype == "int8":
        _requantize(lw, x.scale / y.scale, -128, 127)
    else:
        raise lw.fail(f"quantize from {x.dtype} to {y.dtype} is not supported")


def _dequantize(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    if x.dtype != "int8" or y.dtype != "float32":
        raise lw.fail(f"dequantize from {x.dtype} to {y.dtype} is not supported")
    lw.emit(
        "quantize_io",
        f"tflc_dequantize_s8_f32({x.size}, {_float_literal(x.scale)}, {x.zero_point}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
    )


def _alias(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    lw.aliases[y.id] = lw.aliases.get(x.id, x.id)


def _concatenation(lw: Lowering) -> None:
    xs = [lw.operand(i) for i in range(len(lw.op.operands))]
    y = lw.result()
    if lw.attr("fused_activation_function") != "NONE":
        raise lw.fail("concatenation with a fused activation is not supported")
    if y.dtype == "int8" and any((x.scale, x.zero_point) != (y.scale, y.zero_point) for x in xs):
        raise lw.fail("int8 concatenation of inputs with differing quantization is not supported")
    axis = lw.attr("axis") % len(y.shape)
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
        "params", "tflc_pad_params", _struct([_struct(in4), _struct(out4), _struct(before), elem])
    )
    lw.emit(
        "data_movement",
        f"tflc_pad(&{{p:{params.name}}}, {{t:{x.id}}}, {{p:{pv.name}}}, {{t:{y.id}}})",
        [x],
        [y],
        [pv, params],
    )


def _contiguous_strides(shape) -> list[int]:
    strides, acc = [0] * len(shape), 1
    for i in range(len(shape) - 1, -1, -1):
        strides[i] = acc
        acc *= shape[i]
    return strides


def _strided_copy(lw: Lowering, x: Tensor, y: Tensor, shape, strides, offset: int) -> None:
    if len(shape) > 8:
        raise lw.fail("data movement over more than 8 dimensions is not supported")
    shape8 = [1] * (8 - len(shape)) + [int(d) for d in shape]
    strides8 = [0] * (8 - len(strides)) + [int(s) for s in strides]
    params = lw.param(
        "params",
        "tflc_strided_copy_params",
        _struct([_struct(shape8), _struct(strides8), int(offset), np.dtype(x.dtype).itemsize]),
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
    strides = _contiguous_strides(x.shape)
    _strided_copy(lw, x, y, [x.shape[p] for p in perm], [strides[p] for p in perm], 0)


def _strided_slice(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    begin, end, step = (np.ravel(lw.const(lw.operand(i))).tolist() for i in (1, 2, 3))
    if lw.attr("ellipsis_mask") or lw.attr("new_axis_mask"):
        raise lw.fail("strided_slice with ellipsis or new axes is not supported")
    masks = {k: lw.attr(k) for k in ("begin_mask", "end_mask", "shrink_axis_mask")}
    offset_mode = bool(lw.attr("offset")) if "offset" in lw.op.attributes else False
    strides = _contiguous_strides(x.shape)
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
    _strided_copy(lw, x, y, shape, in_strides, offset)


def _slice(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    begin = np.ravel(lw.const(lw.operand(1))).tolist()
    strides = _contiguous_strides(x.shape)
    _strided_copy(
        lw, x, y, y.shape, strides, sum(b * s for b, s in zip(begin, strides, strict=True))
    )


def _split(lw: Lowering, sizes_operand: bool = False) -> None:
    if sizes_operand:  # split_v(input, size_splits, axis)
        x, axis_t = lw.operand(0), lw.operand(2)
    else:  # split(axis, input)
        axis_t, x = lw.operand(0), lw.operand(1)
    axis = int(np.ravel(lw.const(axis_t))[0]) % len(x.shape)
    strides = _contiguous_strides(x.shape)
    at = 0
    for k in range(len(lw.op.results)):
        y = lw.result(k)
        _strided_copy(lw, x, y, y.shape, strides, at * strides[axis])
        at += y.shape[axis]


def _tile(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    multiples = np.ravel(lw.const(lw.operand(1))).tolist()
    strides = _contiguous_strides(x.shape)
    shape, in_strides = [], []
    for m, d, s in zip(multiples, x.shape, strides, strict=True):
        shape += [m, d]
        in_strides += [0, s]
    _strided_copy(lw, x, y, shape, in_strides, 0)


def _gather(lw: Lowering) -> None:
    x, idx_t, y = lw.operand(0), lw.operand(1), lw.result()
    if lw.attr("batch_dims"):
        raise lw.fail("gather with batch_dims is not supported")
    axis = lw.attr("axis") % len(x.shape)
    indices = [int(i) % x.shape[axis] for i in np.ravel(lw.const(idx_t))]
    outer = int(np.prod(x.shape[:axis], dtype=np.int64))
    inner = int(np.prod(x.shape[axis + 1 :], dtype=np.int64)) * np.dtype(x.dtype).itemsize
    table = lw.param("indices", "int32_t", indices)
    lw.emit(
        "data_movement",
        f"tflc_gather({outer}, {x.shape[axis]}, {inner}, {len(indices)}, {{p:{table.name}}}, "
        f"{{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [table],
    )


def _transpose_conv(lw: Lowering) -> None:
    w, x, b = lw.operand(1), lw.operand(2), lw.operand(3)
    y = lw.result()
    lw.const(w)
    if x.dtype != "int8":
        raise lw.fail("only int8 transpose_conv has an MCU kernel")
    n, ih, iw, ic = _nhwc(x.shape)
    _, oh, ow, oc = _nhwc(y.shape)
    kh, kw = w.shape[1], w.shape[2]
    sh, sw = lw.attr("stride_h"), lw.attr("stride_w")
    pad = lw.attr("padding")

    def conv_out(size: int, k: int, s: int) -> int:
        return (size + s - 1) // s if pad == "SAME" else (size - k + s) // s

    # transpose_conv.cc: the padding of the forward convolution from the output back to the input
    ph = _padding(pad, oh, kh, sh, 1, conv_out(oh, kh, sh))
    pw = _padding(pad, ow, kw, sw, 1, conv_out(ow, kw, sw))
    act = (
        lw.attr("fused_activation_function")
        if "fused_activation_function" in lw.op.attributes
        else "NONE"
    )
    lo, hi = _act_range(act, y.scale, y.zero_point)
    mults, shifts = _multipliers([x.scale * s / y.scale for s in _per_channel(w.scale, oc)])
    pm = lw.param("multiplier", "int32_t", mults)
    ps = lw.param("shift", "int8_t", shifts)
    fields = [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, ph, pw]
    fields += [-x.zero_point, y.zero_point, lo, hi, pm.name, ps.name]
    params = lw.param("params", "tflc_transpose_conv_s8_params", _struct(fields))
    bias = f"{{t:{b.id}}}" if b else "0"
    lw.emit(
        "transpose_conv_s8",
        f"tflc_transpose_conv_s8(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{w.id}}}, {bias}, "
        f"{{t:{y.id}}})",
        [x, w] + ([b] if b else []),
        [y],
        [pm, ps, params],
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
        index = qz.tflite_round(float(value)) if align_corners else int(np.floor(value))
        index = min(index, in_size - 1)
        result.append(max(0, index) if half_pixel else index)
    return result


def _resize(lw: Lowering, kind: str) -> None:
    x, y = lw.operand(0), lw.result()
    n, ih, iw, c = _nhwc(x.shape)
    _, oh, ow, _ = _nhwc(y.shape)
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
    if x.dtype != "int8" or (x.scale, x.zero_point) != (y.scale, y.zero_point):
        raise lw.fail("only int8 resize_bilinear with equal in/out quantization is supported")

    def scale_10(i: int, o: int) -> int:
        if align and o > 1:
            return ((1 << 10) * (i - 1) + (o - 1) // 2) // (o - 1)
        return ((1 << 10) * i + o // 2) // o

    fields = [n, ih, iw, c, oh, ow, scale_10(ih, oh), scale_10(iw, ow), int(half)]
    params = lw.param("params", "tflc_resize_bilinear_s8_params", _struct(fields))
    lw.emit(
        "resize_s8",
        f"tflc_resize_bilinear_s8(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [params],
    )


def _float_transform(name: str, op_attr):
    """The float32 function LiteRT tabulates for an int8 op (LUTPopulate)."""
    f = np.float32
    if name == "tfl.tanh":
        return lambda x: np.tanh(x.astype(np.float64)).astype(f)
    if name == "tfl.logistic":
        return lambda x: f(1) / (f(1) + np.exp(-x.astype(np.float64)).astype(f))
    if name == "tfl.elu":
        return lambda x: np.where(x < 0, np.expm1(x.astype(np.float64)).astype(f), x)
    if name == "tfl.gelu":
        from math import erf, sqrt, tanh

        if op_attr("approximate"):
            k = f(sqrt(2.0 / np.pi))
            return lambda x: np.array(
                [
                    f(f(0.5) * v) * f(f(1) + f(tanh(float(k * (v + f(0.044715) * v * v * v)))))
                    for v in x
                ],
                dtype=f,
            )
        return lambda x: np.array(
            [f(float(f(0.5) * v) * (1.0 + erf(float(v) * sqrt(0.5)))) for v in x], dtype=f
        )
    raise KeyError(name)


def _unary_lut(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    if lw.op.name == "tfl.elu" and x.dtype == "float32":
        lw.emit(
            "elu_f32",
            f"tflc_elu_f32({x.size}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
            overlap=0,
        )
        return
    if x.dtype != "int8" or y.dtype != "int8":
        raise lw.fail(f"only int8 {lw.op.name} has an MCU kernel")
    name = lw.op.name
    if name == "tfl.leaky_relu":
        table = qz.leaky_relu_lut(x.scale, x.zero_point, y.scale, y.zero_point, lw.attr("alpha"))
    elif name == "tfl.rsqrt":
        table = qz.rsqrt_lut(x.scale, x.zero_point, y.scale, y.zero_point)
    elif name == "tfl.hard_swish":
        table = qz.hard_swish_lut(x.scale, x.zero_point, y.scale, y.zero_point)
    else:
        transform = _float_transform(name, lw.attr)
        table = qz.float_lut(x.scale, x.zero_point, y.scale, y.zero_point, transform)
    lut = lw.param("table", "int8_t", table)
    lw.emit(
        "lut_s8",
        f"tflc_lut_s8({x.size}, {{p:{lut.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [lut],
        overlap=0,
    )


def _neg(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    if x.dtype != "float32":
        raise lw.fail("only float neg has an MCU kernel")
    lw.emit(
        "elementwise_f32",
        f"tflc_neg_f32({x.size}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        overlap=0,
    )


def _batch_matmul(lw: Lowering) -> None:
    a, b, y = lw.operand(0), lw.operand(1), lw.result()
    if a.dtype != "int8" or b.dtype != "int8":
        raise lw.fail("only int8 batch_matmul has an MCU kernel")
    if len(a.shape) < 2 or a.shape[:-2] != b.shape[:-2]:
        raise lw.fail("batch_matmul with broadcast batch dimensions is not supported")
    adj_x, adj_y = bool(lw.attr("adj_x")), bool(lw.attr("adj_y"))
    rows, depth = (a.shape[-1], a.shape[-2]) if adj_x else (a.shape[-2], a.shape[-1])
    cols = b.shape[-2] if adj_y else b.shape[-1]
    batches = int(np.prod(a.shape[:-2], dtype=np.int64))
    lhs_strides = (1, a.shape[-1]) if adj_x else (a.shape[-1], 1)  # (row, depth)
    rhs_strides = (1, b.shape[-1]) if adj_y else (b.shape[-1], 1)  # (depth, col)
    f = np.float32
    # GetQuantizedConvolutionMultipler: the scales' product in float, then double
    mult, shift = qz.quantize_multiplier(float(f(a.scale) * f(b.scale)) / y.scale)
    fields = [batches, rows, depth, cols]
    fields += [a.shape[-1] * a.shape[-2], *lhs_strides, b.shape[-1] * b.shape[-2], *rhs_strides]
    fields += [-a.zero_point, -b.zero_point, y.zero_point, mult, shift, -128, 127]
    params = lw.param("params", "tflc_batch_matmul_s8_params", _struct(fields))
    lw.emit(
        "batch_matmul_s8",
        f"tflc_batch_matmul_s8(&{{p:{params.name}}}, {{t:{a.id}}}, {{t:{b.id}}}, {{t:{y.id}}})",
        [a, b],
        [y],
        [params],
    )


HANDLERS = {
    "tfl.conv_2d": lambda lw: _conv(lw, False),
    "tfl.depthwise_conv_2d": lambda lw: _conv(lw, True),
    "tfl.fully_connected": _fully_connected,
    "tfl.add": lambda lw: _binary(lw, "add"),
    "tfl.mul": lambda lw: _binary(lw, "mul"),
    "tfl.average_pool_2d": lambda lw: _pool(lw, "average"),
    "tfl.max_pool_2d": lambda lw: _pool(lw, "max"),
    "tfl.mean": _mean,
    "tfl.softmax": _softmax,
    "tfl.relu": lambda lw: _relu(lw, "RELU"),
    "tfl.relu6": lambda lw: _relu(lw, "RELU6"),
    "tfl.relu_n1_to_1": lambda lw: _relu(lw, "RELU_N1_TO_1"),
    "tfl.quantize": _quantize,
    "tfl.dequantize": _dequantize,
    "tfl.reshape": _alias,
    "tfl.squeeze": _alias,
    "tfl.expand_dims": _alias,
    "tfl.concatenation": _concatenation,
    "tfl.pad": _pad,
    "tfl.padv2": _pad,
    "tfl.sub": lambda lw: _binary(lw, "sub"),
    "tfl.maximum": lambda lw: _binary(lw, "maximum"),
    "tfl.minimum": lambda lw: _binary(lw, "minimum"),
    "tfl.reduce_max": lambda lw: _mean(lw, "max"),
    "tfl.sum": lambda lw: _mean(lw, "sum"),
    "tfl.transpose": _transpose,
    "tfl.strided_slice": _strided_slice,
    "tfl.slice": _slice,
    "tfl.split": _split,
    "tfl.split_v": lambda lw: _split(lw, sizes_operand=True),
    "tfl.tile": _tile,
    "tfl.gather": _gather,
    "tfl.transpose_conv": _transpose_conv,
    "tfl.prelu": lambda lw: _binary(lw, "prelu"),
    "tfl.squared_difference": lambda lw: _binary(lw, "squared_difference"),
    "tfl.batch_matmul": _batch_matmul,
    "tfl.neg": _neg,
    "tfl.tanh": _unary_lut,
    "tfl.rsqrt": _unary_lut,
    "tfl.elu": _unary_lut,
    "tfl.logistic": _unary_lut,
    "tfl.gelu": _unary_lut,
    "tfl.leaky_relu": _unary_lut,
    "tfl.hard_swish": _unary_lut,
    "tfl.resize_bilinear": lambda lw: _resize(lw, "bilinear"),
    "tfl.resize_nearest_neighbor": lambda lw: _resize(lw, "nearest"),
}

SUPPORTED_OPS = sorted(HANDLERS)
