"""User mistakes that used to pass silently or end in a bare OSError (issue #19): calibration
data under the wrong names, and saving a compiled model where it cannot be written."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tflc
from tflc.errors import TflcError

TINY_CNN = Path(tflc.__file__).resolve().parent / "examples" / "tiny_cnn.tflite"
HAS_WGPU = importlib.util.find_spec("wgpu") is not None


def input_name() -> str:
    from tflc.quantizer import input_specs

    ((name, _, _),) = input_specs(tflc.load(str(TINY_CNN)))
    return name


def images(n: int = 3) -> np.ndarray:
    return np.random.default_rng(0).random((n, 1, 28, 28, 1), np.float32)


@pytest.mark.parametrize(
    ("arrays", "named"),
    [
        ({"imgae": images()}, "'imgae'"),  # a misspelt input name
        ({"INPUT": images(), "labels": np.zeros(3)}, "'labels'"),  # an extra array
        ({"arr_0": images(), "arr_1": images()}, "'arr_1'"),  # one positional array too many
    ],
    ids=["wrong-key", "extra-array", "extra-positional"],
)
def test_calibration_npz_with_unknown_arrays_is_refused(tmp_path, arrays, named):
    arrays = {input_name() if k == "INPUT" else k: v for k, v in arrays.items()}
    data = tmp_path / "data.npz"
    np.savez(data, **arrays)
    with pytest.raises(TflcError) as e:
        tflc.quantize(str(TINY_CNN), mode="int8", calibration=str(data))
    assert e.value.where == str(data)
    assert f"unexpected {named};" in e.value.what
    assert f"'{input_name()}'" in e.value.what  # names what the model expects
    assert "\n" not in str(e.value)


def test_calibration_npz_by_name_or_position_is_accepted(tmp_path):
    by_name, by_position = tmp_path / "named.npz", tmp_path / "positional.npz"
    np.savez(by_name, **{input_name(): images()})
    np.savez(by_position, images())
    for data in (by_name, by_position):
        tflc.quantize(str(TINY_CNN), mode="int8", calibration=str(data))


def test_calibration_cli_names_the_key(tmp_path):
    data = tmp_path / "data.npz"
    np.savez(data, imgae=images())
    args = ["quantize", str(TINY_CNN), "--mode", "int8", "--calibration", str(data)]
    result = subprocess.run(
        [sys.executable, "-m", "tflc.tools.tflc_cli", *args, "-o", str(tmp_path / "q.tflite")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {data}: calibration data holds ")
    assert "'imgae'" in lines[0] and f"'{input_name()}'" in lines[0]


TARGETS = ["tflite", "cpu", "mcu", *(["gpu"] if HAS_WGPU else [])]


@pytest.fixture(scope="module")
def compiled() -> dict:
    return {target: tflc.compile(str(TINY_CNN), target=target) for target in TARGETS}


@pytest.mark.parametrize("target", TARGETS)
def test_save_where_a_file_is_in_the_way(tmp_path, compiled, target):
    blocker = tmp_path / "a_file"
    blocker.write_text("keep")
    with pytest.raises(TflcError) as e:
        compiled[target].save(blocker / "out")
    assert e.value.where.startswith(str(blocker))
    assert e.value.what.startswith("cannot save the compiled model: ")
    assert "\n" not in str(e.value)
    assert blocker.read_text() == "keep"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
@pytest.mark.parametrize("target", TARGETS)
def test_save_into_a_read_only_directory(tmp_path, compiled, target):
    read_only = tmp_path / "read_only"
    read_only.mkdir()
    read_only.chmod(0o555)
    try:
        with pytest.raises(TflcError, match="cannot save the compiled model: Permission denied"):
            compiled[target].save(read_only)
    finally:
        read_only.chmod(0o755)


def test_loaded_cpu_model_save_errors(tmp_path, compiled):
    compiled["cpu"].save(tmp_path / "saved")
    loaded = tflc.load_compiled(tmp_path / "saved")
    (tmp_path / "a_file").write_text("")
    with pytest.raises(TflcError, match="cannot save the compiled model"):
        loaded.save(tmp_path / "a_file" / "out")
