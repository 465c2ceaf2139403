"""int8 convs and fully-connected layers through each dot product of the cpu target
(backends/cpu/kernels_int8_dot.py), bit-exact with LiteRT's builtin kernels: `vpdpbusd` on
512-bit vectors (AVX512-VNNI) and on 256-bit ones (AVX-VNNI, compiled for Alder Lake) and int16
pairs (AVX2, compiled for Haswell), each run on this host where it has the instructions
(Cascade Lake: AVX512-VNNI without VBMI's byte permutes).
The shapes hit the packing's edges: reductions that are not a multiple of the group (K < 4,
odd channel counts per tap), output channels past one panel or short of one vector, padded
taps reading a nonzero (and extreme) input zero point, per-channel weight scales.
"""

from __future__ import annotations

import textwrap
import zlib

import numpy as np
import pytest
import tflc
from corpus import litert_run
from test_cpu_int8 import assert_bit_exact
from tflc.backends.cpu.codegen import target_spec
from tflc.compiler import compile as tflc_compile

HOST = target_spec()
HOST_FEATURES = set(HOST.features.split(","))


def _cpu_param(cpu: str | None, needs: set[str], why: str):
    ok = HOST.triple.startswith("x86_64") and needs <= HOST_FEATURES
    return pytest.param(cpu, id=cpu or "host", marks=pytest.mark.skipif(not ok, reason=why))


CPUS = [
    _cpu_param(None, set(), ""),
    _cpu_param("alderlake", {"+avxvnni", "+avx2"}, "host has no AVX-VNNI"),
    _cpu_param("cascadelake", {"+avx512vnni", "+avx512bw", "+avx512vl"}, "no AVX512-VNNI"),
    _cpu_param("haswell", {"+avx2", "+fma"}, "host has no AVX2"),
]


def _i8(shape, rng, lo: int = -128, hi: int = 127) -> np.ndarray:
    return rng.integers(lo, hi + 1, size=shape).astype(np.int8)


def _quant_weights(n_out: int, per_channel: bool, in_scale: float):
    """(weight type, bias type) with scales per output channel or one for all."""
    scales = [0.002 * (1 + (c * 7) % 5) for c in range(n_out)] if per_channel else [0.004]
    if per_channel:
        wq = "!quant.uniform<i8<-127:127>:f32:0, {" + ", ".join(map(str, scales)) + "}>"
        bq = "!quant.uniform<i32:f32:0, {" + ", ".join(str(in_scale * s) for s in scales) + "}>"
    else:
        wq = f"!quant.uniform<i8<-127:127>:f32, {scales[0]}>"
        bq = f"!quant.uniform<i32:f32, {in_scale * scales[0]}>"
    return wq, bq


def _run(text: str, inputs: list[np.ndarray], cpu: str | None) -> None:
    text = textwrap.dedent(text)
    flatbuffer = tflc_compile(tflc.parse(text, "dot_case.mlir"), target="tflite").flatbuffer
    ref = litert_run(flatbuffer, inputs, kernels="builtin")
    options = {"cpu": cpu} if cpu else {}
    got = tflc_compile(tflc.parse(text, "dot_case.mlir"), target="cpu", **options)(*inputs)
    assert_bit_exact(got, ref)


# (input NHWC, cout, (kh, kw), stride, padding, dilation, input zero point, per-channel, act)
CONVS = {
    "1x1_k3_cout70": ((1, 5, 7, 3), 70, (1, 1), 1, "VALID", 1, -128, True, "NONE"),
    "1x1_k13_batch2": ((2, 3, 5, 13), 17, (1, 1), 1, "VALID", 1, 127, False, "RELU"),
    "1x1_k64_cout8": ((1, 4, 4, 64), 8, (1, 1), 1, "VALID", 1, 0, True, "NONE"),
    "3x3_same_cin7": ((1, 6, 9, 7), 33, (3, 3), 1, "SAME", 1, 55, True, "RELU6"),
    "3x3_s2_cin3": ((1, 11, 10, 3), 24, (3, 3), 2, "SAME", 1, -3, True, "RELU6"),
    "2x3_dilated_cin6": ((1, 9, 10, 6), 5, (2, 3), 1, "VALID", 2, -100, False, "NONE"),
    "1x1_s2_cin9": ((1, 7, 7, 9), 16, (1, 1), 2, "SAME", 1, 9, True, "NONE"),
    "5x5_same_cin1": ((1, 6, 5, 1), 19, (5, 5), 1, "SAME", 1, 127, True, "NONE"),
}


