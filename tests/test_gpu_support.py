"""Shared by the GPU tests: the Vulkan skip, the tolerance, small model builders, LiteRT runs."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import numpy as np
import pytest

RTOL = 1e-3  # max |ours - LiteRT| over max |LiteRT|, per output


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


def assert_close(expected: list[np.ndarray], got: list[np.ndarray], rtol: float = RTOL) -> None:
    assert len(expected) == len(got)
    for i, (e, g) in enumerate(zip(expected, got, strict=True)):
        assert tuple(e.shape) == tuple(g.shape), (i, e.shape, g.shape)
        scale = max(float(np.abs(e).max()), 1e-6)
        err = float(np.abs(e.astype(np.float64) - g).max()) / scale
        assert err <= rtol, f"output {i}: relative error {err:.3g} > {rtol}"


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
