"""Checks one program of tests/tf_op_programs.py against TensorFlow's converter: both converters,
both models in LiteRT, tflc's model in tflc's interpreter, every output against TensorFlow's.

Read by tests/test_tf_op_parity.py and benchmarks/tf_op_parity.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import tf_support
import tflc
from tf_op_inputs import Program

# Relative to each output's largest magnitude; integers exactly. TensorFlow's kernels vs
# LiteRT's on one op: sums in another order, other math functions (`python
# benchmarks/tf_op_parity.py` prints each op's figure).
TOLERANCE = 1e-4


@dataclass
class Row:
    op: str
    tf_result: str  # "builtins", "flex", "fails", or "builtins, LiteRT fails" / "... mismatch"
    tflc_result: str  # "matches", "converts" (outputs differ), or "error: ..."
    error: float | None = None  # tflc in LiteRT vs TensorFlow (statistics for random ops)
    # tflc's model vs TensorFlow's converter's, both in LiteRT (where LiteRT ran theirs)
    error_vs_tf_model: float | None = None
    # operators both models hold at different versions: "NAME tflc vN, TF vM"
    version_differences: list[str] = field(default_factory=list)

    @property
    def tf_runs_builtins(self) -> bool:
        return self.tf_result == "builtins"

    @property
    def behind(self) -> bool:
        """TensorFlow's converter gives a model LiteRT runs right and tflc does not."""
        return self.tf_runs_builtins and self.tflc_result != "matches"


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"[:160]


def _tf_flex_convert(fn) -> bool:
    import tensorflow as tf

    concrete = fn.get_concrete_function()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], fn)
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.TFLITE_BUILTINS,
        tf.lite.OpsSet.SELECT_TF_OPS,
    ]
    try:
        converter.convert()
    except Exception:  # noqa: BLE001  (any converter failure is a "fails" row)
        return False
    return True


def _is_custom_free(flatbuffer: bytes) -> bool:
    import tflite

    model = tflite.Model.GetRootAsModel(flatbuffer, 0)
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        if max(code.BuiltinCode(), code.DeprecatedBuiltinCode()) == tflite.BuiltinOperator.CUSTOM:
            return False
    return True


def random_statistics_error(outputs: list[np.ndarray], want: list[np.ndarray]) -> float:
    """For random ops: shapes and dtypes must agree; the error is how far the mean and standard
    deviation stray from TensorFlow's own sample's, in units of the sample's standard deviation
    (about 0.03 for 4096 draws), and out-of-range draws count as 1."""
    worst = 0.0
    for ours, ref in zip(outputs, want, strict=True):
        assert ours.shape == ref.shape and ours.dtype == ref.dtype, (ours.shape, ref.shape)
        spread = float(ref.std()) or 1.0
        worst = max(worst, abs(float(ours.mean() - ref.mean())) / spread)
        worst = max(worst, abs(float(ours.std() - ref.std())) / spread)
        if ref.min() >= 0 and ref.max() < 1:  # a uniform [0, 1) sample
            worst = max(worst, float(ours.min() < 0 or ours.max() >= 1))
    return worst


RANDOM_TOLERANCE = 0.15  # five standard errors of the mean of 4096 draws


def compare(program: Program, outputs: list[np.ndarray], want: list[np.ndarray]) -> float:
    """The error of `outputs` against `want`; infinite where shapes or dtypes differ."""
    try:
        if program.compare in ("random", "distribution"):
            return random_statistics_error(outputs, want)
        return max_relative_error(outputs, want)
    except AssertionError:
        return float("inf")


def max_relative_error(outputs: list[np.ndarray], want: list[np.ndarray]) -> float:
    """tf_support.max_relative_error over the finite values, where NaN and infinities must sit
    at the same places (an infinite reference would make every error relative to it 0)."""
    finite_outputs, finite_want = [], []
    for ours, ref in zip(outputs, want, strict=True):
        ours, ref = np.asarray(ours), np.asarray(ref)
        if ref.dtype.kind == "f" and ours.shape == ref.shape:
            finite = np.isfinite(ref)
            if not np.array_equal(ours[~finite], ref[~finite], equal_nan=True):
                return float("inf")
            if not np.all(np.isfinite(ours[finite])):
                return float("inf")
            ours, ref = np.where(finite, ours, 0), np.where(finite, ref, 0)
        finite_outputs.append(ours)
        finite_want.append(ref)
    return tf_support.max_relative_error(finite_outputs, finite_want)


