"""The single-op cases of the interpreter's kernel tests, compiled for the cpu target and run
against the same oracle (LiteRT's builtin kernels, or TensorFlow where LiteRT lacks the op).

Every case whose op the cpu target lists as supported runs here, so a new cpu kernel is tested
by the cases its interpreter kernel already has. The cases compile without the tfl optimization
pipeline, which would fold ops on constant operands before the backend sees them: here the cpu
target's own kernels and compile-time values (backends/cpu/compile_time.py) compute them. Integer and bool outputs must be equal; float
outputs must be equal where float32 gives them exactly (test_interpreter_ops.float_rtol), else
may differ by 1e-5 of the largest magnitude (the cpu's math functions and fused multiply-adds
round differently from LiteRT's). A case the cpu declines must raise a one-line
TflcError saying why, and is listed in DECLINED (strict: a case that starts compiling fails
until its entry goes).
"""

from __future__ import annotations

import pytest

pytest.importorskip("ai_edge_litert")

from compiled_kernel_cases import case_ids, cases_for, check_compiled_case  # noqa: E402
from kernel_case import KernelCase, model_of  # noqa: E402
from test_interpreter_ops import spec  # noqa: E402
from tflc.backends.cpu.module_builder import SUPPORTED_OPS  # noqa: E402
from tflc.compiler import compile as tflc_compile  # noqa: E402
from tflc.errors import TflcError  # noqa: E402

# case id -> the words the cpu target's error says (why it declines the case).
DECLINED = {
    "REDUCE_MIN-INT32-INT32": "no i32 kernel for 'reduce_min'",
    # The cases declare output shapes [2] and [2, 1, 5, 4]; LiteRT resizes them to (0, 4) and
    # (2, 1, 4, 4) at run time, and the cpu target compiles the declared static shapes.
    "STRIDED_SLICE-FLOAT32-INT32-INT32-INT32-1": "gives 0 elements where the graph declares 2",
    "STRIDED_SLICE-FLOAT32-INT32-INT32-INT32-2": "gives 32 elements where the graph declares 40",
    # int8 kernels the interpreter has (bit-exact with LiteRT) and the cpu target not yet.
    "DIV-qINT8-INT8": "no i8 kernel for 'div'",
    "LOG_SOFTMAX-qINT8": "no i8 kernel for 'log_softmax'",
    # int16 (16x8) activations: the cpu target compiles float and int8.
    "QUANTIZE-qINT16-ties": "no int8 kernel for 'quantize' with i16 tensors",
}


CASES = cases_for(lambda op: op.lower() in SUPPORTED_OPS)


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_cpu_kernel_matches_oracle(case: KernelCase, request) -> None:
    check_compiled_case(
        case,
        request.node.callspec.id,
        DECLINED,
        lambda c: tflc_compile(model_of(c), target="cpu", optimize=False),
    )


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


def test_excluded_ops_are_interpreter_ops_the_cpu_does_not_compile() -> None:
    """exclusions.EXCLUDED (what op_coverage does not count as missing) names only ops the
    interpreter runs and the cpu has no kernel for, each with a reason."""
    from tflc.backends.cpu.exclusions import EXCLUDED
    from tflc.dialects.tfl_ops import op_table
    from tflc.runtime import kernels

    kernels.lookup("ADD")  # loads the builtin kernel modules into the registry
    names = {d.name: opcode for opcode, d in op_table().items()}
    for op, why in EXCLUDED.items():
        assert op not in SUPPORTED_OPS and why, op
        assert names[op] in kernels.KERNELS, op
