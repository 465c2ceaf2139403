"""`tfl-translate --tf-to-mlir`: a .keras file to the tf dialect, with node names as locations."""

from __future__ import annotations

from tflc.tools import tfl_translate


def test_keras_file_to_tf_dialect(tmp_path, capsys):
    import tensorflow as tf

    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential(
        [
            tf.keras.Input((4,), batch_size=1),
            tf.keras.layers.Dense(3, activation="relu", name="dense"),
        ]
    )
    path = tmp_path / "small.keras"
    model.save(path)
    out = tmp_path / "small.mlir"
    assert tfl_translate.main(["--tf-to-mlir", str(path), "-o", str(out)]) == 0
    text = out.read_text()
    assert '"tf.MatMul"' in text and '"tf.Relu"' in text
    assert "dense" in text  # node names survive as locations


def test_missing_model_is_one_line_error(tmp_path, capsys):
    assert tfl_translate.main(["--tf-to-mlir", str(tmp_path / "nothere.keras")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {tmp_path / 'nothere.keras'}: ") and "Traceback" not in err