def within(program: Program, error: float) -> bool:
    return error <= (TOLERANCE if program.compare == "values" else RANDOM_TOLERANCE)


def operator_versions(flatbuffer: bytes) -> dict[tuple, int]:
    """(builtin operator name, its operators' input counts and counts of present inputs) ->
    the version its operator code carries. A different operand set may rightly get another
    version: tflc gives TRANSPOSE_CONV a zero bias where TensorFlow's converter leaves it out
    (v3, v1), and writes a FULLY_CONNECTED without bias with two inputs where TensorFlow's
    converter writes an absent third (v6, v5)."""
    import tflite

    names = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
    model = tflite.Model.GetRootAsModel(flatbuffer, 0)
    inputs: dict[int, set[tuple[int, int]]] = {}
    for s in range(model.SubgraphsLength()):
        subgraph = model.Subgraphs(s)
        for i in range(subgraph.OperatorsLength()):
            op = subgraph.Operators(i)
            present = sum(1 for t in op.InputsAsNumpy() if t >= 0) if op.InputsLength() else 0
            inputs.setdefault(op.OpcodeIndex(), set()).add((op.InputsLength(), present))
    versions = {}
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        name = names[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
        versions[(name, tuple(sorted(inputs.get(i, ()))))] = code.Version()
    return versions


@dataclass
class TfConversion:
    result: str
    flatbuffer: bytes | None = None
    outputs: list[np.ndarray] | None = None  # in LiteRT, where it ran


def tf_converter_result(program: Program, want: list[np.ndarray]) -> TfConversion:
    """What TensorFlow's converter gives, and its model's outputs in LiteRT where it ran."""
    try:
        theirs, _ = tf_support.tf_converter(program.fn)
    except Exception:  # noqa: BLE001
        return TfConversion("flex" if _tf_flex_convert(program.fn) else "fails")
    if not _is_custom_free(theirs):
        return TfConversion("flex", theirs)
    try:
        outputs = tf_support.run_litert(theirs, program.inputs)
    except Exception:  # noqa: BLE001
        return TfConversion("builtins, LiteRT fails", theirs)
    if not within(program, compare(program, outputs, want)):
        return TfConversion("builtins, mismatch", theirs, outputs)
    return TfConversion("builtins", theirs, outputs)


def check(op: str, program: Program) -> Row:
    want = tf_support.tf_outputs(program.fn, program.inputs)
    theirs = tf_converter_result(program, want)
    try:
        ours = tflc.convert(program.fn, output="flatbuffer")
    except Exception as e:  # noqa: BLE001
        return Row(op, theirs.result, "error: " + _first_line(e))
    differences = []
    if theirs.flatbuffer is not None:
        their_versions = operator_versions(theirs.flatbuffer)
        for key, version in operator_versions(ours).items():
            if their_versions.get(key, version) != version:
                differences.append(f"{key[0]} tflc v{version}, TF v{their_versions[key]}")
    try:
        in_litert = tf_support.run_litert(ours, program.inputs)
        in_tflc = tflc.Interpreter(model_content=ours)(*program.inputs)
    except Exception as e:  # noqa: BLE001
        return Row(op, theirs.result, "error: runs: " + _first_line(e))
    error = compare(program, in_litert, want)
    interpreter_error = compare(program, in_tflc, want)
    if program.compare == "random":  # same seeds: the interpreter draws LiteRT's numbers
        interpreter_error = max(interpreter_error, max_relative_error(in_tflc, in_litert))
    ok = within(program, error) and within(program, interpreter_error)
    row = Row(op, theirs.result, "matches" if ok else "converts", max(error, interpreter_error))
    row.version_differences = differences
    if theirs.outputs is not None and program.compare != "distribution":
        row.error_vs_tf_model = compare(Program(None, [], "values"), in_litert, theirs.outputs)
    return row
