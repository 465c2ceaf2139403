"""Calibration range rules (minmax, moving-average, mse): their statistics, int8 models built
with each running in LiteRT, and an unknown method refused before anything is written."""

from __future__ import annotations

import subprocess
import sys
import warnings

import corpus
import numpy as np
import pytest
import tflc
from tflc.errors import TflcError
from tflc.passes.quantize.calibration_ranges import METHODS, best_clipping, range_rule
from tflc.passes.quantize_int8 import activation_params
from tflc.runtime.tflite_model import read_model


def observe_all(method: str, samples: list[np.ndarray]) -> tuple[float, float]:
    rule = range_rule(method, 1)
    for x in samples:
        rule.observe([x])
    lo, hi = rule.ranges()
    return float(lo[0]), float(hi[0])


def test_minmax_and_moving_average_statistics():
    rng = np.random.default_rng(0)
    samples = [rng.normal(0, 1 + i, 100).astype(np.float32) for i in range(5)]
    assert observe_all("minmax", samples) == (
        min(float(s.min()) for s in samples),
        max(float(s.max()) for s in samples),
    )
    lo, hi = float(samples[0].min()), float(samples[0].max())
    for s in samples[1:]:  # ai-edge-quantizer's rule: 0.95 old + 0.05 new, from the first sample
        lo, hi = 0.95 * lo + 0.05 * float(s.min()), 0.95 * hi + 0.05 * float(s.max())
    assert observe_all("moving-average", samples) == pytest.approx((lo, hi), rel=1e-12)


def grid_mse(x: np.ndarray, lo: float, hi: float) -> float:
    """The real squared error of int8-quantizing `x` with the parameters of [lo, hi]."""
    scale, zero_point = activation_params(lo, hi)
    q = np.clip(np.round(x / scale) + zero_point, -128, 127)
    return float(np.mean((x - (q - zero_point) * scale) ** 2))


def test_mse_clips_rare_outliers_and_beats_minmax_error():
    rng = np.random.default_rng(1)
    samples = [rng.normal(0, 1, 200_000).astype(np.float32) for _ in range(8)]
    # One outlier would stretch the minmax grid 8-fold; clipping it costs less than the
    # rounding noise the wide grid adds to all 1.6 million other values.
    samples[3][0] = 60.0
    data = np.concatenate(samples)
    full = observe_all("minmax", samples)
    clipped = observe_all("mse", samples)
    assert clipped[1] < 0.5 * full[1]
    error = grid_mse(data, *clipped)
    assert error < 0.5 * grid_mse(data, *full)
    # and near the best the real int8 grid reaches by scanning the upper end
    scan = min(grid_mse(data, clipped[0], hi) for hi in np.linspace(4, 60, 57))
    assert error <= 1.05 * scan


def test_mse_keeps_the_range_of_uniform_data():
    """Uniform values have no tail worth clipping: the search stays near the full range."""
    x = np.random.default_rng(2).uniform(-1, 3, 100_000)
    counts, _ = np.histogram(x, bins=2048, range=(-1, 3))
    lo, hi = best_clipping(counts, -1.0, 3.0)
    assert lo <= -0.95 and hi >= 2.85


@pytest.fixture(scope="module")
def cnn_path():
    return corpus.tf_model_path("cnn", "float32")


@pytest.mark.parametrize("method", METHODS)
def test_every_method_runs_in_litert(cnn_path, method):
    calibration = [corpus.sample_inputs(cnn_path, seed=i) for i in range(8)]
    data = tflc.to_flatbuffer(
        tflc.quantize(cnn_path, "int8", calibration, io="int8", calibration_method=method)
    )
    assert "DEQUANTIZE" not in corpus.op_names(data)
    interpreter = corpus.litert_interpreter(data)
    scale, zero_point = interpreter.get_output_details()[0]["quantization"]
    values = []
    for seed in range(100, 104):
        x = corpus.sample_inputs(cnn_path, seed=seed)
        reference = corpus.litert_run(cnn_path, x)[0].astype(np.float64)
        xq = [
            np.clip(np.round(a / d["quantization"][0]) + d["quantization"][1], -128, 127)
            for a, d in zip(x, interpreter.get_input_details(), strict=True)
        ]
        y = (corpus.litert_run(data, [a.astype(np.int8) for a in xq])[0] - zero_point) * scale
        values.append(10 * np.log10(np.sum(reference**2) / np.sum((reference - y) ** 2)))
    assert np.mean(values) > 20, method


