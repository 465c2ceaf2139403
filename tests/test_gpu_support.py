"""Shared by the GPU tests: the Vulkan skip, the tolerances, small model builders, LiteRT runs."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import numpy as np
import pytest

# Tolerances: max |ours - LiteRT| over max |LiteRT|, per output. Single ops by their
# float32_class (runtime/op_traits.py); figures measured on lavapipe (Mesa's Vulkan on the CPU)
# with `python benchmarks/gpu_op_errors.py` (the kernel cases and test_gpu_ops' cases).
FLOAT_CLASS_RTOL = {
    # moves, comparisons, max/min, clamps, abs/neg/floor/ceil/round: any float32 gives them
    # exactly; measured 0.
    "exact": 0.0,
    # one IEEE add/sub/mul per element, which WGSL, SPIR-V and Vulkan require correctly rounded
    # (Vulkan spec, "Precision of SPIR-V instructions": OpFAdd/OpFSub/OpFMul correctly
    # rounded); measured 0: lavapipe fuses none of them into an FMA. Inputs are normal floats
    # (a device may flush denormals to 0).
    "rounded": 0.0,
    # sums of K terms in another order: each ordering is within ~sqrt(K)*eps*sum|terms| of the
    # exact sum (rounding errors of random sign; Higham, "Accuracy and Stability", 4.2), here
    # K <= 1152 (conv_3x3_split_k): sqrt(K)*eps = 4.0e-6 of sum|terms|, which the cases' random
    # normal terms make ~2x max|out|, so ~1e-5. Measured 7.95e-7 (conv_3x3_split_k).
    "accumulated": 1e-5,
    # the device's math functions: the Vulkan spec's bounds (table "Precision of GLSL.std.450
    # instructions"; WGSL's are the same) on the cases' inputs (|x| <= 2): exp 3 + 2|x| ulp (7 ulp,
    # 8.3e-7), log 3 ulp, inverseSqrt 2 ulp, division 2.5 ulp, sqrt/pow/tanh inherited from those;
    # composites (gelu, elu, logistic, hard_swish) chain a few: 1e-5. Measured 6.11e-7 (atan2;
    # exp 1.3e-7, tanh 2.5e-7, pow 1.8e-7, division and sqrt 0).
    "math_library": 1e-5,
}
# Math functions whose spec bound is looser than the class's: sin and cos have an absolute
# error of 2**-11 on [-pi, pi], atan/atan2 4096 ulp (4.9e-4 relative), so a conformant device may
# be 4.9e-4 of the output's magnitude away; lavapipe measures 6e-8 (sin, cos), 6.1e-7 (atan2).
SPEC_BOUND_RTOL = {"SIN": 1e-3, "COS": 1e-3, "ATAN2": 1e-3}
# Deep models (mediapipe's, mobilenet_v2) against LiteRT's default kernels (XNNPACK, where LiteRT's
# mediapipe custom ops run): LiteRT disagrees with itself by that much, its builtin kernels vs
# XNNPACK 1.04e-3 on pose_landmark_full (seed 1), 5.1e-4 (seed 0). Measured gpu vs XNNPACK:
# 1.0e-3 there (6.7e-5 vs the builtin kernels), 2.2e-4 selfie_segmentation, the others <= 4.4e-5
# (`python benchmarks/gpu_op_errors.py --ops NONE --every-mediapipe`).
MODEL_RTOL = 1e-3
# The TF corpus's small models (cnn, mlp, upsample, ...; float, float16 and the dynamic-range
# models' float twins): sums in another order over a few layers, measured 4.5e-6 on upsample's
# twin (LiteRT's own XNNPACK-vs-builtin spread there: 3.7e-6), the others <= 5.4e-7
# (`python benchmarks/gpu_op_errors.py --ops NONE --models`).
SMALL_MODEL_RTOL = 1e-5


def op_rtol(*ops: str) -> float:
    """The tolerance of a model of `ops` (builtin names, any case): its loosest op's."""
    from tflc.runtime.op_traits import float32_class

    return max(SPEC_BOUND_RTOL.get(op.upper(), FLOAT_CLASS_RTOL[float32_class(op)]) for op in ops)


