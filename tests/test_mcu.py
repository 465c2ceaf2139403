"""The MCU target: generated C99 checked against LiteRT, built with sanitizers, on Cortex-M4.

Host runs use the sanitizer build (`-fsanitize=address,undefined`, exact-size heap buffers, a
poisoned arena). int8 results must equal LiteRT's reference kernels bit for bit (TFLite's
fixed-point rules, which TFLM shares) and, for these models, LiteRT's default kernels too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import tflc
from corpus import litert_run, sample_inputs, tf_model_path
from tflc.backends.mcu.memory_planner import window_overlap
from tflc.backends.tflite.flatbuffer_writer import write_model
from tflc.compiler import compile as tflc_compile
from tflc.errors import TflcError
from tflc.runtime.op_traits import INT8_TABLE
from tflc.runtime.tflite_model import read_model

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
needs_arm = pytest.mark.skipif(
    shutil.which("arm-none-eabi-gcc") is None, reason="needs gcc-arm-none-eabi"
)
needs_qemu = pytest.mark.skipif(
    shutil.which("qemu-system-arm") is None, reason="needs qemu-system-arm"
)

FAST_INT8_MODELS = ["mlp", "cnn", "upsample", "transformer"]
TFLM_MODELS = ["mlp", "cnn", "upsample"]  # TFLM's interpreter loads these
# LiteRT's default path (XNNPACK) requantizes in fp32 and so differs from TFLite's reference
# arithmetic on some ops (e.g. broadcast MUL); these models happen to avoid them.
EXACT_WITH_XNNPACK = {"mlp", "cnn"}
TFLM_ARENA_LIMIT = 0.8  # the bound: tflc arena <= 0.8x TFLM's


@cache
def compiled(name: str, mode: str = "int8", compare_tflm: bool = False):
    return tflc_compile(
        str(tf_model_path(name, mode)),
        target="mcu",
        measure_flash=False,
        compare_tflm=compare_tflm,
    )


def _check_int8(name: str, seeds=(0, 1, 2)) -> None:
    path = tf_model_path(name, "int8")
    cm = compiled(name)
    for seed in seeds:
        x = sample_inputs(path, seed)
        got = cm(*x, sanitize=True)
        for kernels in ("reference", "default") if name in EXACT_WITH_XNNPACK else ("reference",):
            want = litert_run(path, x, kernels=kernels)
            for g, w in zip(got, want, strict=True):
                assert g.dtype == w.dtype and g.shape == w.shape
                np.testing.assert_array_equal(g, w, err_msg=f"{name} seed {seed} vs {kernels}")


@needs_gcc
@pytest.mark.parametrize("name", FAST_INT8_MODELS)
def test_int8_bit_exact_with_litert(name):
    _check_int8(name)


@needs_gcc
@pytest.mark.parametrize("name", ["tensor_ops", "activations"])
def test_int8_matches_litert_optimized_within_one_step(name):
    """LiteRT's reference resolver lacks TILE v3 and ELU v1, so these models run on its
    optimized kernels, whose FULLY_CONNECTED (ruy) differs from the reference arithmetic by one
    step on rare elements."""
    path = tf_model_path(name, "int8")
    cm = compiled(name)
    for seed in (0, 1, 2):
        x = sample_inputs(path, seed)
        for g, w in zip(cm(*x, sanitize=True), litert_run(path, x, kernels="builtin"), strict=True):
            diff = np.abs(g.astype(np.int32) - w.astype(np.int32))
            assert diff.max() <= 1 and np.count_nonzero(diff) <= diff.size // 50 + 1


@needs_gcc
@pytest.mark.slow  # with a cold corpus cache, converting MobileNetV2 (four modes) passes 60 s
def test_mobilenet_v2_int8_bit_exact_with_litert_reference():
    path = tf_model_path("mobilenet_v2", "int8")
    cm = compiled("mobilenet_v2")
    x = sample_inputs(path, 0)
    got = cm(*x, sanitize=True)
    want = litert_run(path, x, kernels="reference")
    np.testing.assert_array_equal(got[0], want[0])


@needs_gcc
@pytest.mark.parametrize(
    "name", ["mlp", "cnn", "upsample", "activations", "tensor_ops", "transformer"]
)
def test_float32_within_1e5_of_litert(name):
    path = tf_model_path(name, "float32")
    cm = compiled(name, "float32")
    x = sample_inputs(path, 0)
    for g, w in zip(cm(*x, sanitize=True), litert_run(path, x), strict=True):
        # XNNPACK sums in another order: measured <= 3.7e-6 of max |w| (upsample, as far as
        # LiteRT's builtin kernels are from XNNPACK there), the others <= 5.4e-7
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


@needs_gcc
@pytest.mark.slow
def test_mobilenet_v2_float32_equals_litert_reference_kernels():
    """The float kernels sum in the reference kernels' order: identical results; XNNPACK's
    order differs within 1e-5 of the output's magnitude."""
    path = tf_model_path("mobilenet_v2", "float32")
    cm = compiled("mobilenet_v2", "float32")
    x = sample_inputs(path, 0)
    got = cm(*x)[0]
    np.testing.assert_array_equal(got, litert_run(path, x, kernels="reference")[0])
    want = litert_run(path, x)[0]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * np.abs(want).max())


