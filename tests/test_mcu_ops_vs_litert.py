"""The single-op cases of the interpreter's kernel tests, compiled for the mcu target (the
generated C built for the host with -Wall -Wextra -Werror and the address and undefined-behaviour
sanitizers, and run) against LiteRT.

Every case whose op the mcu target lists (backends/mcu/op_lowerings.HANDLERS) runs here, so a
new mcu kernel is tested by the cases its interpreter kernel already has. The cases compile
without the tfl optimization pipeline, which would fold ops on constant operands before the
backend sees them. Oracles: int8 outputs must equal LiteRT's reference kernels bit for bit (the
arithmetic TFLM shares), other integer and bool outputs LiteRT's builtin kernels; float outputs
must be equal where float32 gives them exactly (test_interpreter_ops.float_rtol), else may
differ by 1e-5 of the largest magnitude, test_mcu's float contract (the C library's expf / logf
and the order of float operations differ from LiteRT's by a few ulp). A case the mcu
declines must raise a one-line TflcError saying why, and is listed in DECLINED (strict: a case
that starts compiling fails until its entry goes).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")
pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")

from compiled_kernel_cases import case_ids, cases_for, check_compiled_case  # noqa: E402
from corpus import litert_run  # noqa: E402
from kernel_case import KernelCase, expected_outputs, model_of  # noqa: E402
from test_interpreter_ops import (  # noqa: E402
    Quant,
    i32,
    seed_of,
    spec,
)
from tflc.backends.mcu.op_lowerings import SUPPORTED_OPS  # noqa: E402
from tflc.compiler import compile as tflc_compile  # noqa: E402
from tflc.errors import TflcError  # noqa: E402

# case id -> the words the mcu target's error says (why it declines the case).
DECLINED = {
    "REDUCE_MAX-FLOAT32-INT32": "reduction over non-adjacent axes",
    "REDUCE_MIN-qINT8-INT32": "reduction over non-adjacent axes",
    "REDUCE_MIN-INT32-INT32": "reduce_min of int32 has no MCU kernel",
    "GATHER-FLOAT32-INT32-1": "gather with batch_dims",
    # The case declares output shape [2]; LiteRT resizes it to (0, 4) at run time, and the mcu
    # target compiles the declared static shapes.
    "STRIDED_SLICE-FLOAT32-INT32-INT32-INT32-1": "computed shape .* the IR says",
    "STRIDED_SLICE-FLOAT32-INT32-INT32-INT32-2": "ellipsis or new axes",
    "BATCH_MATMUL-FLOAT32-FLOAT32": "broadcast batch dimensions",
    "QUANTIZE-qINT16-ties": "quantized storage INT16 is not supported by the MCU target",
    "BITCAST-FLOAT32-narrower": "element type i16 is not supported by the MCU target",
    "BITCAST-INT16-wider": "element type i16 is not supported by the MCU target",
    # float seeds with plain int8 keys meet the lowering's dynamic-range check (float and int8)
    "LSH_PROJECTION-FLOAT32-INT8-sparse-2": "hybrid .dynamic-range. 'tfl.lsh_projection'",
    # shapes known only at run time (the mcu folds broadcast_args of constant shapes only)
    "BROADCAST_ARGS-INT32-INT32-ones": "broadcast_args of operands computed at run time",
    "BROADCAST_ARGS-INT32-INT32-rt": "broadcast_args of operands computed at run time",
    "DEQUANTIZE-FLOAT16-float16": "element type f16 is not supported by the MCU target",
}


_q = Quant(seed_of("test_mcu_ops_vs_litert"))
_x, _y, _z = _q((3, 4, 5)), _q((3, 5, 4)), _q((5, 6, 4))
_s2b, _b2s = _q((1, 5, 6, 2)), _q((6, 3, 2, 2))


def _lsh_projection(kind: str, item_shape: tuple, type_: str, weighted: bool) -> KernelCase:
    """test_interpreter_rare_ops' LSH_PROJECTION case: keys of 4 + the row's bytes."""
    rng = np.random.default_rng(len(item_shape) * 10 + item_shape[0])
    seeds = rng.standard_normal((4, 6)).astype(np.float32)
    inputs = [spec(seeds.shape, data=seeds), spec((5, *item_shape), type_)]
    if weighted:
        inputs.append(spec([5]))
    out = [4] if kind == "SPARSE" else [24]
    name = f"{kind.lower()}-{'x'.join(map(str, item_shape))}{'-weighted' if weighted else ''}"
    return KernelCase(
        "LSH_PROJECTION",
        inputs,
        [spec(out, "INT32")],
        {"type": kind},
        "LSHProjectionOptions",
        name=name,
        ranges={1: (-100, 100)} if type_ != "FLOAT32" else {},
    )


# int8 forms of kernels whose shared cases are float or are declined here for other reasons
MCU_CASES = [
    KernelCase(
        "REDUCE_MIN",
        [_x, i32([1, 2])],
        [spec((3,), "INT8", _x["scale"], _x["zp"])],
        {"keep_dims": False},
        "ReducerOptions",
    ),
    KernelCase(
        "ARG_MAX",
        [_y, i32([1])],
        [spec((3, 4), "INT32")],
        {"output_type": "INT32"},
        "ArgMaxOptions",
    ),
    KernelCase(
        "ARG_MIN",
        [_y, i32([2])],
        [spec((3, 5), "INT64")],
        {"output_type": "INT64"},
        "ArgMinOptions",
    ),
    KernelCase(  # indices computed at run time (the tables' gathers have constant indices)
        "GATHER",
        [_z, spec((2, 3), "INT32")],
        [spec((5, 2, 3, 4), "INT8", _z["scale"], _z["zp"])],
        {"axis": 1},
        "GatherOptions",
        ranges={1: (0, 5)},
    ),
    # run-time indices
    KernelCase(
        "GATHER_ND",
        [_z, spec((2, 2), "INT32")],
        [spec((2, 4), "INT8", _z["scale"], _z["zp"])],
        ranges={1: (0, 4)},
    ),
    KernelCase(  # int8 padding with the zero point, as LiteRT pads
        "SPACE_TO_BATCH_ND",
        [_s2b, i32([2, 3]), i32([1, 0, 0, 0], [2, 2])],
        [spec((6, 3, 2, 2), "INT8", _s2b["scale"], _s2b["zp"])],
    ),
    KernelCase(
        "BATCH_TO_SPACE_ND",
        [_b2s, i32([2, 3]), i32([1, 0, 0, 0], [2, 2])],
        [spec((1, 5, 6, 2), "INT8", _b2s["scale"], _b2s["zp"])],
    ),
    # every length branch of Fingerprint64: keys of 6, 8, 16, 32, 44 and 84 bytes
    _lsh_projection("SPARSE", (2,), "INT8", False),
    _lsh_projection("DENSE", (1,), "INT32", True),
    _lsh_projection("SPARSE", (3,), "INT32", True),
    _lsh_projection("DENSE", (7,), "FLOAT32", False),
    _lsh_projection("SPARSE", (5, 2), "INT32", False),
    _lsh_projection("DENSE", (20,), "INT32", True),
    KernelCase(
        "TOPK_V2",
        [_y, spec([], "INT32", data=np.array(3))],
        [spec((3, 5, 3), "INT8", _y["scale"], _y["zp"]), spec((3, 5, 3), "INT32")],
    ),
]


CASES = cases_for(lambda op: f"tfl.{op.lower()}" in SUPPORTED_OPS, MCU_CASES)


def _compile(case: KernelCase):
    return tflc_compile(model_of(case), target="mcu", optimize=False, compare_tflm=False)


def _oracle(case: KernelCase, xs: list[np.ndarray]) -> list[np.ndarray]:
    """int8: LiteRT's reference kernels, the arithmetic TFLM shares; else the case's oracle."""
    int8 = case.covers()[1] == "INT8"
    if int8 and case.reference is None and case.tf_reference is None:
        return litert_run(model_of(case), xs, kernels="reference")
    return expected_outputs(case, xs)


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_mcu_kernel_matches_litert(case: KernelCase, request) -> None:
    check_compiled_case(
        case,
        request.node.callspec.id,
        DECLINED,
        _compile,
        run=lambda compiled, xs: compiled(*xs, sanitize=True),
        oracle=_oracle,
    )


@pytest.mark.parametrize("trial", range(6))
def test_int8_div_bit_exact_with_litert_reference(trial: int) -> None:
    """int8 DIV's fixed-point path over random scales and zero points, with full-range inputs
    (the kernel case keeps its divisors far from zero): every rounding branch, against LiteRT's
    reference kernels."""
    from test_interpreter_ops import single_op_model

    rng = np.random.default_rng(1000 + trial)
    scales = np.exp(rng.uniform(np.log(1e-3), np.log(0.5), 3))
    s1, s2 = float(scales[0]), float(scales[1])
    so = s1 / s2 * float(scales[2]) * 8
    z1, z2, zo = (int(v) for v in rng.integers(-128, 128, 3))
    act = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"][trial % 4]
    shapes = [((2, 3, 5), (2, 3, 5)), ((4, 6), (1, 6)), ((3, 1, 4), (5, 1))][trial % 3]
    out_shape = np.broadcast_shapes(*shapes)
    model = single_op_model(
        "DIV",
        [spec(shapes[0], "INT8", s1, z1), spec(shapes[1], "INT8", s2, z2)],
        [spec(out_shape, "INT8", so, zo)],
        {"fused_activation_function": act},
        "DivOptions",
    )
    compiled = tflc_compile(model, target="mcu", optimize=False, compare_tflm=False)
    a = rng.integers(-128, 128, shapes[0]).astype(np.int8)
    b = rng.integers(-128, 128, shapes[1]).astype(np.int8)
    b[b == z2] = np.int8(z2 + 1 if z2 < 127 else z2 - 1)  # LiteRT refuses a zero divisor
    expected = litert_run(model, [a, b], kernels="reference")[0]
    np.testing.assert_array_equal(compiled(a, b, sanitize=True)[0], expected)


def test_excluded_ops_are_interpreter_ops_the_mcu_does_not_compile() -> None:
    """op_lowerings.EXCLUDED (what op_coverage does not count as missing) names only ops of the
    op table that the interpreter runs and the mcu has no lowering for, each with a reason."""
    from tflc.backends.mcu.op_lowerings import EXCLUDED, HANDLERS
    from tflc.dialects.tfl_ops import ops_by_mlir_name
    from tflc.runtime import kernels

    kernels.lookup("ADD")  # loads the builtin kernel modules into the registry
    for op, why in EXCLUDED.items():
        assert op not in HANDLERS and why, op
        assert ops_by_mlir_name()[op].opcode in kernels.KERNELS, op


REFUSED = [
    pytest.param(
        KernelCase(
            "EQUAL",
            [spec((2, 3), "INT8", 0.5, 1), spec((2, 3), "INT8", 0.25, -2)],
            [spec((2, 3), "BOOL")],
        ),
        "tfl.equal of quantized int8 has no MCU kernel",
        id="equal-int8",
    ),
    pytest.param(
        KernelCase("GATHER", [spec((5, 3)), spec((2,), "INT64")], [spec((2, 3))]),
        "gather with int64 indices computed at run time",
        id="gather-int64-indices",
    ),
]


@pytest.mark.parametrize(("case", "message"), REFUSED)
def test_mcu_refuses_with_a_one_line_error(case: KernelCase, message: str) -> None:
    with pytest.raises(TflcError, match=message) as e:
        _compile(case)
    assert "\n" not in str(e.value)
