"""Every target's `CompiledModel.report` uses the keys the README's table documents for it:
one name per fact across targets (issue #19: `weight_bytes` on cpu was `weights_bytes` on mcu),
and no key whose value is unknown (`tflm_arena_bytes: None`)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import tflc
from test_cpu_fallback import CUSTOM_BETWEEN_NATIVE_OPS

ROOT = Path(tflc.__file__).resolve().parent
TINY_CNN = ROOT / "examples" / "tiny_cnn.tflite"
TINY_CNN_INT8 = ROOT / "examples" / "tiny_cnn_int8.tflite"
HAS_WGPU = importlib.util.find_spec("wgpu") is not None


def documented_keys() -> dict[str, set[str]]:
    """README's report table: key -> the targets it is documented for."""
    text = (ROOT / "README.md").read_text()
    table = text.split("| key | targets | what |", 1)[1].split("\n\n", 1)[0]
    keys: dict[str, set[str]] = {}
    for row in table.splitlines()[2:]:
        names, targets = row.split("|")[1:3]
        where = {t.strip() for t in targets.split(",")}
        where = {"cpu", "gpu", "mcu", "tflite"} if where == {"all"} else where
        for name in re.findall(r"`([a-z0-9_]+)`", names):
            keys[name] = where
    return keys


CASES = {
    "tflite": ("tflite", TINY_CNN, {}),
    "cpu-float": ("cpu", TINY_CNN, {}),
    "cpu-int8": ("cpu", TINY_CNN_INT8, {}),
    "cpu-fallback": ("cpu", None, {"fallback": "runtime"}),
    "mcu-float": ("mcu", TINY_CNN, {}),
    "mcu-int8": ("mcu", TINY_CNN_INT8, {}),
    **({"gpu": ("gpu", TINY_CNN, {})} if HAS_WGPU else {}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_report_uses_documented_keys(case):
    target, model, options = CASES[case]
    source = str(model) if model else tflc.parse(CUSTOM_BETWEEN_NATIVE_OPS, "cube.mlir")
    report = tflc.compile(source, target=target, **options).report
    documented = documented_keys()
    undocumented = [k for k in report if target not in documented.get(k, set())]
    assert undocumented == [], f"{target} report keys missing from the README table"
    assert [k for k, v in report.items() if v is None] == []
    assert "compile_seconds" in report
    if target != "tflite":  # the facts every compiling target states, under the same names
        assert {"arena_bytes", "weight_bytes"} <= set(report)


def test_table_lists_each_key_once():
    text = (ROOT / "README.md").read_text()
    table = text.split("| key | targets | what |", 1)[1].split("\n\n", 1)[0]
    names = re.findall(r"^\| ([^|]*)\|", table, re.M)
    keys = [k for cell in names for k in re.findall(r"`([a-z0-9_]+)`", cell)]
    assert len(keys) == len(set(keys)) > 10
