"""`tflc compile --target mcu --report FILE.png`: the arena timeline, its bars checked against
the pointers the generated C passes to each kernel, and the PNG opened."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import tflc
from tflc.tools.tflc_cli import main

MODEL = Path(tflc.__file__).resolve().parent / "examples" / "tiny_cnn_int8.tflite"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    out = tmp_path_factory.mktemp("mcu")
    args = ["compile", str(MODEL), "--target", "mcu", "-o", str(out / "c"),
            "--report", str(out / "arena.png")]  # fmt: skip
    assert main(args) == 0
    return out


def _kernel_calls(model_c: str) -> list[str]:
    """The C statement of each kernel call in model_run, in call order (each follows its
    `/* op N: ... */` comment)."""
    body = model_c[model_c.index("int model_run(") :]
    return re.findall(r"/\* op \d+: [^\n]*\*/\n\s*([^\n]*);", body)


def test_bars_are_where_the_generated_c_puts_the_tensors(compiled):
    from tflc.backends.mcu.arena_timeline import arena_bars

    model = tflc.compile(str(MODEL), target="mcu", measure_flash=False, compare_tflm=False)
    bars = arena_bars(model)
    calls = _kernel_calls((compiled / "c" / "model.c").read_text())
    assert len(calls) == len(model.program.calls) and len(bars) >= 3
    for bar in bars:
        pointer = f"(mem + {bar.offset})"
        # Written by the call it starts at, read by the one it ends at.
        assert calls[bar.first].endswith(f"{pointer})"), (bar, calls[bar.first])
        assert pointer in calls[bar.last].rsplit(",", 1)[0], (bar, calls[bar.last])
        assert bar.offset + bar.size <= model.plan.arena_size
    assert max(b.offset + b.size for b in bars) == model.report["arena_bytes"]
    for a in bars:  # buffers alive across the same call never share bytes
        for b in bars:
            if a is not b and a.first < b.last and b.first < a.last:
                assert a.offset + a.size <= b.offset or b.offset + b.size <= a.offset, (a, b)


def test_png_is_a_nonempty_plot(compiled):
    from PIL import Image

    with Image.open(compiled / "arena.png") as image:
        assert image.format == "PNG"
        width, height = image.size
        assert width >= 500 and height >= 300
        pixels = np.asarray(image.convert("RGB")).reshape(-1, 3).astype(int)
    colors, counts = np.unique(pixels, axis=0, return_counts=True)
    assert len(colors) > 10 and counts.max() < 0.9 * len(pixels)
    # The first bars' fills (matplotlib's C0 and C1) cover a visible share of the picture.
    for rgb in ((31, 119, 180), (255, 127, 14)):
        assert np.all(np.abs(pixels - rgb) < 8, axis=1).mean() > 0.01, rgb


def test_report_is_for_the_mcu_target(tmp_path, capsys):
    args = ["compile", str(MODEL), "--target", "cpu", "-o", str(tmp_path / "out"),
            "--report", str(tmp_path / "arena.png")]  # fmt: skip
    assert main(args) == 1
    assert capsys.readouterr().err == (
        "error: --report: the arena timeline is drawn for --target mcu\n"
    )
    assert not (tmp_path / "out").exists()