def assert_close(
    expected: list[np.ndarray], got: list[np.ndarray], rtol: float = MODEL_RTOL
) -> None:
    assert len(expected) == len(got)
    for i, (e, g) in enumerate(zip(expected, got, strict=True)):
        assert tuple(e.shape) == tuple(g.shape), (i, e.shape, g.shape)
        scale = max(float(np.abs(e).max()), 1e-6)
        err = float(np.abs(e.astype(np.float64) - g).max()) / scale
        assert err <= rtol, f"output {i}: relative error {err:.3g} > {rtol}"


@functools.cache
def vulkan_skip_reason() -> str | None:
    """Why the GPU tests cannot run here: a missing dependency, named. Any other failure of the
    adapter lookup (tflc's own code) is an error, not a skip."""
    try:
        import wgpu  # noqa: F401
    except ImportError:
        return "wgpu is not installed (pip install -e '.[gpu]')"
    from tflc.runtime.gpu_runtime import vulkan_adapter

    if vulkan_adapter() is None:
        return "no Vulkan adapter found (apt-get install mesa-vulkan-drivers gives lavapipe)"
    return None


def require_vulkan():
    reason = vulkan_skip_reason()
    return pytest.mark.skipif(reason is not None, reason=reason or "")


def litert_outputs(model: bytes, inputs: list[np.ndarray]) -> list[np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=model)
    interp.allocate_tensors()
    for d, x in zip(interp.get_input_details(), inputs, strict=True):
        interp.set_tensor(d["index"], x)
    interp.invoke()
    return [interp.get_tensor(d["index"]).copy() for d in interp.get_output_details()]


class _Builder:
    """Adds tfl ops inside the function being built; arrays become `tfl.pseudo_const`s."""

    def op(self, name: str, operands: list, out_shape, **options):
        from mlir import ir
        from tflc.dialects import tfl

        values = [tfl.constant(o) if isinstance(o, np.ndarray) else o for o in operands]
        result = ir.RankedTensorType.get(list(out_shape), ir.F32Type.get())
        return tfl.create(name, values, [result], **options).result


def make_model(
    input_shapes: list[tuple[int, ...]],
    body: Callable[[_Builder, Iterator], object],
) -> bytes:
    """A .tflite model: float32 inputs of `input_shapes`, `body(builder, iter(args))` -> result."""
    from mlir import ir
    from mlir.dialects import func
    from tflc.api import to_flatbuffer
    from tflc.dialects import tfl

    with tfl.make_context(), ir.Location.unknown():
        module = ir.Module.create()
        f32 = ir.F32Type.get()
        arg_types = [ir.RankedTensorType.get(list(s), f32) for s in input_shapes]
        with ir.InsertionPoint(module.body):
            f = func.FuncOp("main", (arg_types, []))
            block = f.add_entry_block()
            with ir.InsertionPoint(block):
                result = body(_Builder(), iter(block.arguments))
                func.ReturnOp([result])
            f.attributes["function_type"] = ir.TypeAttr.get(
                ir.FunctionType.get(arg_types, [result.type])
            )
        return to_flatbuffer(module)


HOST_OP = "lsh_projection"


def host_op_model(only: bool = False) -> bytes:
    """relu -> lsh_projection -> cast -> add, for the error and the CPU fallback. The gpu
    target has no shader for LSH_PROJECTION (farmhash fingerprints of the input's bytes: the
    arena holds values, not bytes; README's gpu exclusions). `only`: the op alone."""
    from mlir import ir
    from tflc.dialects import tfl

    seeds = np.random.default_rng(5).standard_normal((3, 2)).astype(np.float32)

    def body(b, args):
        x = next(args)
        y = x if only else b.op("relu", [x], (2, 6))
        i32 = ir.RankedTensorType.get([6], ir.IntegerType.get_signless(32))
        bits = tfl.create(HOST_OP, [tfl.constant(seeds), y], [i32], type="DENSE").result
        if only:
            return bits
        z = tfl.create("cast", [bits], [ir.RankedTensorType.get([6], ir.F32Type.get())]).result
        return b.op("add", [z, np.ones(6, np.float32)], (6,))

    return make_model([(2, 6)], body)
