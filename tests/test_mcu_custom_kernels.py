"""User C kernels for custom ops on the MCU target (`custom_kernels`, backends/mcu/ops_custom.py):
the generated model calls `tflc_custom_<CODE>(const tflc_custom_args *args)`, the user's file is
copied into the project and built with it."""

from __future__ import annotations

import shutil

import mediapipe_references
import numpy as np
import pytest
import tflc
from corpus import litert_run, sample_inputs
from tflc.compiler import compile as tflc_compile
from tflc.errors import TflcError
from tflc.tools.tflc_cli import main

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")

TRANSPOSE_CONV_BIAS = r"""
#include <string.h>

#include "tflc_custom.h"

/* mediapipe's Convolution2DTransposeBias: float32 NHWC input, OHWI filter, bias; options are
   three little-endian int32: padding, stride_w, stride_h (the output shape gives the padding). */
void tflc_custom_Convolution2DTransposeBias(const tflc_custom_args *args) {
  const float *x = (const float *)args->inputs[0].data;
  const float *w = (const float *)args->inputs[1].data;
  const float *bias = (const float *)args->inputs[2].data;
  float *y = (float *)args->outputs[0].data;
  const int32_t *xs = args->inputs[0].shape, *ws = args->inputs[1].shape;
  const int32_t *ys = args->outputs[0].shape;
  int32_t options[3], n, oy, ox, oc, iy, ix, ic, ky, kx;
  int32_t in_h = xs[1], in_w = xs[2], in_c = xs[3], out_c = ws[0], k_h = ws[1], k_w = ws[2];
  int32_t out_h = ys[1], out_w = ys[2], pad_h, pad_w;
  memcpy(options, args->options, sizeof options);
  pad_h = ((in_h - 1) * options[2] + k_h - out_h) / 2;
  pad_w = ((in_w - 1) * options[1] + k_w - out_w) / 2;
  pad_h = pad_h < 0 ? 0 : pad_h;
  pad_w = pad_w < 0 ? 0 : pad_w;
  for (n = 0; n < xs[0]; ++n) {
    float *out = y + (long)n * out_h * out_w * out_c;
    for (oy = 0; oy < out_h * out_w * out_c; ++oy) {
      out[oy] = 0.0f;
    }
    for (iy = 0; iy < in_h; ++iy) {
      for (ix = 0; ix < in_w; ++ix) {
        for (ky = 0; ky < k_h; ++ky) {
          for (kx = 0; kx < k_w; ++kx) {
            oy = iy * options[2] - pad_h + ky;
            ox = ix * options[1] - pad_w + kx;
            if (oy < 0 || oy >= out_h || ox < 0 || ox >= out_w) {
              continue;
            }
            for (oc = 0; oc < out_c; ++oc) {
              float sum = out[(oy * out_w + ox) * out_c + oc];
              for (ic = 0; ic < in_c; ++ic) {
                sum += x[((n * in_h + iy) * in_w + ix) * in_c + ic] *
                       w[((oc * k_h + ky) * k_w + kx) * in_c + ic];
              }
              out[(oy * out_w + ox) * out_c + oc] = sum;
            }
          }
        }
      }
    }
    for (oy = 0; oy < out_h * out_w; ++oy) {
      for (oc = 0; oc < out_c; ++oc) {
        out[oy * out_c + oc] += bias[oc];
      }
    }
  }
}
"""

# x * w (w broadcast along the last axis) + the option's int8 offset; an int32 count of the
# positive results as a second output
SCALE_SHIFT = r"""
#include "tflc_custom.h"

void tflc_custom_Scale_Shift(const tflc_custom_args *args) {
  const float *x = (const float *)args->inputs[0].data;
  const float *w = (const float *)args->inputs[1].data;
  float *y = (float *)args->outputs[0].data;
  int32_t *positive = (int32_t *)args->outputs[1].data;
  int32_t size = 1, i, last = args->inputs[0].shape[args->inputs[0].rank - 1];
  float offset = (float)(int8_t)args->options[0];
  for (i = 0; i < args->inputs[0].rank; ++i) {
    size *= args->inputs[0].shape[i];
  }
  if (args->inputs[0].dtype != TFLC_CUSTOM_FLOAT32 || args->outputs[1].dtype != TFLC_CUSTOM_INT32 ||
      args->options_size != 2 || args->inputs[1].rank != 1) {
    return; /* the outputs stay unwritten: the comparison fails */
  }
  *positive = 0;
  for (i = 0; i < size; ++i) {
    y[i] = x[i] * w[i % last] + offset;
    *positive += y[i] > 0.0f;
  }
}
"""