@needs_gcc
def test_mediapipe_float16_model_matches_litert_reference(mediapipe_model_paths):
    """A production model with float16 weights (read as halves, converted exactly): the
    float kernels sum in the reference kernels' order, so the results are identical."""
    path = next(p for p in mediapipe_model_paths if p.name == "iris_landmark.tflite")
    cm = tflc_compile(str(path), target="mcu", measure_flash=False, compare_tflm=False)
    x = sample_inputs(path, 0)
    for g, w in zip(cm(*x), litert_run(path, x, kernels="reference"), strict=True):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("name", TFLM_MODELS)
def test_arena_at_most_0_8x_tflm(name):
    pytest.importorskip("tflite_micro")
    cm = compiled(name, compare_tflm=True)
    tflm = cm.report.get("tflm_arena_bytes")
    assert tflm, "TFLM reported no arena"
    assert cm.report["arena_bytes"] <= TFLM_ARENA_LIMIT * tflm, cm.report


def test_report_and_header_agree():
    cm = compiled("cnn")
    header = cm.files["model.h"].decode()
    size = int(re.search(r"#define TFLC_ARENA_SIZE (\d+)u", header).group(1))
    assert size == cm.report["arena_bytes"]
    assert "TFLC_INPUT0_SCALE" in header and "TFLC_OUTPUT0_ZERO_POINT -128" in header
    assert cm.inputs[0]["shape"] == [1, 32, 32, 3] and cm.outputs[0]["dtype"] == np.int8


def test_only_needed_kernels_are_copied():
    files = compiled("mlp").files
    kernels = sorted(p.removeprefix("kernels/") for p in files if p.startswith("kernels/"))
    assert kernels == [
        "fully_connected_s8.c",
        "fully_connected_s8.h",
        "softmax_s8.c",
        "softmax_s8.h",
        "tflc_common.h",
    ]


@pytest.mark.parametrize("name", ["mlp", "cnn", "upsample"])  # no float ops in these
def test_int8_path_has_no_malloc_stdio_or_float(name):
    files = compiled(name).files
    model_sources = {
        path: data.decode()
        for path, data in files.items()
        if path.endswith((".c", ".h")) and not path.startswith("firmware/")
    }
    for path, text in model_sources.items():
        code = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        for word in ("malloc", "free(", "stdio", "printf", "float", "double", "math.h"):
            assert word not in code, f"{word!r} in {path}"


def test_output_is_deterministic():
    path = tf_model_path("cnn", "int8")
    a = tflc_compile(str(path), target="mcu", measure_flash=False, compare_tflm=False).files
    b = tflc_compile(str(path), target="mcu", measure_flash=False, compare_tflm=False).files
    assert a == b


