"""`tflc quantize --report`: the per-layer int8 error table (as TensorFlow's QuantizationDebugger
gives it), checked against the same figures computed from LiteRT runs of both models, and its
CSV and PNG files."""

from __future__ import annotations

import contextlib
import csv
import io
import math
from pathlib import Path

import numpy as np
import pytest
import tflc
from tflc.tools.tflc_cli import main

MODEL = Path(tflc.__file__).resolve().parent / "examples" / "tiny_cnn.tflite"
SAMPLES = 8


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """Quantizes the example CNN with --report DIR: the output dir, the samples, the table."""
    out = tmp_path_factory.mktemp("report")
    shape = tflc.Interpreter(model_path=str(MODEL)).get_input_details()[0]["shape"]
    samples = np.random.default_rng(0).uniform(0, 1, (SAMPLES, *shape[1:])).astype(np.float32)
    np.savez(out / "data.npz", samples)
    # --no-optimize: the float model of the report is then MODEL itself, which LiteRT can run.
    args = ["quantize", str(MODEL), "--mode", "int8", "--calibration", str(out / "data.npz"),
            "--no-optimize", "-o", str(out / "int8.tflite"), "--report", str(out / "report")]  # fmt: skip
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(args) == 0
    return out, samples, printed.getvalue()


def _litert_tensors(path: Path, x: np.ndarray) -> dict[str, list[tuple[np.ndarray, dict]]]:
    """Every tensor LiteRT holds after a run, by name (names may repeat: the int8 model's
    weights are named after their op's output, and a dequantized output after its int8 one)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    from corpus import LITERT_KERNELS

    # TFLite's builtin kernels: tflc's int8 arithmetic is theirs bit for bit (XNNPACK's is not).
    interpreter = Interpreter(
        model_path=str(path),
        experimental_preserve_all_tensors=True,
        experimental_op_resolver_type=getattr(OpResolverType, LITERT_KERNELS["builtin"]),
    )
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    if detail["dtype"] == np.int8:
        scale, zp = detail["quantization"]
        x = np.clip(np.round(x / scale) + zp, -128, 127).astype(np.int8)
    interpreter.set_tensor(detail["index"], x[None])
    interpreter.invoke()
    found = {}
    for d in interpreter.get_tensor_details():
        try:
            value = interpreter.get_tensor(d["index"]).copy()
        except ValueError:  # a tensor LiteRT does not hold (no data)
            continue
        found.setdefault(d["name"], []).append((value, d))
    return found


def test_report_matches_litert_runs_of_both_models(report):
    out, samples, printed = report
    with (out / "report" / "quantization_report.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 5  # the conv, depthwise, pool, mean, fc and softmax outputs
    sums = {r["tensor"]: [0.0, 0.0, 0, 0] for r in rows}
    details = {}
    for x in samples:
        floats = _litert_tensors(MODEL, x)
        int8s = _litert_tensors(out / "int8.tflite", x)
        for name, acc in sums.items():
            ((f, _),) = floats[name]
            ((q, d),) = [
                (v, d) for v, d in int8s[name] if v.shape == f.shape and v.dtype == np.int8
            ]
            scale, zp = d["quantization"]
            f = f.astype(np.float64)
            err = f - (q.astype(np.float64) - zp) * scale
            low, high = (-128 - zp) * scale, (127 - zp) * scale
            acc[0] += np.sum(f * f)
            acc[1] += np.sum(err * err)
            acc[2] += np.count_nonzero((f < low - scale / 2) | (f > high + scale / 2))
            acc[3] += f.size
            details[name] = (scale, zp, low, high)
    for row in rows:
        signal, noise, clipped, count = sums[row["tensor"]]
        scale, zp, low, high = details[row["tensor"]]
        expected_sqnr = 10 * math.log10(signal / noise) if noise else math.inf
        # the report sums its squares in another precision and order: measured 4.4e-4 dB apart
        assert float(row["sqnr_db"]) == pytest.approx(expected_sqnr, abs=0.01), row["tensor"]
        assert float(row["scale"]) == scale  # the CSV writes each float's repr: exact
        assert int(row["zero_point"]) == zp
        assert float(row["range_min"]) == low
        assert float(row["range_max"]) == high
        assert float(row["clipped_share"]) == clipped / count
        assert row["tensor"] in printed
    assert f"compared on {SAMPLES} samples" in printed


def test_report_png_is_a_nonempty_plot(report):
    from PIL import Image

    out = report[0]
    with Image.open(out / "report" / "quantization_report.png") as image:
        assert image.format == "PNG"
        width, height = image.size
        assert width >= 400 and height >= 300
        pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    colors, counts = np.unique(pixels, axis=0, return_counts=True)
    assert len(colors) > 10  # bars, axes and text, not a blank canvas
    assert counts.max() < 0.9 * len(pixels)
    bars = np.all(np.abs(pixels.astype(int) - (31, 119, 180)) < 8, axis=1)  # tab:blue
    assert bars.mean() > 0.02


def test_report_to_a_csv_file_alone(tmp_path, report):
    out = report[0]
    target = tmp_path / "layers.csv"
    args = ["quantize", str(MODEL), "--mode", "int8", "--calibration", str(out / "data.npz"),
            "-o", str(tmp_path / "int8.tflite"), "--report", str(target)]  # fmt: skip
    assert main(args) == 0
    assert target.read_text().startswith("index,op,tensor,sqnr_db,scale,zero_point,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["int8.tflite", "layers.csv"]


def test_report_needs_int8_and_samples(tmp_path, capsys):
    args = ["quantize", str(MODEL), "--mode", "float16", "-o", str(tmp_path / "f16.tflite"),
            "--report", str(tmp_path / "r.png")]  # fmt: skip
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: --report: the per-layer report needs --mode int8")
    assert not (tmp_path / "f16.tflite").exists()
