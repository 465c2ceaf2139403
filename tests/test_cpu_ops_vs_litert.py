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

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")

from compiled_kernel_cases import case_ids, cases_for, check_compiled_case  # noqa: E402
from kernel_case import KernelCase, model_of  # noqa: E402
from test_interpreter_ops import (  # noqa: E402
    FLOAT_RTOL,
    assert_close,
    i32,
    spec,
)
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
    pytest.param(  # complex64 is stored as float pairs: a move of one float each would halve it
        KernelCase(
            "TRANSPOSE", [spec((2, 3), "COMPLEX64"), i32([1, 0])], [spec((3, 2), "COMPLEX64")]
        ),
        "no complex64 kernel for 'transpose'",
        id="transpose-complex64",
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


def test_call_inlines_its_callee_like_litert_runs_the_callee() -> None:
    """LiteRT has no kernel for CALL: the oracle is LiteRT running the callee as the model;
    two calls of one callee are each inlined."""
    from control_flow_models import call_models
    from corpus import litert_run

    model, callee_only = call_models(twice=True)
    rng = np.random.default_rng(5)
    xs = [rng.standard_normal((3, 4)).astype(np.float32) for _ in range(2)]
    (actual,) = tflc_compile(model, target="cpu", optimize=False)(*xs)
    (first,) = litert_run(callee_only, xs, kernels="builtin")
    (expected,) = litert_run(callee_only, [first, xs[0]], kernels="builtin")
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def _hash_projection(graph, x, out) -> None:
    """out = LSH_PROJECTION(SPARSE) of x's rows by 4 seeds of 3 bits (farmhash of the input's
    bytes: the cpu target has no kernel for it), cast to float."""
    seeds = np.random.default_rng(6).standard_normal((4, 3)).astype(np.float32)
    bits = graph.tensor((4,), "INT32")
    ins = [graph.const(seeds, "FLOAT32"), x]
    graph.op("LSH_PROJECTION", ins, [bits], options=("LSHProjectionOptions", {"type": "SPARSE"}))
    graph.op("CAST", [bits], [out])


def test_call_of_a_callee_the_cpu_cannot_compile_names_the_op_or_runs_on_the_host() -> None:
    """An op without a kernel inside the callee (lsh_projection) is named; under
    fallback="runtime" the whole call runs on the host and the op after it compiles."""
    from corpus import litert_run
    from stablehlo_model_builder import GraphBuilder

    def model_with(call: bool) -> bytes:
        model = GraphBuilder()
        main = model.subgraph()
        x, mid, out = main.tensor((3, 5)), main.tensor((4,)), main.tensor((4,))
        if call:
            callee = model.subgraph()
            a, b = callee.tensor((3, 5)), callee.tensor((4,))
            _hash_projection(callee, a, b)
            callee.io([a], [b])
            main.op("CALL", [x], [mid], options=("CallOptions", {"subgraph": 1}))
        else:
            _hash_projection(main, x, mid)
        main.op("RELU", [mid], [out])
        main.io([x], [out])
        return model.write()

    with pytest.raises(TflcError, match="cannot compile 'tfl.lsh_projection'"):
        tflc_compile(model_with(call=True), target="cpu", optimize=False)
    compiled = tflc_compile(model_with(call=True), target="cpu", optimize=False, fallback="runtime")
    assert [op.split(" at ")[0] for op in compiled.report["fallback_ops"]] == ["'tfl.call'"]
    x = np.random.default_rng(4).standard_normal((3, 5)).astype(np.float32)
    (expected,) = litert_run(model_with(call=False), [x], kernels="builtin")
    np.testing.assert_array_equal(compiled(x)[0], expected)


def test_complex_values_pass_through_a_reshape_between_kernels() -> None:
    """complex64 between kernels (float pairs in the workspace), reshaped on the way."""
    import tflc
    from corpus import litert_run

    text = """
    func.func @main(%x: tensor<2x4x8xf32>) -> tensor<2x20xf32> {
      %n = "tfl.pseudo_const"() {value = dense<[4, 8]> : tensor<2xi32>} : () -> tensor<2xi32>
      %s = "tfl.pseudo_const"() {value = dense<[2, 20]> : tensor<2xi32>} : () -> tensor<2xi32>
      %f = "tfl.rfft2d"(%x, %n) : (tensor<2x4x8xf32>, tensor<2xi32>) -> tensor<2x4x5xcomplex<f32>>
      %r = "tfl.reshape"(%f, %s) {new_shape = array<i32>}
        : (tensor<2x4x5xcomplex<f32>>, tensor<2xi32>)
        -> tensor<2x20xcomplex<f32>>
      %a = "tfl.complex_abs"(%r) : (tensor<2x20xcomplex<f32>>) -> tensor<2x20xf32>
      return %a : tensor<2x20xf32>
    }
    """
    x = np.random.default_rng(8).standard_normal((2, 4, 8)).astype(np.float32)
    (expected,) = litert_run(tflc.to_flatbuffer(tflc.parse(text)), [x])
    (actual,) = tflc_compile(tflc.parse(text), target="cpu", optimize=False)(x)
    assert_close(actual, expected, FLOAT_RTOL)
