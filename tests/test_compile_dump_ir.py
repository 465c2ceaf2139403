"""`tflc compile --dump-ir DIR`: the module after each compile stage, numbered in pipeline order."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tflc
from tflc.passes.optimize import OPTIMIZE_PIPELINE
from tflc.tools.tflc_cli import main

MODEL = Path(tflc.__file__).resolve().parent / "examples" / "tiny_cnn.tflite"

# What each target lowers through MLIR after the tfl passes.
BACKEND_STAGES = {
    "cpu": ["cpu-kernels", "cpu-llvm"],
    "gpu": ["gpu-kernels", "gpu-canonicalized"],
    "mcu": [],
    "tflite": [],
}


def _stages(directory: Path) -> list[tuple[int, str]]:
    found = []
    for path in directory.iterdir():
        m = re.fullmatch(r"(\d+)-(.+)\.mlir", path.name)
        assert m, f"unexpected file {path.name}"
        found.append((int(m[1]), m[2]))
    return sorted(found)


@pytest.mark.parametrize("target", sorted(BACKEND_STAGES))
def test_dump_ir_writes_every_stage_in_order(tmp_path, target):
    dump = tmp_path / "ir"
    status = main(
        ["compile", str(MODEL), "--target", target, "-o", str(tmp_path / "out"),
         "--dump-ir", str(dump)]
    )  # fmt: skip
    assert status == 0
    stages = _stages(dump)
    assert [n for n, _ in stages] == list(range(1, len(stages) + 1))  # no gaps, from 01
    names = [name for _, name in stages]

    # import, then the optimization passes of each round in pipeline order, then tfl-optimize
    # (whose own dump follows the passes it ran), then the backend's lowerings.
    optimize_passes = OPTIMIZE_PIPELINE.split(",")
    assert names[0] == "import"
    assert names[1 : 1 + len(optimize_passes)] == optimize_passes
    end_of_tfl = names.index("tfl-optimize")
    rounds = names[1:end_of_tfl]
    assert len(rounds) % len(optimize_passes) == 0
    assert rounds == optimize_passes * (len(rounds) // len(optimize_passes))
    assert names[end_of_tfl + 1 :] == BACKEND_STAGES[target]

    # Each file is a module tflc reads back; tfl stages hold the model, backend stages their IR.
    texts = {}
    for number, name in stages:
        text = (dump / f"{number:02d}-{name}.mlir").read_text()
        tflc.parse(text, name)
        texts[name] = text
    assert '"tfl.conv_2d"' in texts["import"]
    if target == "cpu":
        assert "llvm.func" in texts["cpu-llvm"] and "tfl." not in texts["cpu-llvm"]
    if target == "gpu":
        assert "gpu.func" in texts["gpu-canonicalized"]


def test_dump_ir_replaces_an_earlier_dump(tmp_path):
    dump = tmp_path / "ir"
    dump.mkdir()
    (dump / "99-stale.mlir").write_text("module {}\n")
    assert main(["compile", str(MODEL), "--target", "tflite", "-o", str(tmp_path / "out"),
                 "--dump-ir", str(dump)]) == 0  # fmt: skip
    assert not (dump / "99-stale.mlir").exists()
    assert (dump / "01-import.mlir").is_file()


def test_dump_ir_into_a_file_is_a_one_line_error(tmp_path, capsys):
    not_a_dir = tmp_path / "ir"
    not_a_dir.write_text("")
    assert main(["compile", str(MODEL), "--target", "tflite", "-o", str(tmp_path / "out"),
                 "--dump-ir", str(not_a_dir)]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert err.startswith(f"error: {not_a_dir}: exists and is not a directory")
    assert "Traceback" not in err
