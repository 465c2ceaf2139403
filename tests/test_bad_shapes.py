"""An operator whose declared output shape its inputs and options contradict, or whose options
give no shape at all, is one `error:` line naming the operator and the tensor, the same from
every entry point (runtime/shape_inference.py: one shape function per op).

Before, the compiled targets sized buffers from the declared shapes: SIGSEGV in cpu code,
"malloc(): invalid size", or garbage; the interpreter crashed on a dilation of INT_MIN.
"""

from __future__ import annotations

import re
import subprocess
import sys

import corpus
import pytest
from test_bad_tensors import _assert_every_entry_point_fails
from tflc.backends.tflite.flatbuffer_writer import write_model
from tflc.errors import TflcError
from tflc.runtime.interpreter import Interpreter
from tflc.runtime.tflite_model import Model, Operator, read_model

_COMPILE = """
import sys
import tflc
for target in ("cpu", "mcu"):
    options = {"measure_flash": False} if target == "mcu" else {}
    try:
        tflc.compile(sys.argv[1], target=target, **options)
        print(f"{target}: compiled", file=sys.stderr)
    except tflc.TflcError as e:
        print(f"error: {e}", file=sys.stderr)
"""


def _first(model: Model, op_name: str) -> tuple[int, Operator]:
    ops = model.subgraphs[0].operators
    return next((i, op) for i, op in enumerate(ops) if model.operator_name(op) == op_name)


def _declare_half_height(model: Model) -> str:
    index, conv = _first(model, "CONV_2D")
    out = model.subgraphs[0].tensors[conv.outputs[0]]
    declared = list(out.shape)
    out.shape = [declared[0], declared[1] // 2, *declared[2:]]
    return (
        f"operator {index} (CONV_2D): output tensor {conv.outputs[0]} '{out.name}' is declared "
        f"{out.shape}, but its inputs and options give {declared}"
    )


def _option(op_name: str, field: str, value: int, problem: str):
    def edit(model: Model) -> str:
        index, op = _first(model, op_name)
        op.builtin_options[1][field] = value
        return f"operator {index} ({op_name}): {problem}"

    return edit


CASES = [
    ("declared-shape", "cnn", _declare_half_height),
    ("stride-zero", "cnn", _option("CONV_2D", "stride_h", 0, "stride_h 0 must be at least 1")),
    (
        "dilation-int-min",
        "cnn",
        _option(
            "DEPTHWISE_CONV_2D", "dilation_w_factor", -(2**31), "dilation_w_factor -2147483648"
        ),
    ),
    ("pool-filter-zero", "cnn", _option("MAX_POOL_2D", "filter_width", 0, "filter_width 0 must")),
    ("concat-axis", "cnn", _option("CONCATENATION", "axis", 7, "axis 7 is outside rank 4")),
]


def _bad_model(tmp_path, name: str, mode: str, edit) -> tuple[str, str]:
    model = read_model(corpus.tf_model_path(name, mode))
    problem = edit(model)
    path = tmp_path / f"{name}.{mode}.tflite"
    path.write_bytes(write_model(model))
    return str(path), f"subgraph 0 {problem}"


@pytest.mark.parametrize("mode", ["float32", "int8"])
@pytest.mark.parametrize("name,edit", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_contradicted_shape_is_one_error_everywhere(tmp_path, name, edit, mode):
    path, problem = _bad_model(tmp_path, name, mode, edit)
    _assert_every_entry_point_fails(path, problem, tmp_path)
    with pytest.raises(TflcError, match=re.escape(problem)):
        Interpreter(model_path=path)


def test_compiled_targets_refuse_a_contradicted_shape(tmp_path):
    path, problem = _bad_model(tmp_path, "cnn", "int8", _declare_half_height)
    result = subprocess.run(
        [sys.executable, "-c", _COMPILE, path], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"crashed (status {result.returncode}):\n{result.stderr}"
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and all(problem in line for line in lines), result.stderr


def test_every_corpus_model_passes_the_shape_check():
    """No false alarm: every op of every corpus model, TF-converted and mediapipe, infers the
    shapes its file declares (read_model runs the check)."""
    paths = [corpus.tf_model_path(n, m) for n in corpus.SMALL_TF_MODELS for m in corpus.MODES]
    for path in paths + corpus.mediapipe_models():
        read_model(path)


def test_contradicted_shape_in_mlir_text(tmp_path):
    """The tfl verifier runs the same shape functions on MLIR (dialects/tfl_shapes.py): a stride
    edited in the text contradicts the result type the file declares."""
    import tflc

    text = tflc.to_text(tflc.load(corpus.tf_model_path("cnn", "float32")), elide_larger_than=None)
    line = next(line for line in text.splitlines() if "tfl.conv_2d" in line)
    assert "stride_h = 2 : i32" in line and "-> tensor<1x16x16x16xf32>" in line
    path = tmp_path / "bad.mlir"
    path.write_text(text.replace(line, line.replace("stride_h = 2 : i32", "stride_h = 1 : i32")))
    problem = (
        "'tfl.conv_2d' op result 0 is declared [1, 16, 16, 16], but operands and attributes "
        "give [1, 32, 16, 16]"
    )
    _assert_every_entry_point_fails(str(path), problem, tmp_path, f"{path}:")


def test_unknown_batch_does_not_hide_a_contradicted_shape(tmp_path):
    """With the batch unknown (-1 in every shape signature, 1 in `shape`), declared shapes are
    compared with their signatures: a halved height is still refused by name everywhere."""
    model = read_model(corpus.tf_model_path("cnn", "float32"))
    graph = model.subgraphs[0]
    for t in graph.tensors:
        if t.shape and not len(model.buffer_data(t)):
            t.shape_signature = [-1, *t.shape[1:]]
    problem = _declare_half_height(model)
    _, conv = _first(model, "CONV_2D")
    out = graph.tensors[conv.outputs[0]]
    out.shape_signature = [-1, *out.shape[1:]]
    path = tmp_path / "dynamic.tflite"
    path.write_bytes(write_model(model))
    declared = problem.split(" is declared ")[0]
    with pytest.raises(TflcError, match=re.escape(declared) + r" is declared \[-1, 8, 16, 16\]"):
        Interpreter(model_path=str(path))
