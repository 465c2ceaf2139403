"""float16 weights on the MCU target: 16-bit in flash (weights.c holds their bits), read as
halves by the float conv / depthwise / fully-connected kernels, widened by their DEQUANTIZE into
the arena just before any other kernel that reads them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from corpus import SMALL_TF_MODELS, litert_run, sample_inputs, tf_model_path
from tflc.compiler import compile as tflc_compile

KERNELS = Path(__file__).resolve().parents[1] / "backends/mcu/kernels"
needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")

HARNESS = r"""
#include <stdio.h>
#include "quantize_io.h"
int main(void) {
  static uint16_t in[65536];
  static float out[65536];
  int32_t i;
  for (i = 0; i < 65536; ++i) {
    in[i] = (uint16_t)i;
  }
  tflc_dequantize_f16_f32(65536, in, out);
  fwrite(out, sizeof out[0], 65536, stdout);
  return 0;
}
"""


@needs_gcc
def test_half_to_float_is_exact_for_every_bit_pattern(tmp_path):
    (tmp_path / "main.c").write_text(HARNESS)
    exe = tmp_path / "h2f"
    subprocess.run(
        [
            "gcc",
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-fsanitize=address,undefined",
            f"-I{KERNELS}",
            str(tmp_path / "main.c"),
            str(KERNELS / "quantize_io.c"),
            "-o",
            str(exe),
        ],
        check=True,
    )
    got = np.frombuffer(
        subprocess.run([str(exe)], check=True, capture_output=True).stdout, np.uint32
    )
    bits = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    want = bits.view(np.float16).astype(np.float32).view(np.uint32)  # NaN payloads included
    np.testing.assert_array_equal(got, want)


@needs_gcc
@pytest.mark.parametrize("name", SMALL_TF_MODELS)
def test_float16_model_within_1e5_of_litert_with_half_the_weights_and_no_larger_arena(name):
    path = tf_model_path(name, "float16")
    cm = tflc_compile(str(path), target="mcu", measure_flash=False, compare_tflm=False)
    x = sample_inputs(path, 0)
    for g, w in zip(cm(*x, sanitize=True), litert_run(path, x), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)  # test_mcu's float bound
    f32 = tflc_compile(str(tf_model_path(name, "float32")), target="mcu", compare_tflm=False)
    assert "uint16_t" in cm.files["weights.h"].decode()
    assert cm.report["weight_bytes"] <= 0.55 * f32.report["weight_bytes"], cm.report
    # only biases (and weights of other kernels) are widened into the arena: measured <= 256
    # bytes more than float32's, where widening every weight cost up to 160 KB (cnn)
    assert cm.report["arena_bytes"] <= f32.report["arena_bytes"] + 1024, cm.report
