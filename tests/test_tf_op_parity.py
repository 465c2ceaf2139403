"""Converter parity with TensorFlow's converter, one TensorFlow op at a time (issue #16): every
program of tests/tf_op_programs.py that TensorFlow's converter turns into builtins LiteRT runs
right, tflc converts too, and its model matches TensorFlow within 1e-4 of each output's largest
magnitude (integers exactly) in LiteRT and in tflc's interpreter. Random ops are compared by
shape, dtype, range and statistics, and seeded ones must draw LiteRT's numbers in tflc's
interpreter. Where TensorFlow's converter refuses a program, tflc may too, with a TflcError.
benchmarks/tf_op_parity.py prints the same checks as a table."""

from __future__ import annotations

import pytest
import tf_support

tf_support.skip_if_gpu_stack_loaded()
pytest.importorskip("tensorflow")

import tf_op_parity  # noqa: E402  (imports TensorFlow)
import tf_op_programs  # noqa: E402

# Behind TensorFlow's converter, with the reason; strict, so a fix turns the case into a failure
# until it leaves this list.
KNOWN_GAPS: dict[str, str] = {}


def test_covers_at_least_80_ops():
    assert len(tf_op_programs.PROGRAMS) >= 80


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN_GAPS[n], strict=True))
        if n in KNOWN_GAPS
        else n
        for n in tf_op_programs.PROGRAMS
    ],
)
def test_op_converts_like_tensorflow(name):
    program = tf_op_programs.build(name)
    row = tf_op_parity.check(name, program)
    assert not row.version_differences  # the versions LiteRT's registrations expect
    if row.tf_result == "builtins":
        assert row.tflc_result == "matches", (row.tflc_result, row.error)
        if row.error_vs_tf_model is not None and program.compare == "random":
            assert row.error_vs_tf_model == 0  # the same seeds draw the same numbers
    elif row.tf_result == "builtins, mismatch" and row.tflc_result == "converts":
        # TensorFlow's model disagrees with TensorFlow: tflc's must match one of them
        error = row.error_vs_tf_model
        assert error is not None and tf_op_parity.within(program, error), row
    elif row.tflc_result.startswith("error"):
        assert row.tflc_result.startswith("error: TflcError"), row.tflc_result
    else:  # tflc converts what TensorFlow's converter does not: it must still be right
        assert row.tflc_result == "matches", (row.tf_result, row.tflc_result, row.error)
