"""Bad input to the TensorFlow converter: one clear error with a place, exit 1, no traceback."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import tf_support
import tflc
from tflc.tools.tflc_cli import main as tflc_main

tf_support.skip_if_gpu_stack_loaded()
tf = pytest.importorskip("tensorflow")


def _erf_sinh():
    @tf.function(input_signature=[tf.TensorSpec([4], tf.float32)])
    def model(x):
        y = tf.math.erf(x)  # line of ERF_LINE
        return tf.math.sinh(y + 3.0) * 2.0  # line of SINH_LINE (no builtin: Flex in TF's too)

    return model


_SOURCE = inspect.getsource(_erf_sinh).splitlines()
_FIRST = inspect.getsourcelines(_erf_sinh)[1]
ERF_LINE = _FIRST + next(i for i, t in enumerate(_SOURCE) if "line of ERF_LINE" in t)
SINH_LINE = _FIRST + next(i for i, t in enumerate(_SOURCE) if "line of SINH_LINE" in t)


def test_unsupported_ops_are_listed_together_with_node_and_source_line():
    with pytest.raises(tflc.TflcError) as info:
        tflc.convert(_erf_sinh())
    text = str(info.value)
    assert "2 TensorFlow op(s)" in text and "Erf, Sinh" in text
    assert f"node 'Erf' (Erf) at {__file__}:{ERF_LINE}" in text
    assert f"node 'Sinh' (Sinh) at {__file__}:{SINH_LINE}" in text
    assert "--allow-select-tf-ops" in text


def test_select_tf_ops_become_flex_custom_ops():
    flatbuffer = tflc.convert(_erf_sinh(), output="flatbuffer", allow_select_tf_ops=True)
    text = tflc.to_text(tflc.load(flatbuffer))
    assert 'custom_code = "FlexErf"' in text and 'custom_code = "FlexSinh"' in text


def _save_module(path):
    class Doubler(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
        def double(self, x):
            return {"y": x * 2.0}

    module = Doubler()
    tf.saved_model.save(module, str(path), signatures={"double": module.double})
    return path


def test_cli_converts_a_saved_model_signature(tmp_path, capsys):
    model_dir = _save_module(tmp_path / "sm")
    out = tmp_path / "m.tflite"
    assert tflc_main(["convert", str(model_dir), "-o", str(out), "--signature", "double"]) == 0
    (y,) = tf_support.run_litert(out.read_bytes(), [np.array([1.0, -2.0], np.float32)])
    np.testing.assert_array_equal(y, [2.0, -4.0])


def test_cli_converts_a_keras_file(tmp_path):
    import keras

    inp = keras.Input((3,), batch_size=1)
    model = keras.Model(inp, keras.layers.Dense(2, activation="relu")(inp))
    path = tmp_path / "m.keras"
    model.save(path)
    out = tmp_path / "m.tflite"
    assert tflc_main(["convert", str(path), "-o", str(out)]) == 0
    x = np.array([[0.5, -1.0, 2.0]], np.float32)
    (y,) = tf_support.run_litert(out.read_bytes(), [x])
    # TensorFlow's kernels vs LiteRT's on three values: an ulp or two
    np.testing.assert_allclose(y, model(x).numpy(), rtol=1e-6)


@pytest.mark.parametrize(
    "make_input, message",
    [
        (lambda d: d / "missing", "no such file or directory"),
        (lambda d: d, "not a SavedModel directory"),
        (lambda d: _write(d / "notes.txt", "hello"), "not a SavedModel directory nor a .keras"),
        (lambda d: _write(d / "broken.keras", "not a zip"), "cannot load the Keras model"),
    ],
    ids=["missing", "empty-dir", "text-file", "corrupt-keras"],
)
def test_cli_reports_bad_paths(tmp_path, capsys, make_input, message):
    path = make_input(tmp_path)
    assert tflc_main(["convert", str(path), "-o", str(tmp_path / "o.tflite")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and str(path) in err
    assert "Traceback" not in err
    assert not (tmp_path / "o.tflite").exists()


def test_cli_reports_an_unknown_signature(tmp_path, capsys):
    model_dir = _save_module(tmp_path / "sm")
    args = ["convert", str(model_dir), "-o", str(tmp_path / "o.tflite"), "--signature", "nope"]
    assert tflc_main(args) == 1
    err = capsys.readouterr().err
    assert "no signature named 'nope' (the model has: double)" in err
    assert "Traceback" not in err


def test_cli_reports_unsupported_ops_with_source_lines(tmp_path, capsys):
    module = tf.Module()
    module.f = _erf_sinh()
    tf.saved_model.save(module, str(tmp_path / "sm"), signatures={"f": module.f})
    assert tflc_main(["convert", str(tmp_path / "sm"), "-o", str(tmp_path / "o.tflite")]) == 1
    err = capsys.readouterr().err
    # A loaded SavedModel has no Python tracebacks: node names only.
    assert err.startswith("error: node '") and "Erf' (Erf)" in err.splitlines()[0]
    assert "Sinh' (Sinh)" in err
    assert "Traceback" not in err


def test_function_without_signature_is_refused():
    @tf.function
    def f(x):
        return x

    with pytest.raises(tflc.TflcError, match="input_signature"):
        tflc.convert(f)


def _write(path, text):
    path.write_text(text)
    return path


def test_every_signature_of_a_saved_model_is_converted(tmp_path):
    class TwoWays(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
        def add(self, x):
            return {"sum": x + 1.0}

        @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
        def mul(self, x):
            return {"product": x * 3.0}

    module = TwoWays()
    tf.saved_model.save(module, str(tmp_path), signatures={"add": module.add, "mul": module.mul})
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=tflc.convert(str(tmp_path), output="flatbuffer"))
    assert sorted(interpreter.get_signature_list()) == ["add", "mul"]
    x = np.array([1.0, 2.0], np.float32)
    np.testing.assert_array_equal(interpreter.get_signature_runner("add")(x=x)["sum"], [2, 3])
    np.testing.assert_array_equal(interpreter.get_signature_runner("mul")(x=x)["product"], [3, 6])


def test_cli_writes_the_tfl_module_as_mlir(tmp_path):
    model_dir = _save_module(tmp_path / "sm")
    out = tmp_path / "m.mlir"
    assert tflc_main(["convert", str(model_dir), "-o", str(out)]) == 0
    text = out.read_text()
    assert '"tfl.mul"' in text and '"tf.' not in text
    assert tflc.parse(text) is not None  # the text parses back


def test_an_error_while_tracing_the_users_code_is_reported():
    @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
    def broken(x):
        return x + tf.ones([3])  # incompatible shapes: TensorFlow fails while tracing

    with pytest.raises(tflc.TflcError, match="tracing the function failed"):
        tflc.convert(broken)
