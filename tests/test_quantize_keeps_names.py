"""Every quantization mode keeps the model's names: input and output tensor names, signature
keys with their input and output names, metadata and description, as LiteRT reads them
(issue #19: int8 with float I/O wrote its outputs without names)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import corpus
import numpy as np
import pytest
import tflc

MODES = {
    "float16": {"mode": "float16"},
    "dynamic": {"mode": "dynamic"},
    "int8-float-io": {"mode": "int8"},
    "int8-int8-io": {"mode": "int8", "io": "int8"},
    "int8-uint8-io": {"mode": "int8", "io": "uint8"},
}


def model_names(path: Path) -> dict[str, Any]:
    interpreter = corpus.litert_interpreter(path)
    model = corpus.read_flatbuffer(path)
    return {
        "inputs": [d["name"] for d in interpreter.get_input_details()],
        "outputs": [d["name"] for d in interpreter.get_output_details()],
        "signatures": interpreter.get_signature_list(),
        "metadata": [model.Metadata(i).Name() for i in range(model.MetadataLength())],
        "description": model.Description(),
    }


def calibration_samples(path: Path) -> list[list[np.ndarray]]:
    return [corpus.sample_inputs(path, seed) for seed in range(3)]


@pytest.fixture(scope="module")
def models(mediapipe_model_paths) -> dict[str, Path]:
    """Two outputs and TFLITE_METADATA (mediapipe); a serving signature (TensorFlow)."""
    face = next(p for p in mediapipe_model_paths if p.name == "face_detection_short_range.tflite")
    return {"face_detection": face, "tf_cnn": corpus.tf_model_path("cnn", "float32")}


@pytest.mark.parametrize("mode", sorted(MODES))
@pytest.mark.parametrize("model", ["face_detection", "tf_cnn"])
def test_quantize_keeps_names(models, tmp_path, model, mode):
    source = models[model]
    options = dict(MODES[mode])
    if options["mode"] == "int8":
        options["calibration"] = calibration_samples(source)
    out = tmp_path / "quantized.tflite"
    tflc.save(tflc.quantize(str(source), **options), str(out))
    want = model_names(source)
    assert all(want["outputs"]), want  # the check below would pass on a nameless model
    assert model_names(out) == want


def test_quantize_cli_int8_keeps_output_names(models, tmp_path):
    source = models["face_detection"]
    data = tmp_path / "data.npz"
    (name,) = model_names(source)["inputs"]
    np.savez(data, **{name: np.stack([s[0] for s in calibration_samples(source)])})
    out = tmp_path / "q.tflite"
    args = ["quantize", str(source), "--mode", "int8", "--calibration", str(data), "-o", str(out)]
    result = subprocess.run(
        [sys.executable, "-m", "tflc.tools.tflc_cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert model_names(out)["outputs"] == model_names(source)["outputs"]