@needs_arm
@needs_gcc
def test_generated_c_is_warning_free_for_host_and_cortex_m(tmp_path):
    cm = compiled("cnn")
    cm.save(tmp_path)
    # -Wall -Wextra -Werror are in build.ninja for every rule; -pedantic for the host.
    ninja = shutil.which("ninja") or None
    command = [ninja] if ninja else [sys.executable, "-m", "ninja"]
    subprocess.run(command + ["-C", str(tmp_path), "host/model_test", "cortex-m"], check=True)
    size = subprocess.run(
        ["arm-none-eabi-size", str(tmp_path / "cortex-m/libmodel.a")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "weights.o" in size.stdout


@needs_arm
def test_every_kernel_builds_warning_free_for_cortex_m(tmp_path):
    """The whole kernel library, not only what one model uses, under the arm rule's flags."""
    from tflc.backends.mcu.float_formulas_c import FORMULAS_HEADER, float_formulas_header
    from tflc.backends.mcu.program import KERNELS

    kernels = Path(tflc.__file__).parent / "backends" / "mcu" / "kernels"
    (tmp_path / FORMULAS_HEADER).write_text(float_formulas_header())
    flags = "-std=c99 -mcpu=cortex-m4 -mthumb -Os -Wall -Wextra -Werror".split()
    sources = sorted({s for srcs, _ in KERNELS.values() for s in srcs})
    for source in sources:
        subprocess.run(
            ["arm-none-eabi-gcc", *flags, f"-I{kernels}", f"-I{tmp_path}", "-c"]
            + [str(kernels / source), "-o", str(tmp_path / f"{source}.o")],
            check=True,
        )


@needs_arm
def test_flash_is_measured_with_arm_size():
    path = tf_model_path("mlp", "int8")
    assert "flash_bytes" not in tflc_compile(str(path), target="mcu", compare_tflm=False).report
    cm = tflc_compile(str(path), target="mcu", compare_tflm=False, measure_flash=True)
    report = cm.report
    assert report["flash_bytes"] == report["flash_code_bytes"] + report["flash_weight_bytes"]
    assert report["flash_weight_bytes"] >= report["weight_bytes"]
    assert 0 < report["flash_code_bytes"] < 16 * 1024


@needs_arm
@needs_qemu
def test_cortex_m4_firmware_under_qemu_matches_litert():
    path = tf_model_path("cnn", "int8")
    cm = compiled("cnn")
    x = sample_inputs(path, 3)
    status, outputs, console = cm.run_firmware(*x)
    assert status == 0, console
    assert outputs is not None, console
    np.testing.assert_array_equal(outputs[0], litert_run(path, x, kernels="reference")[0])


@needs_arm
@needs_qemu
def test_cortex_m4_float_firmware_under_qemu_within_1e5():
    """Soft-float Cortex-M4 with newlib's libm: within the float contract, not bit-equal."""
    path = tf_model_path("transformer", "float32")
    cm = compiled("transformer", "float32")
    x = sample_inputs(path, 1)
    status, outputs, console = cm.run_firmware(*x)
    assert status == 0 and outputs is not None, console
    np.testing.assert_allclose(outputs[0], litert_run(path, x)[0], rtol=1e-5, atol=1e-6)


# ---- errors: raised before anything is written -----------------------------------------------


def _cli(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tflc.tools.tflc_cli", *args], capture_output=True, text=True
    )


def test_max_arena_error_writes_nothing(tmp_path):
    out = tmp_path / "out"
    result = _cli(
        ["compile", str(tf_model_path("mlp", "int8")), "--target", "mcu", "-o", str(out)]
        + [
            "--max-arena",
            "100",
            "--option",
            "measure_flash=false",
            "--option",
            "compare_tflm=false",
        ]
    )
    assert result.returncode == 1
    assert re.search(r"^error: .*arena needs 192 bytes, more than the 100", result.stderr, re.M)
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_float_op_in_int8_only_build_is_an_error():
    with pytest.raises(TflcError, match=r"float op 'tfl.fully_connected' in an int8-only build"):
        tflc_compile(
            str(tf_model_path("mlp", "float32")), target="mcu", int8_only=True, compare_tflm=False
        )


@pytest.mark.parametrize("name", ["mlp", "cnn", "upsample"])
def test_dynamic_range_op_is_an_error_naming_it(name):
    # fully connected, depthwise and transpose conv with float activations and int8 weights:
    # refused by name, not lowered into float kernels that read int8 weights
    with pytest.raises(TflcError, match=r"hybrid \(dynamic-range\) 'tfl\.\w+' with float"):
        tflc_compile(str(tf_model_path(name, "dynamic")), target="mcu", compare_tflm=False)


def test_op_without_kernel_is_an_error_naming_it(tmp_path):
    # DENSIFY of a run-time tensor: an op the mcu target has no kernel for
    text = """
    func.func @main(%arg0: tensor<1x4xf32>) -> tensor<1x4xf32> {
      %0 = "tfl.densify"(%arg0) : (tensor<1x4xf32>) -> tensor<1x4xf32> loc("my_densify")
      return %0 : tensor<1x4xf32>
    }
    """
    module = tflc.parse(text)
    with pytest.raises(TflcError, match=r"op 'tfl.densify' has no MCU kernel") as info:
        tflc_compile(module, target="mcu", compare_tflm=False)
    assert "tfl.densify" in str(info.value.where)


def test_custom_op_without_kernel_is_an_error_naming_its_code():
    text = """
    func.func @main(%arg0: tensor<4xf32>) -> tensor<4xf32> {
      %0 = "tfl.custom"(%arg0) {custom_code = "MyOp", custom_option = #tfl<const_bytes : "0x">}
        : (tensor<4xf32>) -> tensor<4xf32>
      return %0 : tensor<4xf32>
    }
    """
    with pytest.raises(TflcError, match=r"custom op 'MyOp' has no MCU kernel"):
        tflc_compile(tflc.parse(text), target="mcu", compare_tflm=False)


def test_unsupported_fused_activation_names_the_op(tmp_path):
    model = read_model(tf_model_path("upsample", "float32"))
    sg = model.subgraphs[0]
    conv = next(op for op in sg.operators if model.operator_name(op) == "TRANSPOSE_CONV")
    conv.builtin_options[1]["fused_activation_function"] = "SIGN_BIT"
    path = tmp_path / "sign_bit.tflite"
    path.write_bytes(write_model(model))
    with pytest.raises(TflcError, match="fused activation SIGN_BIT is not supported") as e:
        tflc_compile(str(path), target="mcu", compare_tflm=False)
    assert "'tfl.transpose_conv' at " in str(e.value.where)


@needs_gcc
def test_slice_step_past_int32_on_a_single_element_compiles(tmp_path):
    # a fuzzer finding: a strided slice's step of 2^31 - 1 over a dimension it takes one
    # element of made a C stride past int32 (generated C that did not build)
    model = read_model(tf_model_path("tensor_ops", "int8"))
    graph = model.subgraphs[0]
    op = next(o for o in graph.operators if model.operator_name(o) == "STRIDED_SLICE")
    strides = graph.tensors[op.inputs[3]]
    values = np.frombuffer(model.buffer_data(strides), np.int32).copy()
    values[0] = 2**31 - 1
    model.buffers[strides.buffer] = values.tobytes()
    path = tmp_path / "huge_step.tflite"
    path.write_bytes(write_model(model))
    x = sample_inputs(path, 0)
    got = tflc_compile(str(path), target="mcu", compare_tflm=False)(*x, sanitize=True)
    # as test_int8_matches_litert_optimized_within_one_step: tensor_ops needs TILE v3, which
    # LiteRT's reference resolver lacks, and its optimized FULLY_CONNECTED rounds once apart
    for g, w in zip(got, litert_run(path, x, kernels="builtin"), strict=True):
        diff = np.abs(g.astype(np.int32) - w.astype(np.int32))
        assert diff.max() <= 1 and np.count_nonzero(diff) <= diff.size // 50 + 1


def test_unknown_option_is_an_error():
    with pytest.raises(TflcError, match="unknown MCU option"):
        tflc_compile(str(tf_model_path("mlp", "int8")), target="mcu", arena_limit=1)


# ---- the planner -----------------------------------------------------------------------------


def test_window_overlap_geometry():
    # A 1x1 convolution widening 16 -> 96 channels over 112x112 can write over its input when
    # the input sits at the end of the output, one input pixel (16 bytes) past it.
    d = window_overlap((1, 112, 112, 16), (112, 112, 96), (1, 1), (1, 1), (0, 0), (1, 1), False)
    assert d == 112 * 112 * (96 - 16) + 16
    # A stride-2 depthwise convolution can run exactly in place.
    assert window_overlap((1, 8, 8, 4), (4, 4, 4), (3, 3), (2, 2), (0, 0), (1, 1), True) == 0
    # Stride 1 with padding 1: the output must trail its reads by one row and one pixel.
    d = window_overlap((1, 8, 8, 4), (8, 8, 4), (3, 3), (1, 1), (1, 1), (1, 1), True)
    assert d == (8 + 1) * 4
    # Batches are never overlapped.
    assert window_overlap((2, 8, 8, 4), (8, 8, 4), (1, 1), (1, 1), (0, 0), (1, 1), True) is None


@needs_gcc
def test_overlapping_plan_matches_a_plan_without_reuse():
    path = tf_model_path("cnn", "int8")
    plain = tflc_compile(
        str(path), target="mcu", in_place=False, measure_flash=False, compare_tflm=False
    )
    reused = compiled("cnn")
    assert reused.report["arena_bytes"] < plain.report["arena_bytes"]
    assert reused.plan.in_place, "expected some ops to overlap their inputs"
    x = sample_inputs(path, 5)
    np.testing.assert_array_equal(plain(*x)[0], reused(*x)[0])


def test_saved_project_matches_files(tmp_path):
    cm = compiled("mlp")
    cm.save(tmp_path)
    for rel, data in cm.files.items():
        assert (Path(tmp_path) / rel).read_bytes() == data


def _fully_connected_module(batches: int, depth: int, units: int, seed: int = 0):
    """A per-channel int8 FULLY_CONNECTED written as tfl MLIR (no TensorFlow needed)."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(-127, 128, (units, depth))
    scales = ",".join(f"{s:.9g}" for s in rng.uniform(0.002, 0.008, units).astype(np.float32))
    w_type = f"tensor<{units}x{depth}x!quant.uniform<i8:f32:0, {{{scales}}}>>"
    x_type = f"tensor<{batches}x{depth}x!quant.uniform<i8:f32, 0.0078424895:-1>>"
    y_type = f"tensor<{batches}x{units}x!quant.uniform<i8:f32, 0.046227921:-5>>"
    values = ", ".join(f"[{', '.join(str(v) for v in row)}]" for row in weights)
    text = f"""
    func.func @main(%x: {x_type}) -> {y_type} {{
      %w = "tfl.pseudo_qconst"() {{qtype = {w_type}, value = dense<[{values}]> : tensor<{units}x{depth}xi8>}} : () -> {w_type}
      %none = "tfl.no_value"() {{value}} : () -> none
      %y = "tfl.fully_connected"(%x, %w, %none) {{asymmetric_quantize_inputs = false, fused_activation_function = "NONE", keep_num_dims = false, quantized_bias_type = "FLOAT32", weights_format = "DEFAULT"}} : ({x_type}, {w_type}, none) -> {y_type}
      return %y : {y_type}
    }}
    """
    return tflc.parse(text)


@needs_gcc
def test_fully_connected_rounds_once_like_litert_reference():
    """LiteRT's reference int8 FULLY_CONNECTED requantizes with a single rounding (CONV_2D and
    the rest round twice): with 16 x 64 outputs over several inputs, ties that tell the two
    apart do occur."""
    module = _fully_connected_module(16, 64, 64)
    data = tflc.to_flatbuffer(module)
    cm = tflc_compile(module, target="mcu", measure_flash=False, compare_tflm=False)
    rng = np.random.default_rng(7)
    for _ in range(20):
        x = rng.integers(-128, 128, (16, 64)).astype(np.int8)
        np.testing.assert_array_equal(cm(x)[0], litert_run(data, [x], kernels="reference")[0])


# Each int8 table op with its output quantization (None: random) and options; RSQRT's and
# SQRT's inputs start at their zero point, since LiteRT refuses negative values.
TABLE_OPS = {
    "LOGISTIC": ((1 / 256, -128), None),
    "TANH": ((1 / 128, 0), None),
    "ELU": (None, None),
    "HARD_SWISH": (None, None),
    "GELU": (None, ({"approximate": False}, "GeluOptions")),
    "LEAKY_RELU": (None, ({"alpha": 0.1}, "LeakyReluOptions")),
    "RSQRT": (None, None),
    "SQRT": (None, None),
    "ABS": (None, None),
    "EXP": (None, None),
    "LOG": (None, None),
    "NEG": (None, None),  # negates the stored values whatever the scales, as LiteRT does
    "RELU": (None, None),
    "RELU6": (None, None),
    "RELU_N1_TO_1": (None, None),
    "RELU_0_TO_1": (None, None),
}


def test_every_int8_table_op_is_checked_on_every_input():
    assert set(TABLE_OPS) == INT8_TABLE


@needs_gcc
@pytest.mark.parametrize("op", sorted(TABLE_OPS))
def test_int8_table_ops_bit_exact_with_litert_on_every_input(op, tmp_path):
    """The MCU stores the interpreter's own 256-entry table (runtime/kernels/int8_tables.py):
    every int8 input value, checked against LiteRT's builtin kernels."""
    from test_interpreter_ops import single_op_model, spec

    rng = np.random.default_rng(sum(map(ord, op)))
    out_q, options = TABLE_OPS[op]
    in_scale, in_zp = float(rng.uniform(0.01, 0.1)), int(rng.integers(-20, 20))
    if op in ("RSQRT", "SQRT"):
        in_zp = -128
    out_scale, out_zp = out_q or (float(rng.uniform(0.01, 0.1)), int(rng.integers(-20, 20)))
    x = np.arange(max(-128, in_zp), 128, dtype=np.int8)[None, :]
    io = [spec(x.shape, "INT8", in_scale, in_zp)], [spec(x.shape, "INT8", out_scale, out_zp)]
    model = single_op_model(op, *io, *(options or ()))
    path = tmp_path / f"{op.lower()}.tflite"
    path.write_bytes(model)
    cm = tflc_compile(str(path), target="mcu", measure_flash=False)
    np.testing.assert_array_equal(cm(x, sanitize=True)[0], litert_run(model, [x], "builtin")[0])


@needs_gcc
def test_multiplier_past_shift_30_saturates_as_in_litert(tmp_path):
    # A fully connected output scale of 1e-45 makes its multiplier about 2^130: TFLite's
    # QuantizeMultiplier saturates it to (2^31 - 1, shift 30); the C once got a shift of 130.
    model = read_model(tf_model_path("mlp", "int8"))
    sg = model.subgraphs[0]
    fc = next(op for op in sg.operators if model.operator_name(op) == "FULLY_CONNECTED")
    sg.tensors[fc.outputs[0]].quantization.scale = [1e-45]
    path = tmp_path / "tiny_scale.tflite"
    path.write_bytes(write_model(model))
    x = sample_inputs(path, 0)
    got = tflc_compile(str(path), target="mcu", measure_flash=False, compare_tflm=False)(*x)
    for g, w in zip(got, litert_run(path, x, kernels="reference"), strict=True):
        np.testing.assert_array_equal(g, w)
    ours = tflc.Interpreter(model_path=str(path))(*x)
    for g, w in zip(ours, litert_run(path, x, kernels="builtin"), strict=True):
        np.testing.assert_array_equal(g, w)
