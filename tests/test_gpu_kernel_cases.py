"""The single-op cases of the interpreter's kernel tests, compiled for the gpu target and run
on a Vulkan device (lavapipe here) against the same oracle (LiteRT's builtin kernels, or
TensorFlow where LiteRT lacks the op).

Every case whose op the gpu target lists (backends/gpu/lowering.shader_ops()) runs here, so a
new shader lowering is tested by the cases its interpreter kernel already has. The cases
compile without the tfl optimization pipeline, which would fold ops on constant operands
before the backend sees them. Float outputs may differ by their op's tolerance class
(test_gpu_support.op_rtol: 0 for exact and singly rounded ops, else grounded in summation order
or the Vulkan spec's math-function bounds); bool and integer outputs
(exact float values in the arena, runtime/gpu_arena.py) must be equal; int8 outputs (int8
computed in float, README's gpu section) equal for the exact ops, else within INT8_STEPS of
LiteRT's. A case the gpu declines
must raise a one-line TflcError saying why, and is listed in DECLINED (strict: a case that
starts compiling fails until its entry goes).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_gpu_support import op_rtol, require_vulkan

pytest.importorskip("ai_edge_litert")
pytestmark = require_vulkan()

from compiled_kernel_cases import case_ids, cases_for, check_compiled_case  # noqa: E402
from kernel_case import KernelCase, model_of  # noqa: E402
from test_interpreter_ops import i32, spec  # noqa: E402
from tflc.backends.gpu.lowering import shader_ops  # noqa: E402
from tflc.compiler import compile as tflc_compile  # noqa: E402
from tflc.runtime.op_traits import INT8_RULES, STABLEHLO_ALIASES, float32_class  # noqa: E402

# int8 computed in float rounds where TFLite's fixed-point multipliers may round the other way:
# a half-step tie lands one step apart.
INT8_STEPS = 1

# case id -> the words the gpu target's error says (why it declines the case).
DECLINED = {
    # int16 (16x8) activations: the gpu target computes float32 and int8 models.
    "QUANTIZE-qINT16-ties": "is !quant.uniform<i16",
    # The cases declare output shapes that LiteRT replaces at run time ((0, 4) for [2]; the
    # new axis), and the gpu target compiles the declared static shapes.
    "STRIDED_SLICE-FLOAT32-INT32-INT32-INT32-1": "gives 0 elements where the graph declares",
    "STRIDED_SLICE-FLOAT32-INT32-INT32-INT32-2": "gives 32 elements where the graph declares",
    # An empty segment holds INT32_MAX, which the float32 arena cannot (runtime/gpu_arena.py).
    "UNSORTED_SEGMENT_MIN-INT32-INT32-INT32": r"int32 maximum 2\*\*31 - 1 is not a float32",
    # Repeated indices add their updates: not a move (GPU_CASES has one with distinct indices).
    "SCATTER_ND-INT32-FLOAT32-INT32": "scatter_nd with repeated indices",
    "SCATTER_ND-INT32-FLOAT32-INT32-rt": "scatter_nd .* operand 0 is not a constant",
}

# Forms the shared tables lack: indices computed at run time (their gathers have constant
# indices, which compile to index maps).
GPU_CASES = [
    KernelCase(
        "GATHER",
        [spec((5, 6, 4)), spec((2, 3), "INT32")],
        [spec((5, 2, 3, 4))],
        {"axis": 1},
        "GatherOptions",
        ranges={1: (0, 5)},
    ),
    KernelCase(
        "GATHER",
        [spec((2, 5, 4)), spec((2, 3), "INT32")],
        [spec((2, 3, 4))],
        {"axis": 1, "batch_dims": 1},
        "GatherOptions",
        version=4,
        ranges={1: (0, 4)},
        name="batch_dims",
    ),
    KernelCase(
        "GATHER_ND", [spec((3, 5, 4)), spec((2, 2), "INT32")], [spec((2, 4))], ranges={1: (0, 2)}
    ),
    # test_interpreter_ops.test_misc_and_3d_ops's, as kernel cases
    KernelCase("DILATE", [spec((2, 3, 4)), i32([1, 2, 3]), spec([])], [spec((2, 5, 10))]),
    KernelCase(  # ties: the lower index first, as LiteRT's
        "TOPK_V2",
        [spec((2, 40), "INT32"), spec([], "INT32", data=np.array(5))],
        [spec((2, 5), "INT32"), spec((2, 5), "INT32")],
        ranges={0: (-3, 3)},
    ),
    KernelCase(  # distinct indices: a move (repeated ones add up, refused below)
        "SCATTER_ND",
        [i32([2, 1, 0, 4, 1, 1], [3, 2]), spec((3, 4)), i32([3, 5, 4])],
        [spec((3, 5, 4))],
        name="distinct",
    ),
]


def int8_exact(op: str) -> bool:
    """An exact float op whose int8 output keeps its input's quantization picks input values
    (a move, max/min): exact in int8 too. One that requantizes to its own output scale (ABS,
    the relu family) rounds once, in float here and in fixed point in LiteRT, whose multiplier
    is the scale ratio rounded to 31 bits: at a tie (a ratio such as 1/4 makes one at every
    other value) the two may land a step apart (measured on ABS-qINT8: 7 of 21 elements)."""
    rule = INT8_RULES.get(STABLEHLO_ALIASES.get(op, op))
    return float32_class(op) == "exact" and rule in (None, "same_as_input", "same_all_operands")


CASES = cases_for(lambda op: op.lower() in shader_ops(), GPU_CASES)


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_gpu_kernel_matches_oracle(case: KernelCase, request) -> None:
    check_compiled_case(
        case,
        request.node.callspec.id,
        DECLINED,
        lambda c: tflc_compile(model_of(c), target="gpu", optimize=False),
        rtol=op_rtol(case.op),
        # moves, max/min, comparisons: int8 exact too (measured: every such case)
        int8_steps=0 if int8_exact(case.op) else INT8_STEPS,
    )
