"""A tensor with bad quantization parameters or a constant buffer that does not fit its type and
shape is one `error:` line naming the tensor, the same from every entry point.

MLIR's quant type constructors abort the process on some of these (a C++ assertion), so the
compiler's entry points run in a subprocess: a crash fails the test instead of killing pytest.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from collections.abc import Callable

import corpus
import pytest
import tflc
from tflc.backends.tflite.flatbuffer_writer import write_model
from tflc.errors import TflcError
from tflc.runtime.interpreter import Interpreter
from tflc.runtime.tflite_model import Model, Tensor, read_model

# Every entry point, one after the other in one process: for a .tflite, tflc.load,
# tfl-translate, `tflc compile` and `tflc run`; for MLIR text, tflc.load, tfl-opt,
# tfl-translate and `tflc compile`.
_ENTRY_POINTS = """
import sys
import tflc
from tflc.tools import tfl_opt, tfl_translate, tflc_cli

path, out = sys.argv[1], sys.argv[2]
try:
    tflc.load(path)
    print("tflc.load: loaded", file=sys.stderr)
except tflc.TflcError as e:
    print(f"error: {e}", file=sys.stderr)
if path.endswith(".mlir"):
    tfl_opt.main([path, "-o", out + ".opt.mlir"])
    tfl_translate.main(["--mlir-to-tflite", path, "-o", out + ".tflite"])
else:
    tfl_translate.main(["--tflite-to-mlir", path, "-o", out + ".mlir"])
    tflc_cli.main(["run", path, "--random-inputs"])
tflc_cli.main(["compile", path, "--target", "tflite", "-o", out + ".compiled"])
"""
ENTRY_POINT_COUNT = 4


def _first_conv(model: Model) -> tuple[Tensor, Tensor, Tensor]:
    """(input activation, per-channel weights, int32 bias) of the first CONV_2D."""
    sg = model.subgraphs[0]
    conv = next(op for op in sg.operators if model.operator_name(op) == "CONV_2D")
    return tuple(sg.tensors[i] for i in conv.inputs)


def _activation(model: Model) -> Tensor:
    return _first_conv(model)[0]


def _weights(model: Model) -> Tensor:
    return _first_conv(model)[1]


def _bias(model: Model) -> Tensor:
    return _first_conv(model)[2]


def _set(field: str, value) -> Callable[[Tensor], None]:
    def edit(t: Tensor) -> None:
        setattr(t.quantization, field, value)

    return edit


def _set_type(type_name: str) -> Callable[[Tensor], None]:
    def edit(t: Tensor) -> None:
        t.type = type_name

    return edit


def _drop_last_channel(t: Tensor) -> None:
    t.quantization.scale = t.quantization.scale[:-1]
    t.quantization.zero_point = t.quantization.zero_point[:-1]


def _nan_first_scale(t: Tensor) -> None:
    t.quantization.scale = [math.nan, *t.quantization.scale[1:]]


def _one_zero_point(t: Tensor) -> None:
    t.quantization.zero_point = t.quantization.zero_point[:1]


# (case, tensor to edit, edit, the problem expected after "subgraph 0 tensor N 'name': ")
CASES = [
    ("scale-minus-inf", _activation, _set("scale", [-math.inf]), "quantization scale -inf is"),
    ("scale-nan", _weights, _nan_first_scale, "quantization scale nan is"),
    ("scale-zero", _activation, _set("scale", [0.0]), "quantization scale 0.0 is"),
    ("activation-int64", _activation, _set_type("INT64"), "quantized INT64 is for constants"),
    ("weights-int64", _weights, _set_type("INT64"), "buffer holds 432 bytes; INT64 of shape"),
    ("activation-uint16", _activation, _set_type("UINT16"), "quantized UINT16 storage is not"),
    ("zero-point", _activation, _set("zero_point", [300]), "zero point 300 is outside the INT8"),
    ("axis-out-of-rank", _weights, _set("quantized_dimension", 4), "quantized_dimension 4 is"),
    ("scales-per-channel", _weights, _drop_last_channel, "15 quantization scales for dimension"),
    ("zero-point-count", _weights, _one_zero_point, "16 quantization scales but 1 zero points"),
]


def _bad_model(tmp_path, pick, edit) -> tuple[str, str]:
    """Writes the int8 cnn with one tensor edited; returns (path, "subgraph 0 tensor N 'name'")."""
    model = read_model(corpus.tf_model_path("cnn", "int8"))
    tensor = pick(model)
    edit(tensor)
    index = model.subgraphs[0].tensors.index(tensor)
    path = tmp_path / "bad.tflite"
    path.write_bytes(write_model(model))
    return str(path), f"subgraph 0 tensor {index} '{tensor.name}'"


def _assert_every_entry_point_fails(
    path: str, expected: str, tmp_path, where: str | None = None
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _ENTRY_POINTS, path, str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"crashed (status {result.returncode}):\n{result.stderr}"
    lines = result.stderr.splitlines()
    assert len(lines) == ENTRY_POINT_COUNT, result.stderr
    for line in lines:
        assert line.startswith(f"error: {where or path + ': '}"), result.stderr
        assert expected in line, result.stderr
    assert len(set(lines)) == 1, "the entry points disagree:\n" + result.stderr


@pytest.mark.parametrize("pick,edit,problem", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_quantization_is_one_error_everywhere(tmp_path, pick, edit, problem):
    path, tensor = _bad_model(tmp_path, pick, edit)
    _assert_every_entry_point_fails(path, f"{tensor}: {problem}", tmp_path)
    with pytest.raises(TflcError, match=re.escape(f"{tensor}: {problem}")):
        Interpreter(model_path=path)


def test_constant_buffer_that_does_not_fit_its_tensor(tmp_path):
    """One byte short: numpy's 'buffer size must be a multiple of element size' before."""
    model = read_model(corpus.tf_model_path("cnn", "int8"))
    bias = _bias(model)
    model.buffers[bias.buffer] = bytes(model.buffers[bias.buffer])[:-1]
    path = tmp_path / "short.tflite"
    path.write_bytes(write_model(model))
    index = model.subgraphs[0].tensors.index(bias)
    size = 4 * math.prod(bias.shape)
    expected = (
        f"subgraph 0 tensor {index} '{bias.name}': buffer holds {size - 1} bytes; "
        f"INT32 of shape {bias.shape} needs {size}"
    )
    _assert_every_entry_point_fails(str(path), expected, tmp_path)


