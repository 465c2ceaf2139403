"""Lowerings of float32 CONV_3D and CONV_3D_TRANSPOSE (kernels/conv3d_f32.c); geometry from
runtime/kernels/geometry."""

from __future__ import annotations

from tflc.backends.mcu.lowering import Lowering
from tflc.backends.mcu.ops_common import float_act, struct
from tflc.runtime.kernels.geometry import conv_axis


def _conv_3d(lw: Lowering, transpose: bool = False) -> None:
    """CONV_3D(input, filter, bias); CONV_3D_TRANSPOSE(output_shape, filter, input, bias)."""
    if transpose:
        w, x, bias = lw.operand(1), lw.operand(2), lw.operand(3)
    else:
        x, w, bias = lw.operand(0), lw.operand(1), lw.operand(2)
    y = lw.result()
    name = lw.op.name.removeprefix("tfl.")
    if x.dtype != "float32" or w.dtype != "float32":
        raise lw.fail(f"{name} of {x.dtype} with {w.dtype} filters has no MCU kernel")
    if len(x.shape) != 5:
        raise lw.fail(f"{name} expects a 5-D NDHWC input, got shape {list(x.shape)}")
    if transpose:
        kd, kh, kw, out_c, in_c = w.shape
    else:
        kd, kh, kw, in_c, out_c = w.shape
    if in_c != x.shape[4]:
        raise lw.fail(f"grouped {name} ({x.shape[4]} input channels, {in_c} per filter)")
    strides = [lw.attr(f"stride_{a}") for a in "dhw"]
    dilations = [lw.attr(f"dilation_{a}_factor") for a in "dhw"]
    # the padding of the convolution whose input is the larger side (the transpose's output)
    big = y if transpose else x
    geometry = [
        conv_axis(lw.attr("padding"), n, k, s, d)
        for n, k, s, d in zip(big.shape[1:4], (kd, kh, kw), strides, dilations, strict=True)
    ]
    lo, hi = float_act(lw.attr("fused_activation_function"))
    fields = [
        x.shape[0],
        struct(x.shape[1:4]),
        in_c,
        struct(y.shape[1:4]),
        out_c,
        struct([kd, kh, kw]),
        struct(strides),
        struct(dilations),
        struct([g.before for g in geometry]),
        lo,
        hi,
    ]
    params = lw.param("params", "tflc_conv3d_f32_params", struct(fields))
    inputs = [x, w] + ([bias] if bias is not None else [])
    bias_arg = f"{{t:{bias.id}}}" if bias is not None else "0"
    function = "tflc_conv3d_transpose_f32" if transpose else "tflc_conv3d_f32"
    lw.emit(
        "conv3d_f32",
        f"{function}(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{w.id}}}, {bias_arg}, {{t:{y.id}}})",
        inputs,
        [y],
        [params],
    )


HANDLERS = {
    "tfl.conv_3d": _conv_3d,
    "tfl.conv_3d_transpose": lambda lw: _conv_3d(lw, transpose=True),
}
