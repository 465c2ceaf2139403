"""Values the cpu target computes while compiling: ops whose result is known from static shapes
(`shape`, `rank`) or from constant operands (a shape computation: `range`, `pack` of sizes,
`fill` of a constant...), so that no kernel runs for them and the ops reading them (a `fill`'s
dims, a `reshape`'s shape) see constants.

The value is the interpreter's kernel run on the constants (runtime/kernels/standalone.py), the
op's one definition, as tfl-fold-constants computes it before the backend.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.backends.cpu.graph import Node, numpy_dtype
from tflc.backends.cpu.kernels_random import RANDOM_OPS
from tflc.dialects.tfl import tensor_type_name
from tflc.runtime.kernels.standalone import TensorSpec, run_builtin, standalone_node

# Ops with no run-time kernel on cpu: their result is always computed here.
COMPILE_TIME_OPS = {"shape", "rank", "range"}
# Other ops fold when their operands are constant and the result stays small: at most this
# many elements, or no more than the constant operands hold (a `tile` of a constant keeps its
# kernel rather than growing the weights).
SMALL_ELEMENTS = 1024


def _spec(t) -> TensorSpec:
    return TensorSpec(tuple(t.shape), tensor_type_name(ir.Type.parse(t.dtype)))


def foldable(node: Node) -> bool:
    """Whether `node`'s outputs are computed at compile time (constant operands, small)."""
    if node.op in ("shape", "rank"):
        return True
    ins = [t for t in node.inputs if t is not None]
    if node.op in RANDOM_OPS | {"multinomial"}:
        return False  # constant operands, a new value each run
    if not ins or not all(t.is_const for t in ins) or node.op == "custom":
        return False
    if any(t.scale is not None for t in [*ins, *node.outputs]):
        return False  # quantized values keep their kernels (their rounding is the kernel's)
    size = sum(t.size for t in node.outputs)
    return node.op in COMPILE_TIME_OPS or size <= max(SMALL_ELEMENTS, sum(t.size for t in ins))


def fold(node: Node, opcode: str) -> None:
    """Sets the outputs' values (call within the module's MLIR context)."""
    if node.op in ("shape", "rank"):
        shape = node.inputs[0].shape
        value = np.array(shape) if node.op == "shape" else np.array(len(shape))
        node.outputs[0].value = value.astype(numpy_dtype(node.outputs[0].dtype))
        return
    spec = standalone_node(
        opcode,
        [None if t is None else _spec(t) for t in node.inputs],
        [_spec(t) for t in node.outputs],
        node.attrs,
    )
    args = [None if t is None else np.asarray(t.value) for t in node.inputs]
    for t, v in zip(node.outputs, run_builtin(spec, *args), strict=True):
        t.value = np.asarray(v).astype(numpy_dtype(t.dtype)).reshape(t.shape)
