"""int8 depthwise convs on the cpu target, bit-exact with LiteRT's builtin kernels, over the
edges of its window kernel (backends/cpu/kernels_int8_window.py): taps in pairs with a lone
last one (9 and 25 taps) or none (4), channel counts that end in a partial vector (down to one
channel), padded taps reading extreme input zero points, strides, dilation, a depth
multiplier, per-channel scales; compiled for the host and, where this host runs them, for
the other CPUs of test_cpu_int8_dot and baseline x86-64.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from test_cpu_int8_dot import CPUS, _cpu_param, _i8, _quant_weights, _run

# host: taps in fours through vpdpbusd where it has AVX512-VNNI and VBMI; Cascade Lake
# (AVX512-VNNI, no VBMI) and Alder Lake (AVX-VNNI): pairs
DW_CPUS = [*CPUS, _cpu_param("x86-64", set(), "")]

# (input NHWC, (kh, kw), stride, padding, dilation, depth multiplier, input zero point, act)
DEPTHWISE = {
    "3x3_same_c33": ((1, 7, 9, 33), (3, 3), 1, "SAME", 1, 1, -128, "RELU6"),
    "3x3_s2_c17": ((1, 9, 8, 17), (3, 3), 2, "SAME", 1, 1, 127, "NONE"),
    "5x5_same_c40": ((1, 6, 7, 40), (5, 5), 1, "SAME", 1, 1, 13, "RELU"),
    "2x2_valid_c16": ((2, 5, 6, 16), (2, 2), 1, "VALID", 1, 1, -7, "NONE"),
    "3x3_dilated_c5": ((1, 8, 9, 5), (3, 3), 1, "SAME", 2, 1, 60, "NONE"),
    "3x3_multiplier2": ((1, 6, 6, 7), (3, 3), 1, "SAME", 1, 2, -3, "RELU6"),
}


@pytest.mark.parametrize("cpu", DW_CPUS)
@pytest.mark.parametrize("case", list(DEPTHWISE))
def test_int8_depthwise_is_bit_exact_with_litert(case: str, cpu: str | None) -> None:
    shape, (kh, kw), stride, padding, dilation, mult, zp, act = DEPTHWISE[case]
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    n, h, w, cin = shape
    cout = cin * mult
    in_scale = 0.05
    xq = f"!quant.uniform<i8:f32, {in_scale}:{zp}>"
    yq = "!quant.uniform<i8:f32, 0.06:5>"
    wq, bq = _quant_weights(cout, True, in_scale)
    wq = wq.replace(":f32:0,", ":f32:3,")  # depthwise filters are [1, KH, KW, Cout]
    weights = _i8((1, kh, kw, cout), rng, -127, 127).tolist()
    bias = rng.integers(-3000, 3000, size=cout).tolist()
    span_h, span_w = (kh - 1) * dilation + 1, (kw - 1) * dilation + 1
    oh = -(-h // stride) if padding == "SAME" else (h - span_h) // stride + 1
    ow = -(-w // stride) if padding == "SAME" else (w - span_w) // stride + 1
    x_ty, y_ty = f"tensor<{n}x{h}x{w}x{cin}x{xq}>", f"tensor<{n}x{oh}x{ow}x{cout}x{yq}>"
    w_ty = f"tensor<1x{kh}x{kw}x{cout}x{wq}>"
    text = f"""
    func.func @main(%x: {x_ty}) -> {y_ty} {{
      %w = "tfl.pseudo_qconst"() {{qtype = {w_ty},
        value = dense<{weights}> : tensor<1x{kh}x{kw}x{cout}xi8>}} : () -> {w_ty}
      %b = "tfl.pseudo_qconst"() {{qtype = tensor<{cout}x{bq}>,
        value = dense<{bias}> : tensor<{cout}xi32>}} : () -> tensor<{cout}x{bq}>
      %y = "tfl.depthwise_conv_2d"(%x, %w, %b) {{depth_multiplier = {mult} : i32,
        dilation_h_factor = {dilation} : i32, dilation_w_factor = {dilation} : i32,
        fused_activation_function = "{act}", padding = "{padding}",
        stride_h = {stride} : i32, stride_w = {stride} : i32}}
        : ({x_ty}, {w_ty}, tensor<{cout}x{bq}>) -> {y_ty}
      return %y : {y_ty}
    }}
    """
    _run(text, [_i8(shape, rng)], cpu)
