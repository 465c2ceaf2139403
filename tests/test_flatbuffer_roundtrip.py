"""Every corpus model imports, verifies, and round-trips exactly: tflite -> mlir -> tflite -> mlir."""

from __future__ import annotations

import subprocess
import sys

import corpus
import numpy as np
import pytest
import tflc
from flatbuffer_fields import model_fields
from flatbuffer_tree import first_difference, model_tree
from tflc.backends.tflite.flatbuffer_writer import write_model
from tflc.runtime.tflite_model import read_model


def _roundtrip(source):
    original = source.read_bytes()
    module = tflc.load(original)
    exported = tflc.to_flatbuffer(module)
    text = tflc.to_text(module, elide_larger_than=None)
    reimported = tflc.to_text(tflc.load(exported), elide_larger_than=None)
    return original, exported, text, reimported


def _check(path) -> None:
    original, exported, text, reimported = _roundtrip(path)
    assert reimported == text, "mlir -> tflite -> mlir changed the printed IR"
    assert model_fields(exported) == model_fields(original), (
        "the flatbuffers differ field for field"
    )
    # The same through LiteRT's generated schema: every field, read by a reader not tflc's.
    difference = first_difference(model_tree(original), model_tree(exported))
    assert difference is None, f"written file differs from the original at {difference}"
    if corpus.litert_can_run(original):
        inputs = corpus.sample_inputs(original, seed=7)
        want = corpus.litert_run(original, inputs)
        got = corpus.litert_run(exported, inputs)
        for w, g in zip(want, got, strict=True):
            assert w.dtype == g.dtype and w.shape == g.shape
            np.testing.assert_array_equal(g, w)


def test_mediapipe_corpus_round_trips(mediapipe_model_paths):
    assert len(mediapipe_model_paths) == corpus.MEDIAPIPE_MODEL_COUNT
    for path in mediapipe_model_paths:
        try:
            _check(path)
        except AssertionError as e:
            raise AssertionError(f"{path.name}: {e}") from None


@pytest.mark.parametrize("name,mode", corpus.tf_model_cases(models=corpus.SMALL_TF_MODELS))
def test_tf_corpus_round_trips(name, mode):
    _check(corpus.tf_model_path(name, mode))


@pytest.mark.slow
@pytest.mark.parametrize("mode", corpus.MODES)
def test_mobilenet_v2_round_trips(mode):
    _check(corpus.tf_model_path("mobilenet_v2", mode))


def test_custom_op_model_keeps_its_custom_ops(mediapipe_model_paths):
    path = next(p for p in mediapipe_model_paths if p.name == "face_landmark_with_attention.tflite")
    text = tflc.to_text(tflc.load(path))
    for code in ("Landmarks2TransformMatrix", "TransformLandmarks", "TransformTensorBilinear"):
        assert f'custom_code = "{code}"' in text


def test_sparse_and_float16_weights_are_kept_as_ops(mediapipe_model_paths):
    path = next(
        p for p in mediapipe_model_paths if p.name == "face_detection_full_range_sparse.tflite"
    )
    text = tflc.to_text(tflc.load(path))
    assert '"tfl.pseudo_sparse_const"' in text and '"tfl.densify"' in text
    assert "xf16>" in text and '"tfl.dequantize"' in text


def test_export_is_deterministic(mediapipe_model_paths):
    module = tflc.load(mediapipe_model_paths[0])
    assert tflc.to_flatbuffer(module) == tflc.to_flatbuffer(tflc.load(mediapipe_model_paths[0]))


def test_int16x8_model_loads_round_trips_and_runs_bit_exact(tmp_path):
    """16-bit activations, 8-bit weights and int64 biases, as TensorFlow's converter writes them:
    the biases import as i32-storage quant types holding their int64 values, and export as INT64
    again. Run in a subprocess first: before, MLIR aborted the process on the int64 storage."""
    path = corpus.tf_model_path("cnn", "int16x8")
    assert {"INT16", "INT64"} <= corpus.tensor_types(path)
    mlir, exported = tmp_path / "m.mlir", tmp_path / "m.tflite"
    translate = [sys.executable, "-m", "tflc.tools.tfl_translate", "--print-all-constants"]
    for argv in (["--tflite-to-mlir", str(path)], ["--mlir-to-tflite", str(mlir)]):
        output = exported if argv[0] == "--mlir-to-tflite" else mlir
        result = subprocess.run(
            [*translate, *argv, "-o", str(output)], capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr
    assert "x!quant.uniform<i32:f32:0" in mlir.read_text() and "xi64>" in mlir.read_text()
    assert model_fields(exported) == model_fields(path)
    _check(path)  # tflc.load / tflc.to_flatbuffer: the same fields, LiteRT's outputs identical
    inputs = corpus.sample_inputs(path, seed=3)
    want = corpus.litert_run(path, inputs)
    np.testing.assert_array_equal(corpus.litert_run(exported, inputs)[0], want[0])
    np.testing.assert_array_equal(tflc.Interpreter(model_path=str(path))(*inputs)[0], want[0])
    # A bias outside the int32 range (legal in the file) is kept too: the i64 value holds it.
    model = read_model(path)
    bias = next(t for t in model.subgraphs[0].tensors if t.type == "INT64")
    values = np.frombuffer(model.buffers[bias.buffer], np.int64).copy()
    values[0] = 2**40 + 3
    model.buffers[bias.buffer] = values.tobytes()
    wide = write_model(model)
    assert model_fields(tflc.to_flatbuffer(tflc.load(wide))) == model_fields(wide)


def test_splat_bool_constant_is_written_whole(tmp_path):
    # The bindings read a splat i1 attribute's one byte as a bit-packed tensor: past 8 elements
    # the flatbuffer got whatever followed in memory.
    text = """
func.func @main(%x: tensor<5x6xf32>) -> tensor<5x6xf32> {
  %keep = "tfl.pseudo_const"() {value = dense<true> : tensor<5x6xi1>} : () -> tensor<5x6xi1>
  %zero = "tfl.pseudo_const"() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %y = "tfl.select_v2"(%keep, %x, %zero) : (tensor<5x6xi1>, tensor<5x6xf32>, tensor<f32>) -> tensor<5x6xf32>
  return %y : tensor<5x6xf32>
}
"""
    path = tmp_path / "splat.mlir"
    path.write_text(text)
    flatbuffer = tflc.to_flatbuffer(tflc.load(str(path)))
    x = np.arange(30, dtype=np.float32).reshape(5, 6) + 1
    from ai_edge_litert.interpreter import Interpreter

    litert = Interpreter(model_content=flatbuffer)
    litert.allocate_tensors()
    litert.set_tensor(litert.get_input_details()[0]["index"], x)
    litert.invoke()
    np.testing.assert_array_equal(litert.get_tensor(litert.get_output_details()[0]["index"]), x)
    np.testing.assert_array_equal(tflc.Interpreter(model_content=flatbuffer)(x)[0], x)