@pytest.mark.parametrize("cpu", CPUS)
@pytest.mark.parametrize("case", list(CONVS))
def test_int8_conv_is_bit_exact_with_litert(case: str, cpu: str | None) -> None:
    shape, cout, (kh, kw), stride, padding, dilation, zp, per_channel, act = CONVS[case]
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    n, h, w, cin = shape
    in_scale = 0.05
    xq = f"!quant.uniform<i8:f32, {in_scale}:{zp}>"
    yq = "!quant.uniform<i8:f32, 0.07:-9>"
    wq, bq = _quant_weights(cout, per_channel, in_scale)
    weights = _i8((cout, kh, kw, cin), rng, -127, 127).tolist()
    bias = rng.integers(-5000, 5000, size=cout).tolist()
    oh = -(-h // stride) if padding == "SAME" else (h - (kh - 1) * dilation - 1) // stride + 1
    ow = -(-w // stride) if padding == "SAME" else (w - (kw - 1) * dilation - 1) // stride + 1
    x_ty, y_ty = f"tensor<{n}x{h}x{w}x{cin}x{xq}>", f"tensor<{n}x{oh}x{ow}x{cout}x{yq}>"
    w_ty = f"tensor<{cout}x{kh}x{kw}x{cin}x{wq}>"
    text = f"""
    func.func @main(%x: {x_ty}) -> {y_ty} {{
      %w = "tfl.pseudo_qconst"() {{qtype = {w_ty},
        value = dense<{weights}> : tensor<{cout}x{kh}x{kw}x{cin}xi8>}} : () -> {w_ty}
      %b = "tfl.pseudo_qconst"() {{qtype = tensor<{cout}x{bq}>,
        value = dense<{bias}> : tensor<{cout}xi32>}} : () -> tensor<{cout}x{bq}>
      %y = "tfl.conv_2d"(%x, %w, %b) {{dilation_h_factor = {dilation} : i32,
        dilation_w_factor = {dilation} : i32, fused_activation_function = "{act}",
        padding = "{padding}", quantized_bias_type = "FLOAT32", stride_h = {stride} : i32,
        stride_w = {stride} : i32}} : ({x_ty}, {w_ty}, tensor<{cout}x{bq}>) -> {y_ty}
      return %y : {y_ty}
    }}
    """
    _run(text, [_i8(shape, rng)], cpu)


# (rows, K, N, input zero point)
FCS = {"k130_n67": (9, 130, 67, 21), "k1_n3": (5, 1, 3, -128), "k4_n64": (4, 4, 64, 0)}


@pytest.mark.parametrize("cpu", CPUS)
@pytest.mark.parametrize("case", list(FCS))
def test_int8_fully_connected_is_bit_exact_with_litert(case: str, cpu: str | None) -> None:
    rows, depth, n, zp = FCS[case]
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    in_scale = 0.05
    xq, yq = f"!quant.uniform<i8:f32, {in_scale}:{zp}>", "!quant.uniform<i8:f32, 0.2:4>"
    wq, bq = _quant_weights(n, False, in_scale)
    weights = _i8((n, depth), rng, -127, 127).tolist()
    bias = rng.integers(-5000, 5000, size=n).tolist()
    x_ty, y_ty, w_ty = (
        f"tensor<{rows}x{depth}x{xq}>",
        f"tensor<{rows}x{n}x{yq}>",
        f"tensor<{n}x{depth}x{wq}>",
    )
    text = f"""
    func.func @main(%x: {x_ty}) -> {y_ty} {{
      %w = "tfl.pseudo_qconst"() {{qtype = {w_ty},
        value = dense<{weights}> : tensor<{n}x{depth}xi8>}} : () -> {w_ty}
      %b = "tfl.pseudo_qconst"() {{qtype = tensor<{n}x{bq}>,
        value = dense<{bias}> : tensor<{n}xi32>}} : () -> tensor<{n}x{bq}>
      %y = "tfl.fully_connected"(%x, %w, %b) {{fused_activation_function = "NONE",
        keep_num_dims = false, weights_format = "DEFAULT",
        asymmetric_quantize_inputs = false, quantized_bias_type = "FLOAT32"}}
        : ({x_ty}, {w_ty}, tensor<{n}x{bq}>) -> {y_ty}
      return %y : {y_ty}
    }}
    """
    _run(text, [_i8((rows, depth), rng)], cpu)
