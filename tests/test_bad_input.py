"""Bad input gives `error: <file>: <what>` and exit status 1: never a traceback, crash or hang."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import tflc
from tflc.backends.tflite.flatbuffer_writer import write_model
from tflc.runtime.tflite_model import read_model
from tflc.tools import tfl_opt, tfl_translate


def _model_bytes(mediapipe_model_paths) -> bytes:
    return next(p for p in mediapipe_model_paths if p.name == "hand_recrop.tflite").read_bytes()


def _translate_fails(path, capsys, expected: str) -> None:
    assert tfl_translate.main(["--tflite-to-mlir", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: "), err
    assert err.count("\n") == 1, err  # one line
    assert expected in err
    assert "Traceback" not in err


def test_missing_empty_and_foreign_files(tmp_path, capsys):
    _translate_fails(tmp_path / "nope.tflite", capsys, "cannot read file")
    empty = tmp_path / "empty.tflite"
    empty.write_bytes(b"")
    _translate_fails(empty, capsys, "too short")
    text = tmp_path / "text.tflite"
    text.write_text("this is not a flatbuffer at all\n")
    _translate_fails(text, capsys, "missing the 'TFL3' identifier")


@pytest.mark.parametrize("fraction", [0.01, 0.1, 0.5, 0.9, 0.999])
def test_truncated_file(tmp_path, capsys, mediapipe_model_paths, fraction):
    data = _model_bytes(mediapipe_model_paths)
    path = tmp_path / "truncated.tflite"
    path.write_bytes(data[: int(len(data) * fraction)])
    _translate_fails(path, capsys, "corrupt flatbuffer")


def test_corrupted_bytes_never_crash(tmp_path, capsys, mediapipe_model_paths):
    """Random byte flips in the tables: each run ends in a clean import or a clean error."""
    data = bytearray(_model_bytes(mediapipe_model_paths))
    rng = np.random.default_rng(0)
    tables_end = min(len(data), 8 + 64 * 1024)  # offsets and tables sit before the big buffers
    for trial in range(40):
        corrupt = bytearray(data)
        for pos in rng.integers(8, tables_end, size=8):
            corrupt[pos] = int(rng.integers(0, 256))
        path = tmp_path / f"corrupt{trial}.tflite"
        path.write_bytes(bytes(corrupt))
        rc = tfl_translate.main(["--tflite-to-mlir", str(path), "-o", str(tmp_path / "out.mlir")])
        err = capsys.readouterr().err
        assert rc in (0, 1)
        assert "Traceback" not in err
        if rc == 1:
            assert err.startswith(f"error: {path}: ")


def _write_modified(tmp_path, data: bytes, edit) -> str:
    model = read_model(data)
    edit(model)
    path = tmp_path / "modified.tflite"
    path.write_bytes(write_model(model))
    return path


def test_unknown_opcode(tmp_path, capsys, mediapipe_model_paths):
    def edit(m):
        m.operator_codes[0].builtin_code = 250

    path = _write_modified(tmp_path, _model_bytes(mediapipe_model_paths), edit)
    _translate_fails(path, capsys, "unknown builtin opcode 250")


def test_out_of_range_tensor_and_buffer_indices(tmp_path, capsys, mediapipe_model_paths):
    data = _model_bytes(mediapipe_model_paths)

    def bad_tensor(m):
        m.subgraphs[0].operators[0].inputs[0] = 100000

    _translate_fails(
        _write_modified(tmp_path, data, bad_tensor),
        capsys,
        "input tensor index 100000 out of range",
    )

    def bad_buffer(m):
        m.subgraphs[0].tensors[0].buffer = 100000

    _translate_fails(
        _write_modified(tmp_path, data, bad_buffer), capsys, "buffer index 100000 out of range"
    )

    def bad_opcode_index(m):
        m.subgraphs[0].operators[0].opcode_index = 77

    _translate_fails(
        _write_modified(tmp_path, data, bad_opcode_index), capsys, "opcode index 77 out of range"
    )


def test_wrong_input_count_for_an_operator(tmp_path, capsys, mediapipe_model_paths):
    def edit(m):
        sg = m.subgraphs[0]
        conv = next(op for op in sg.operators if m.operator_name(op) == "CONV_2D")
        conv.inputs = conv.inputs[:1]

    _translate_fails(
        _write_modified(tmp_path, _model_bytes(mediapipe_model_paths), edit),
        capsys,
        "(CONV_2D): has 1 inputs, expected 2 to 3",
    )


def test_mlir_that_fails_to_verify_writes_nothing(tmp_path, capsys):
    src = tmp_path / "bad.mlir"
    src.write_text(
        'func.func @f(%a: tensor<2xf32>) -> tensor<2xf32> {\n  %0 = "tfl.relu"(%a, %a) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>\n  return %0 : tensor<2xf32>\n}\n'
    )
    out = tmp_path / "out.tflite"
    assert tfl_translate.main(["--mlir-to-tflite", str(src), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {src}:2:8: 'tfl.relu' op expects 1 operands, but got 2")
    assert not out.exists()
    assert tfl_opt.main([str(src)]) == 1
    assert capsys.readouterr().err.startswith(f"error: {src}:2:8:")


def test_mlir_syntax_error_and_non_tfl_ops(tmp_path, capsys):
    src = tmp_path / "syntax.mlir"
    src.write_text("func.func @f( {\n")
    assert tfl_translate.main(["--mlir-to-tflite", str(src), "-o", str(tmp_path / "o.tflite")]) == 1
    assert capsys.readouterr().err.startswith(f"error: {src}:1:")
    arith = tmp_path / "arith.mlir"
    arith.write_text(
        "func.func @f(%a: tensor<2xf32>) -> tensor<2xf32> {\n  %0 = arith.addf %a, %a : tensor<2xf32>\n  return %0 : tensor<2xf32>\n}\n"
    )
    assert (
        tfl_translate.main(["--mlir-to-tflite", str(arith), "-o", str(tmp_path / "o.tflite")]) == 1
    )
    assert "'arith.addf' has no TFLite equivalent" in capsys.readouterr().err


def test_api_raises_tflc_error():
    with pytest.raises(tflc.TflcError, match="missing the 'TFL3' identifier"):
        tflc.load(b"\x00" * 64)


def test_cli_entry_point_prints_one_line(tmp_path):
    path = tmp_path / "junk.tflite"
    path.write_bytes(b"junk" * 10)
    result = subprocess.run(
        [sys.executable, "-m", "tflc.tools.tfl_translate", "--tflite-to-mlir", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert (
        result.stderr == f"error: {path}: not a TFLite flatbuffer: missing the 'TFL3' identifier\n"
    )


def test_outputs_that_cannot_be_written(tmp_path, capsys, mediapipe_model_paths):
    """Refused in one line before any work; nothing is created."""
    from tflc.tools import tflc_cli

    model = next(p for p in mediapipe_model_paths if p.name == "hand_recrop.tflite")
    a_file = tmp_path / "a_file"
    a_file.write_text("keep")
    a_dir = tmp_path / "a_dir"
    a_dir.mkdir()
    missing = tmp_path / "missing" / "out.tflite"
    cases = [
        (["optimize", str(model), "-o", str(a_dir)], "is a directory"),
        (["optimize", str(model), "-o", str(missing)], "does not exist"),
        (["quantize", str(model), "--mode", "float16", "-o", str(a_dir)], "is a directory"),
        (["quantize", str(model), "--mode", "float16", "-o", str(a_file / "x")], "not exist"),
        (["convert", str(model), "-o", str(missing)], "does not exist"),
        (["compile", str(model), "--target", "tflite", "-o", str(a_file)], "not a directory"),
    ]
    for argv, expected in cases:
        assert tflc_cli.main(argv) == 1, argv
        err = capsys.readouterr().err
        assert err.startswith(f"error: {argv[-1]}: ") and expected in err, err
        assert err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_dir", "a_file"]
    assert not any(a_dir.iterdir()) and a_file.read_text() == "keep"


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch, mediapipe_model_paths):
    import os

    model = next(p for p in mediapipe_model_paths if p.name == "hand_recrop.tflite")
    out = tmp_path / "out.tflite"
    out.write_bytes(b"previous")

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(tflc.TflcError, match="cannot write: No space left on device"):
        tflc.save(tflc.load(model), out)
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.tflite"]  # no temporary file left
    monkeypatch.undo()
    tflc.save(tflc.load(model), out)
    assert out.read_bytes() == tflc.to_flatbuffer(tflc.load(model))
    plain = tmp_path / "plain"
    plain.write_bytes(b"")  # the permissions any new file gets here
    assert out.stat().st_mode == plain.stat().st_mode


def test_mlir_file_that_is_not_utf8(tmp_path, capsys, mediapipe_model_paths):
    """One byte of a tensor name in printed IR made 0xff: one line from every reader of MLIR
    text, not a UnicodeDecodeError traceback."""
    from tflc.tools import tflc_cli

    data = bytearray(tflc.to_text(tflc.load(mediapipe_model_paths[0])).encode())
    offset = data.index(b'loc("') + len(b'loc("')
    data[offset] = 0xFF
    line = data.count(b"\n", 0, offset) + 1
    column = offset - data.rfind(b"\n", 0, offset)
    path = tmp_path / "latin1.mlir"
    path.write_bytes(bytes(data))
    expected = f"error: {path}: not UTF-8 text: byte 0xff at line {line}, column {column}"
    with pytest.raises(tflc.TflcError) as raised:
        tflc.load(path)
    assert f"error: {raised.value}" == expected
    out = str(tmp_path / "out.tflite")
    runs = [
        lambda: tflc_cli.main(["compile", str(path), "--target", "tflite", "-o", str(tmp_path)]),
        lambda: tflc_cli.main(["optimize", str(path), "-o", out]),
        lambda: tflc_cli.main(["quantize", str(path), "--mode", "float16", "-o", out]),
        lambda: tfl_opt.main([str(path)]),
        lambda: tfl_translate.main(["--mlir-to-tflite", str(path), "-o", out]),
    ]
    for run in runs:
        assert run() == 1
        err = capsys.readouterr().err
        assert err.startswith(expected) and err.count("\n") == 1, err
