"""float16 and dynamic-range quantization against TensorFlow's converter, and bad input."""

from __future__ import annotations

import subprocess
import sys

import corpus
import numpy as np
import pytest
import tflc
from tflc.errors import TflcError


def max_relative_error(expected, actual) -> float:
    return max(
        float(np.max(np.abs(e.astype(np.float64) - a)) / max(np.max(np.abs(e)), 1e-30))
        for e, a in zip(expected, actual, strict=True)
    )


def min_sqnr(expected, actual) -> float:
    """The worst output's signal-to-quantization-noise ratio, in dB."""
    return min(
        10
        * np.log10(
            np.sum(e.astype(np.float64) ** 2) / max(np.sum((e - a.astype(np.float64)) ** 2), 1e-30)
        )
        for e, a in zip(expected, actual, strict=True)
    )


@pytest.mark.parametrize("mode", ["float16", "dynamic"])
@pytest.mark.parametrize("name", ["mlp", "cnn", "upsample", "transformer"])
def test_weight_quantization_matches_tensorflow(name, mode):
    """Same size (within 5%) and, as the rounding rules are TensorFlow's, the same outputs."""
    float_path = corpus.tf_model_path(name, "float32")
    tf_path = corpus.tf_model_path(name, mode)
    ours = tflc.to_flatbuffer(tflc.quantize(float_path, mode=mode))
    assert abs(len(ours) - tf_path.stat().st_size) <= 0.05 * tf_path.stat().st_size
    inputs = corpus.sample_inputs(float_path, seed=3)
    for a, e in zip(
        corpus.litert_run(ours, inputs), corpus.litert_run(tf_path, inputs), strict=True
    ):
        np.testing.assert_array_equal(a, e)


def test_float16_stores_half_weights_behind_dequantize():
    module = tflc.quantize(corpus.tf_model_path("cnn", "float32"), mode="float16")
    text = tflc.to_text(module)
    assert "xf16>" in text and "tfl.dequantize" in text
    assert (
        '"tfl.pseudo_const"() {value = dense_resource<__elided__> : tensor<16x3x3x3xf32>'
        not in text
    )


def test_dynamic_range_on_float16_weight_model(mediapipe_model_paths):
    """mediapipe ships float16 weights: dynamic range reads them through their dequantize."""
    path = next(p for p in mediapipe_model_paths if p.stem == "face_landmark")
    module = tflc.quantize(path, mode="dynamic")
    data = tflc.to_flatbuffer(module)
    assert len(data) < 0.6 * path.stat().st_size
    inputs = corpus.sample_inputs(path, seed=0)
    expected = corpus.litert_run(path, inputs)
    # int8 weights, activations requantized per row: a floor (measured 41.7 dB)
    assert min_sqnr(expected, corpus.litert_run(data, inputs)) > 30


def test_float16_on_float16_weight_model_runs(mediapipe_model_paths):
    path = next(p for p in mediapipe_model_paths if p.stem == "face_detection_short_range")
    data = tflc.to_flatbuffer(tflc.quantize(path, mode="float16"))
    inputs = corpus.sample_inputs(path, seed=0)
    expected = corpus.litert_run(path, inputs)
    # its weights are float16 already: the same values behind the same dequantizes
    for a, e in zip(corpus.litert_run(data, inputs), expected, strict=True):
        np.testing.assert_array_equal(a, e)


def test_bad_modes_and_options():
    path = corpus.tf_model_path("mlp", "float32")
    with pytest.raises(TflcError, match="unknown quantization mode"):
        tflc.quantize(path, mode="int4")
    with pytest.raises(TflcError, match="needs --mode int8"):
        tflc.quantize(path, mode="dynamic", io="int8")
    with pytest.raises(TflcError, match="representative dataset"):
        tflc.quantize(path, mode="int8")
    with pytest.raises(TflcError, match="already quantized"):
        tflc.quantize(corpus.tf_model_path("mlp", "int8"), mode="float16")


def _tflc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tflc.tools.tflc_cli", *args], capture_output=True, text=True
    )


def test_cli_quantize_float16(tmp_path):
    out = tmp_path / "out.tflite"
    result = _tflc(
        "quantize", str(corpus.tf_model_path("cnn", "float32")), "--mode", "float16", "-o", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert "FLOAT16" in corpus.tensor_types(str(out))


def test_cli_quantize_already_quantized_writes_nothing(tmp_path):
    out = tmp_path / "out.tflite"
    result = _tflc(
        "quantize", str(corpus.tf_model_path("cnn", "int8")), "--mode", "dynamic", "-o", str(out)
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "already quantized" in result.stderr
    assert not out.exists()


# Floors of the worst output's SQNR against the float model, both run in LiteRT on seeded random
# inputs. float16 weights keep 11 significant bits (about 66 dB each) and MobileNetV2, the
# deepest model, measured 40.8 dB. Dynamic-range int8 outputs must at least be closer to the
# float outputs than all zeros (0 dB): random inputs push the landmark models' activations far
# outside their trained ranges, where per-tensor activation quantization is coarse
# (hand_landmark_lite measured 3.8 dB).
MIN_SQNR_DB = {"float16": 35.0, "dynamic": 0.0}
# Below the floor today (measured 2026-12: -12.1 dB on the 117-value output at seed 0, worse
# than a zero output); the test fails when this set changes either way, so a fix removes it.
KNOWN_BELOW_FLOOR = {"dynamic": {"pose_landmark_full"}, "float16": set()}


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["float16", "dynamic"])
def test_every_model_quantizes_close_to_float_in_litert(mediapipe_model_paths, mode):
    paths = [corpus.tf_model_path(n, "float32") for n in corpus.TF_MODELS]
    below = {}
    for path in paths + list(mediapipe_model_paths):
        if not corpus.litert_can_run(path):
            continue
        data = tflc.to_flatbuffer(tflc.quantize(path, mode=mode))
        inputs = corpus.sample_inputs(path, seed=0)
        sqnr = min_sqnr(corpus.litert_run(path, inputs), corpus.litert_run(data, inputs))
        if not sqnr >= MIN_SQNR_DB[mode]:  # NaN counts as below
            below[path.stem] = round(sqnr, 1)
    assert set(below) == KNOWN_BELOW_FLOOR[mode], below