def _cnn_int8_text() -> tuple[str, str]:
    """The int8 cnn as MLIR text, and the quant type of its input (`!quant.uniform<...>`)."""
    text = tflc.to_text(tflc.load(corpus.tf_model_path("cnn", "int8")), elide_larger_than=None)
    input_type = re.search(r"func\.func @main\(%arg0: tensor<[0-9x]*(![^>]*>)", text).group(1)
    return text, input_type


# (case, new scale and zero point of the input's quant type, the expected error after "error: ")
MLIR_CASES = [
    # MLIR's parser refuses it, with the place in the file.
    ("negative-scale", "-0.5:-1", "{path}:3:", "scale -5.000000e-01 out of expressed type range"),
    # MLIR parses it; the tfl verifier's quantization check refuses it.
    ("zero-point", "0.0078125:300", "{path}: xs_0: argument 0: ", "zero point 300 is outside"),
    # NaN != NaN: every use of the type is a type of its own, and MLIR says so.
    ("nan-scale", "0x7FF8000000000000:-1", "{path}:", "expects different type than prior uses"),
]


@pytest.mark.parametrize(
    "parameters,where,problem", [c[1:] for c in MLIR_CASES], ids=[c[0] for c in MLIR_CASES]
)
def test_bad_quantization_in_mlir_text(tmp_path, parameters, where, problem):
    text, input_type = _cnn_int8_text()
    bad_type = re.sub(r", [^,{}]*>$", f", {parameters}>", input_type)
    path = tmp_path / "bad.mlir"
    path.write_text(text.replace(input_type, bad_type))
    _assert_every_entry_point_fails(str(path), problem, tmp_path, where.format(path=path))
