"""int8 bias correction: the mean error it removes, what it leaves alone, its effect on a real
model in LiteRT, and the interpreter's stepped runs it is built on."""

from __future__ import annotations

import json
import subprocess
import sys

import corpus
import numpy as np
import pytest
import tflc
from tflc.runtime.interpreter import Interpreter
from tflc.runtime.tflite_model import read_model

IN, OUT = 256, 16


def rounding_biased_fc(activation: str = "NONE") -> str:
    """A fully connected layer whose int8 weights all round the same way: every weight sits
    0.4 of a step above a grid point of its channel (one weight fixes the step at max / 127),
    so int8 loses 0.4 step * sum(x) on every output, a shift no rounding averages away. With
    RELU, the bias centers each output near 0 (on positive_inputs), so that about half of
    the outputs are cut off."""
    rng = np.random.default_rng(0)
    step = rng.uniform(0.002, 0.01, (OUT, 1))
    grid = rng.integers(-100, 100, (OUT, IN)).astype(np.float64)
    w = (grid + 0.4) * step
    w[:, 0] = 127 * step[:, 0]
    b = rng.normal(0, 0.1, OUT) if activation == "NONE" else -0.75 * w.sum(axis=1)
    dense = lambda a: f"dense<{json.dumps(a.astype(np.float32).tolist())}>"  # noqa: E731
    return f"""
func.func @main(%x: tensor<1x{IN}xf32>) -> tensor<1x{OUT}xf32> {{
  %w = "tfl.pseudo_const"() {{value = {dense(w)} : tensor<{OUT}x{IN}xf32>}} : () -> tensor<{OUT}x{IN}xf32>
  %b = "tfl.pseudo_const"() {{value = {dense(b)} : tensor<{OUT}xf32>}} : () -> tensor<{OUT}xf32>
  %y = "tfl.fully_connected"(%x, %w, %b) {{asymmetric_quantize_inputs = false, fused_activation_function = "{activation}", keep_num_dims = false, quantized_bias_type = "FLOAT32", weights_format = "DEFAULT"}} : (tensor<1x{IN}xf32>, tensor<{OUT}x{IN}xf32>, tensor<{OUT}xf32>) -> tensor<1x{OUT}xf32>
  return %y : tensor<1x{OUT}xf32>
}}
"""


def positive_inputs(seeds) -> list[list[np.ndarray]]:
    return [[np.random.default_rng(s).uniform(0.5, 1.0, (1, IN)).astype(np.float32)] for s in seeds]


def mean_error(float_model: bytes, int8_model: bytes, inputs) -> np.ndarray:
    """Per output channel, the mean of float - int8 over `inputs`, both run in LiteRT."""
    errors = [
        corpus.litert_run(float_model, x)[0] - corpus.litert_run(int8_model, x)[0] for x in inputs
    ]
    return np.mean(np.concatenate(errors), axis=0)


@pytest.mark.parametrize("activation", ["NONE", "RELU"])
def test_correction_removes_a_systematic_weight_rounding_shift(activation):
    """Held-out mean error per channel before and after correction, in LiteRT. With RELU the
    correction must weigh the outputs int8 cuts off and those it lets through alike."""
    float_model = tflc.to_flatbuffer(tflc.parse(rounding_biased_fc(activation)))
    calibration, held_out = positive_inputs(range(32)), positive_inputs(range(100, 132))
    plain, corrected = (
        tflc.to_flatbuffer(
            tflc.quantize(
                tflc.parse(rounding_biased_fc(activation)), "int8", calibration, bias_correction=bc
            )
        )
        for bc in (False, True)
    )
    before = mean_error(float_model, plain, held_out)
    after = mean_error(float_model, corrected, held_out)
    fc = read_model(plain).subgraphs[0].operators[-2]  # before the output's dequantize
    scale = read_model(plain).subgraphs[0].tensors[fc.outputs[0]].quantization.scale[0]
    assert np.all(before > scale)  # the shift the test is built on: over an output step
    assert np.max(np.abs(after)) < 0.1 * np.min(before)


def test_a_correction_that_worsens_the_outputs_is_undone(monkeypatch):
    """The check on the model's outputs: corrections pushed the wrong way (twice the estimate,
    negated) make the outputs worse on the samples, and the model keeps its first biases."""
    from tflc.passes.quantize import bias_correction as quantize_bias_correction

    estimate = quantize_bias_correction._mean_error
    monkeypatch.setattr(quantize_bias_correction, "_mean_error", lambda *a: -2 * estimate(*a))
    calibration = positive_inputs(range(32))
    plain, wrong = (
        tflc.to_flatbuffer(
            tflc.quantize(tflc.parse(rounding_biased_fc()), "int8", calibration, bias_correction=bc)
        )
        for bc in (False, True)
    )
    assert wrong == plain


def tensor_bytes(model: bytes) -> list[tuple[str, bytes]]:
    m = read_model(model)
    graph = m.subgraphs[0]
    return [(t.type, bytes(m.buffer_data(t))) for t in graph.tensors]


