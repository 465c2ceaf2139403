"""The single-op cases of the interpreter's kernel tests, compiled for the cpu target and run
against the same oracle (LiteRT's builtin kernels, or TensorFlow where LiteRT lacks the op).

Every case whose op the cpu target lists as supported runs here, so a new cpu kernel is tested
by the cases its interpreter kernel already has. The cases compile without the tfl optimization
pipeline, which would fold ops on constant operands before the backend sees them: here the cpu
target's own kernels and compile-time values (backends/cpu/compile_time.py) compute them. Integer and bool outputs must be equal; float
outputs may differ by FLOAT_RTOL of the largest magnitude (the cpu's math functions and fused
multiply-adds round differently from LiteRT's). A case the cpu declines must raise a one-line
TflcError saying why, and is listed in DECLINED (strict: a case that starts compiling fails
until its entry goes).
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")

from kernel_case import KernelCase, expected_outputs, model_of, random_value  # noqa: E402
from kernel_cases import ALL_CASES  # noqa: E402
from test_interpreter_ops import FLOAT_CASES, assert_close, is_graph_input, spec  # noqa: E402
from tflc.backends.cpu.module_builder import SUPPORTED_OPS  # noqa: E402
from tflc.compiler import compile as tflc_compile  # noqa: E402
from tflc.errors import TflcError  # noqa: E402

FLOAT_RTOL = 1e-5

# case id -> the words the cpu target's error says (why it declines the case).
DECLINED = {
    "REDUCE_MIN-INT32-INT32": "no i32 kernel for 'reduce_min'",
    "GATHER-FLOAT32-INT32-1": "gather with batch_dims",
    # The case declares output shape [2]; LiteRT resizes it to (0, 4) at run time, and the cpu
    # target compiles the declared static shapes.
    "STRIDED_SLICE-FLOAT32-INT32-INT32-INT32-1": "gives 0 elements where the graph declares 2",
    "STRIDED_SLICE-FLOAT32-INT32-INT32-INT32-2": "ellipsis or new_axis masks",
    # int8 kernels the interpreter has (bit-exact with LiteRT) and the cpu target not yet.
    "DIV-qINT8-INT8": "no i8 kernel for 'div'",
    "LOG_SOFTMAX-qINT8": "no i8 kernel for 'log_softmax'",
}


def _cases() -> list[KernelCase]:
    cases = list(ALL_CASES)
    cases += [
        KernelCase(op, ins, outs, opts, table, version)
        for op, ins, outs, opts, table, version in FLOAT_CASES
    ]
    return [c for c in cases if c.op.lower() in SUPPORTED_OPS and not c.known_mismatch]


CASES = _cases()


def _ids() -> list[str]:
    seen: dict[str, int] = {}
    ids = []
    for c in CASES:
        seen[c.id] = seen.get(c.id, -1) + 1
        ids.append(c.id + (f"-{seen[c.id]}" if seen[c.id] else ""))
    return ids


@pytest.mark.parametrize("case", CASES, ids=_ids())
def test_cpu_kernel_matches_oracle(case: KernelCase, request) -> None:
    case_id = request.node.callspec.id
    if case_id in DECLINED:
        with pytest.raises(TflcError, match=DECLINED[case_id]):
            tflc_compile(model_of(case), target="cpu", optimize=False)
        return
    compiled = tflc_compile(model_of(case), target="cpu", optimize=False)
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    graph_inputs = [(i, s) for i, s in enumerate(case.inputs) if is_graph_input(s)]
    for _ in range(2 if graph_inputs else 1):
        xs = [random_value(rng, s, case.ranges.get(i)) for i, s in graph_inputs]
        expected = expected_outputs(case, xs)
        actual = compiled(*xs)
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert a.shape == e.shape and a.dtype == e.dtype, (a.shape, e.shape, a.dtype, e.dtype)
            if e.dtype.kind == "f":
                assert_close(a, e, FLOAT_RTOL)
            else:
                np.testing.assert_array_equal(a, e)


REFUSED = [
    pytest.param(
        KernelCase("GATHER_ND", [spec((3, 5, 4)), spec((2, 2), "INT32")], [spec((2, 4))]),
        "needs operand 1 of 'gather_nd' to be a constant",
        id="gather_nd-indices-not-constant",
    ),
    pytest.param(
        KernelCase(
            "EQUAL",
            [spec((2, 3), "INT8", 0.5, 1), spec((2, 3), "INT8", 0.25, -2)],
            [spec((2, 3), "BOOL")],
        ),
        "no quantized i8 kernel for 'equal'",
        id="equal-int8",
    ),
]


@pytest.mark.parametrize(("case", "message"), REFUSED)
def test_cpu_refuses_with_a_one_line_error(case: KernelCase, message: str) -> None:
    with pytest.raises(TflcError, match=message) as e:
        tflc_compile(model_of(case), target="cpu", optimize=False)
    assert "\n" not in str(e.value)