SCALE_SHIFT_MODULE = """
func.func @main(%arg0: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<i32>) {
  %w = "tfl.pseudo_const"() {value = dense<[0.5, -2.0, 3.0]> : tensor<3xf32>} : () -> tensor<3xf32>
  %0:2 = "tfl.custom"(%arg0, %w) {custom_code = "Scale-Shift",
      custom_option = #tfl<const_bytes : "0xFD07">}
    : (tensor<2x3xf32>, tensor<3xf32>) -> (tensor<2x3xf32>, tensor<i32>)
  return %0#0, %0#1 : tensor<2x3xf32>, tensor<i32>
}
"""


def _compile_scale_shift(tmp_path):
    """SCALE_SHIFT_MODULE for the mcu with the user kernel SCALE_SHIFT registered."""
    kernel = tmp_path / "scale_shift.c"
    kernel.write_text(SCALE_SHIFT)
    return tflc_compile(
        tflc.parse(SCALE_SHIFT_MODULE),
        target="mcu",
        compare_tflm=False,
        custom_kernels={"Scale-Shift": str(kernel)},
    )


@needs_gcc
def test_custom_kernel_gets_inputs_shapes_dtypes_and_option_bytes(tmp_path):
    cm = _compile_scale_shift(tmp_path)
    assert cm.files["kernels/custom_Scale_Shift.c"].decode() == SCALE_SHIFT
    x = np.array([[1.0, 2.0, -1.0], [4.0, 0.25, 1.0]], np.float32)
    y, positive = cm(x, sanitize=True)
    want = x * np.array([0.5, -2.0, 3.0], np.float32) + np.float32(-3)  # 0xFD: int8 -3
    np.testing.assert_array_equal(y, want)
    assert positive == np.sum(want > 0)


@needs_gcc
def test_selfie_segmentation_with_a_user_transpose_conv_kernel_matches_litert(
    mediapipe_model_paths, tmp_path
):
    """mediapipe's Convolution2DTransposeBias in C, against LiteRT on the model with TFLite's
    TRANSPOSE_CONV in its place."""
    path = next(p for p in mediapipe_model_paths if p.name == "selfie_segmentation.tflite")
    kernel = tmp_path / "transpose_conv_bias.c"
    kernel.write_text(TRANSPOSE_CONV_BIAS)
    cm = tflc_compile(
        str(path),
        target="mcu",
        compare_tflm=False,
        custom_kernels={"Convolution2DTransposeBias": str(kernel)},
    )
    x = sample_inputs(path, 0)
    want = litert_run(mediapipe_references.with_builtin_transpose_conv(path), x, kernels="builtin")
    for g, w in zip(cm(*x, sanitize=True), want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)  # test_mcu's float bound


def test_custom_op_without_a_kernel_says_how_to_register_one(tmp_path):
    with pytest.raises(
        TflcError,
        match=r"custom op 'Scale-Shift' has no MCU kernel; register "
        r".*tflc_custom_Scale_Shift.*custom_kernels=.*--custom-kernel",
    ):
        tflc_compile(tflc.parse(SCALE_SHIFT_MODULE), target="mcu", compare_tflm=False)
    with pytest.raises(TflcError, match=r"is not a file"):
        tflc_compile(
            tflc.parse(SCALE_SHIFT_MODULE),
            target="mcu",
            compare_tflm=False,
            custom_kernels={"Scale-Shift": str(tmp_path / "missing.c")},
        )


def test_cli_custom_kernel_flag_copies_the_kernel(tmp_path):
    model = tmp_path / "model.mlir"
    model.write_text(SCALE_SHIFT_MODULE)
    kernel = tmp_path / "scale_shift.c"
    kernel.write_text(SCALE_SHIFT)
    out = tmp_path / "out"
    assert (
        main(
            [
                "compile",
                str(model),
                "--target",
                "mcu",
                "-o",
                str(out),
                "--option",
                "compare_tflm=false",
                "--custom-kernel",
                f"Scale-Shift={kernel}",
            ]
        )
        == 0
    )
    assert (out / "kernels" / "custom_Scale_Shift.c").read_text() == SCALE_SHIFT
    assert "tflc_custom_Scale_Shift(&tflc_args)" in (out / "model.c").read_text()


@pytest.mark.skipif(
    shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None,
    reason="needs gcc-arm-none-eabi and qemu-system-arm",
)
def test_custom_kernel_builds_into_the_cortex_m4_firmware(tmp_path):
    cm = _compile_scale_shift(tmp_path)
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, 2.0]], np.float32)
    status, outputs, console = cm.run_firmware(x)
    assert status == 0 and outputs is not None, console
    want = x * np.array([0.5, -2.0, 3.0], np.float32) + np.float32(-3)
    np.testing.assert_array_equal(outputs[0], want)
    assert outputs[1] == np.sum(want > 0)