def test_only_the_biases_change(mediapipe_model_paths):
    """Correction rewrites int32 biases and nothing else: same ops, weights and parameters."""
    path = next(p for p in mediapipe_model_paths if p.stem == "hand_recrop")
    calibration = [corpus.sample_inputs(path, seed) for seed in range(8)]
    plain, corrected = (
        tflc.to_flatbuffer(tflc.quantize(path, "int8", calibration, bias_correction=bc))
        for bc in (False, True)
    )
    assert corpus.op_names(plain) == corpus.op_names(corrected)
    a, b = tensor_bytes(plain), tensor_bytes(corrected)
    assert len(a) == len(b)
    changed = [ta for ta, tb in zip(a, b, strict=True) if ta != tb]
    assert changed and {t for t, _ in changed} == {"INT32"}


def held_out_sqnr(path, model: bytes, seeds) -> float:
    signal = noise = 0.0
    for seed in seeds:
        x = corpus.sample_inputs(path, seed)
        for ref, out in zip(corpus.litert_run(path, x), corpus.litert_run(model, x), strict=True):
            signal += float(np.sum(ref.astype(np.float64) ** 2))
            noise += float(np.sum((ref.astype(np.float64) - out) ** 2))
    return 10 * np.log10(signal / noise)


def test_correction_improves_a_real_model_in_litert(mediapipe_model_paths):
    """hand_recrop (mediapipe, float16 weights): the corrected int8 model is closer to the
    float model on inputs calibration never saw (measured +3.3 dB: 33.1 -> 36.4)."""
    path = next(p for p in mediapipe_model_paths if p.stem == "hand_recrop")
    calibration = [corpus.sample_inputs(path, seed) for seed in range(32)]
    held_out = range(1000, 1016)
    plain, corrected = (
        tflc.to_flatbuffer(tflc.quantize(path, "int8", calibration, bias_correction=bc))
        for bc in (False, True)
    )
    assert held_out_sqnr(path, corrected, held_out) > held_out_sqnr(path, plain, held_out) + 1.5


def test_cli_no_bias_correction(tmp_path):
    model = tmp_path / "fc.tflite"
    model.write_bytes(tflc.to_flatbuffer(tflc.parse(rounding_biased_fc())))
    np.savez(tmp_path / "data.npz", np.concatenate([x[0] for x in positive_inputs(range(8))]))
    outputs = {}
    for flag in ([], ["--no-bias-correction"]):
        out = tmp_path / f"out{len(flag)}.tflite"
        cmd = [
            sys.executable,
            "-m",
            "tflc.tools.tflc_cli",
            "quantize",
            str(model),
            "--mode",
            "int8",
        ]
        cmd += ["--calibration", str(tmp_path / "data.npz"), "-o", str(out), *flag]
        subprocess.run(cmd, check=True, capture_output=True)
        outputs[bool(flag)] = out.read_bytes()
    plain = tflc.to_flatbuffer(
        tflc.quantize(model, "int8", positive_inputs(range(8)), bias_correction=False)
    )
    assert outputs[True] == plain
    assert outputs[False] != plain


# ---- the interpreter's stepped runs ---------------------------------------------------------


@pytest.fixture(scope="module")
def int8_cnn() -> bytes:
    path = corpus.tf_model_path("cnn", "float32")
    samples = [corpus.sample_inputs(path, seed) for seed in range(4)]
    return tflc.to_flatbuffer(tflc.quantize(path, "int8", samples, bias_correction=False))


def test_stepped_run_matches_invoke(int8_cnn):
    x = corpus.sample_inputs(corpus.tf_model_path("cnn", "float32"), 7)
    full = Interpreter(model_content=int8_cnn, experimental_preserve_all_tensors=True)
    expected = full(*x)
    run = Interpreter(model_content=int8_cnn).stepped_run(*x)
    graph = read_model(int8_cnn).subgraphs[0]
    for op in graph.operators:  # every intermediate on the way, in order
        ti = op.outputs[0]
        np.testing.assert_array_equal(run.run_until(ti), full.get_tensor(ti))
    for ti, value in zip(graph.outputs, expected, strict=True):
        np.testing.assert_array_equal(run.run_until(ti), value)
    partial = Interpreter(model_content=int8_cnn).stepped_run(*x)
    partial.run_until(graph.operators[1].outputs[0])
    for value, expected_value in zip(partial.outputs(), expected, strict=True):
        np.testing.assert_array_equal(value, expected_value)


def test_stepped_run_reruns_a_node_with_a_new_constant(int8_cnn):
    x = corpus.sample_inputs(corpus.tf_model_path("cnn", "float32"), 7)
    model = read_model(int8_cnn)
    graph = model.subgraphs[0]
    conv = next(i for i, op in enumerate(graph.operators) if model.operator_name(op) == "CONV_2D")
    op = graph.operators[conv]
    interpreter = Interpreter(model_content=int8_cnn)
    run = interpreter.stepped_run(*x)
    before = run.run_until(op.outputs[0]).copy()
    bias = model.constant(graph.tensors[op.inputs[2]]) + 5000
    after = run.rerun(op.outputs[0], {2: bias})
    inputs = [run.values[ti] for ti in op.inputs[:2]]
    np.testing.assert_array_equal(after, interpreter.run_op(conv, *inputs, bias)[0])
    assert not np.array_equal(after, before)
    with pytest.raises(tflc.TflcError, match="not the last node"):
        run.rerun(graph.inputs[0], {})
