"""tfl-legalize-to-tosa end to end: the TOSA tflc emits, compiled and run by IREE, matches LiteRT.

IREE is an executor independent of tflc (its own MLIR, tosa-to-linalg and code generation), so
agreement checks the lowering's semantics, not just that it verifies. Float tolerance: 1e-5
relative to the largest reference output, 1e-4 for deep models (summation order differs from
XNNPACK's). int8: a
stated number of steps from LiteRT's reference kernels: TOSA's DOUBLE_ROUND rescale models
TFLite's fixed-point multiply (mlp and cnn are exact, MobileNetV2 within one step; LiteRT's own
XNNPACK and reference kernels differ by up to ~27 steps there), and ops without an integer
lowering run in float32 between a dequantize and a quantize.
"""

from __future__ import annotations

import corpus
import numpy as np
import pytest
from iree_support import iree_compile, iree_installed, iree_run, tosa_text

pytestmark = pytest.mark.skipif(not iree_installed(), reason="IREE is not installed")

# IREE's sums in another order than XNNPACK's: the small models pass 1e-5 (SMALL_RTOL); the
# deep ones (mobilenet_v2, mediapipe) compound it over 50+ layers: 1e-4, as on the cpu target.
RTOL = 1e-4
SMALL_RTOL = 1e-5


def _check_against_litert(path, tmp_path, int8_steps=0, kernels="reference", rtol=RTOL) -> None:
    inputs = corpus.sample_inputs(path, seed=0)
    vmfb = iree_compile(tosa_text(path), tmp_path)
    assert not isinstance(vmfb, str), vmfb
    outputs, _ = iree_run(vmfb, inputs, tmp_path)
    quantized = outputs[0].dtype == np.int8
    expected = corpus.litert_run(path, inputs, kernels=kernels if quantized else "default")
    assert len(outputs) == len(expected)
    for got, want in zip(outputs, expected, strict=True):
        if got.dtype == np.int8:
            steps = np.abs(got.astype(np.int32) - want.astype(np.int32))
            assert steps.max() <= int8_steps, f"{steps.max()} steps, mean {steps.mean():.3f}"
            continue
        scale = float(np.max(np.abs(want))) or 1.0
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["float32", "int8"])
def test_mobilenet_v2_through_iree_matches_litert(mode, tmp_path):
    _check_against_litert(corpus.tf_model_path("mobilenet_v2", mode), tmp_path, int8_steps=1)


@pytest.mark.parametrize("name", corpus.SMALL_TF_MODELS)
def test_small_float32_models_through_iree_match_litert(name, tmp_path):
    _check_against_litert(corpus.tf_model_path(name, "float32"), tmp_path, rtol=SMALL_RTOL)


# (model, steps allowed, LiteRT kernels): the reference kernels lack ELU and TILE v3. mlp and
# cnn use only integer lowerings; the others also run ops in float (transpose_conv, resize,
# activations, layer norm).
INT8_CASES = [
    ("mlp", 0, "reference"),
    ("cnn", 0, "reference"),
    *(
        pytest.param(*case, marks=pytest.mark.slow)  # kept out of the quick run: ~6 s each
        for case in [
            ("upsample", 2, "reference"),
            ("activations", 1, "default"),
            ("tensor_ops", 1, "default"),
            ("transformer", 4, "reference"),
        ]
    ),
]


@pytest.mark.parametrize(("name", "steps", "kernels"), INT8_CASES)
def test_small_int8_models_through_iree_match_litert(name, steps, kernels, tmp_path):
    path = corpus.tf_model_path(name, "int8")
    _check_against_litert(path, tmp_path, int8_steps=steps, kernels=kernels)


# float16 weights, PReLU, resize, sparse weights, depth_to_space (11 of the 14 mediapipe models
# lower; the other 3 have MediaPipe custom ops).
@pytest.mark.slow
@pytest.mark.parametrize("name", ["hand_landmark_lite", "palm_detection_lite", "pose_detection"])
def test_mediapipe_models_through_iree_match_litert(name, mediapipe_model_paths, tmp_path):
    path = next(p for p in mediapipe_model_paths if p.stem == name)
    _check_against_litert(path, tmp_path)
