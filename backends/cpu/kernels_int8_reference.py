"""Runs the numpy interpreter's kernel of one backend node at compile time.

int8 ops whose output depends only on the input value (logistic, tanh, gelu, hard_swish, elu,
leaky_relu, requantize, dequantize, ...) become 256-entry tables; LiteRT computes several of
them through such tables too. Taking the table from the interpreter's own kernel, which is
bit-exact with LiteRT's builtin kernels, keeps one definition of each op's arithmetic.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from tflc.backends.cpu.graph import Node, Tensor, numpy_dtype
from tflc.errors import TflcError
from tflc.runtime import kernels as runtime_kernels
from tflc.runtime.kernels.node import Node as RuntimeNode
from tflc.runtime.tflite_model import Quantization
from tflc.runtime.tflite_model import Tensor as RuntimeTensor

_TYPE_NAMES = {
    "f32": "FLOAT32",
    "i8": "INT8",
    "ui8": "UINT8",
    "i16": "INT16",
    "i32": "INT32",
    "i64": "INT64",
    "i1": "BOOL",
}


def _runtime_tensor(t: Tensor, shape: tuple[int, ...]) -> RuntimeTensor:
    quant = None
    if t.scale is not None:
        quant = Quantization(
            scale=[float(np.float32(s)) for s in t.scale],
            zero_point=[int(z) for z in t.zero_point],
            quantized_dimension=t.axis or 0,
        )
    return RuntimeTensor(t.name or "t", list(shape), _TYPE_NAMES[t.dtype], 0, quant)


def reference_kernel(node: Node, inputs: list[np.ndarray], out_shape: tuple[int, ...]):
    """`run(*arrays)`: the interpreter's kernel of `node` on a runtime node whose tensors have
    the shapes of `inputs` / `out_shape`; its cache (tables, multipliers) lives across calls."""
    fn = runtime_kernels.lookup(node.op.upper())
    if fn is None:
        raise NotImplementedError(f"no reference kernel for {node.op}")
    tensors = [_runtime_tensor(t, a.shape) for t, a in zip(node.inputs, inputs, strict=False)]
    tensors.append(_runtime_tensor(node.outputs[0], out_shape))
    consts = {i: a for i, a in enumerate(inputs)}
    model = SimpleNamespace(
        subgraphs=[SimpleNamespace(tensors=tensors)],
        constant=lambda t: consts[tensors.index(t)],
    )
    n_in = len(tensors) - 1
    rnode = RuntimeNode(
        None, model, 0, 0, node.op.upper(), 1, dict(node.attrs), None, list(range(n_in)), [n_in]
    )
    return lambda *arrays: np.asarray(fn(rnode, *arrays))


def evaluate(node: Node, inputs: list[np.ndarray], out_shape: tuple[int, ...]) -> np.ndarray:
    """The interpreter's output of `node` for `inputs` (shapes may differ from the model's)."""
    return reference_kernel(node, inputs, out_shape)(*inputs)


def value_tables(node: Node) -> tuple[np.ndarray, np.ndarray]:
    """(table for a long run of inputs, table for inputs computed one at a time), each indexed
    by the input's storage value + 128 (int8) or its value (uint8). LiteRT's vector loops and
    scalar tails may round differently; where they agree both tables are equal. Inputs the
    kernel refuses (RSQRT of a negative value, an error in LiteRT) map to 0."""
    x_t = node.inputs[0]
    dtype = numpy_dtype(x_t.dtype)
    values = np.arange(-128, 128) if x_t.dtype == "i8" else np.arange(256)
    values = values.astype(dtype)
    extra = [t.value for t in node.inputs[1:] if t is not None and t.is_const]
    run_one = reference_kernel(node, [values[:1], *extra], (1,))

    def one(i: int) -> np.ndarray:
        try:
            return run_one(values[i : i + 1], *extra).reshape(-1)
        except TflcError:
            return np.zeros(1, numpy_dtype(node.outputs[0].dtype))

    single = np.concatenate([one(i) for i in range(256)])
    try:
        long_run = evaluate(node, [values, *extra], values.shape).reshape(-1)
    except TflcError:
        long_run = single
    return long_run, single