def test_methods_give_different_ranges(cnn_path):
    """The option reaches calibration: moving-average ranges lie within minmax ones."""
    calibration = [corpus.sample_inputs(cnn_path, seed=i) for i in range(8)]

    def activation_scales(method):
        data = tflc.to_flatbuffer(
            tflc.quantize(cnn_path, "int8", calibration, io="int8", calibration_method=method)
        )
        details = corpus.litert_interpreter(data).get_tensor_details()
        return {
            d["name"]: d["quantization"][0]
            for d in details
            if d["dtype"] == np.int8 and d["quantization"][1] != 0  # asymmetric: activations
        }

    minmax, average = activation_scales("minmax"), activation_scales("moving-average")
    assert minmax.keys() == average.keys()
    assert all(average[k] <= minmax[k] for k in minmax)
    assert any(average[k] < 0.99 * minmax[k] for k in minmax)


def test_unknown_method_is_refused(cnn_path):
    with pytest.raises(TflcError, match="unknown calibration method 'kl'; use one of"):
        tflc.quantize(
            cnn_path, "int8", [corpus.sample_inputs(cnn_path, 0)], calibration_method="kl"
        )
    with pytest.raises(TflcError, match="takes no calibration method"):
        tflc.quantize(cnn_path, "float16", calibration_method="mse")


def test_cli_unknown_method_writes_nothing(cnn_path, tmp_path):
    data = tmp_path / "data.npz"
    np.savez(data, np.stack([corpus.sample_inputs(cnn_path, i)[0] for i in range(2)]))
    out = tmp_path / "out.tflite"
    args = [str(cnn_path), "--mode", "int8", "--calibration", str(data), "-o", str(out)]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tflc.tools.tflc_cli",
            "quantize",
            *args,
            "--calibration-method",
            "kl",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: ") and len(result.stderr.splitlines()) == 1
    assert "unknown calibration method 'kl'" in result.stderr
    assert not out.exists()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tflc.tools.tflc_cli",
            "quantize",
            *args,
            "--calibration-method",
            "mse",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 0


def test_mse_calibration_is_deterministic(cnn_path):
    calibration = [corpus.sample_inputs(cnn_path, seed=i) for i in range(4)]
    first, second = (
        tflc.to_flatbuffer(tflc.quantize(cnn_path, "int8", calibration, calibration_method="mse"))
        for _ in range(2)
    )
    assert first == second


EXP_MODEL = """
func.func @main(%x: tensor<1x64xf32>) -> tensor<1x64xf32> {
  %y = "tfl.exp"(%x) : (tensor<1x64xf32>) -> tensor<1x64xf32>
  return %y : tensor<1x64xf32>
}
"""


@pytest.mark.parametrize("method", METHODS)
def test_an_overflow_on_one_sample_does_not_take_the_range(method):
    """exp(100) is inf in float32: the output's range comes from the finite values, and int8
    saturates there (an infinite range used to abort the process in MLIR's quant type builder)."""
    rng = np.random.default_rng(0)
    calibration = [[rng.uniform(-1, 1, (1, 64)).astype(np.float32)] for _ in range(8)]
    calibration[3][0][0, 5] = 100.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        module = tflc.quantize(
            tflc.parse(EXP_MODEL), "int8", calibration, calibration_method=method
        )
    data = tflc.to_flatbuffer(module)
    model = read_model(data)
    graph = model.subgraphs[0]
    exp = next(op for op in graph.operators if model.operator_name(op) == "EXP")
    scale = graph.tensors[exp.outputs[0]].quantization.scale[0]
    assert 0 < scale <= np.exp(1.0) / 255 * 1.01  # the finite values' range (all in [-1, 1])
    saturated = corpus.litert_run(data, calibration[3])[0][0, 5]
    assert np.isfinite(saturated) and saturated >= 0.9 * 255 * scale


def test_non_finite_calibration_data_is_refused(cnn_path):
    x = corpus.sample_inputs(cnn_path, seed=0)[0].copy()
    for bad in (np.nan, np.inf):
        x.flat[7] = bad
        with pytest.raises(TflcError, match="sample 1, input .*NaN or infinite"):
            tflc.quantize(cnn_path, "int8", [corpus.sample_inputs(cnn_path, seed=1), [x]])
    too_large = x.astype(np.float64)
    too_large.flat[7] = 1e300  # finite in float64, infinite as the model's float32
    with pytest.raises(TflcError, match="NaN or infinite"):
        tflc.quantize(cnn_path, "int8", [[too_large]])
