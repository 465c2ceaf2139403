"""Helpers of the StableHLO kernels: integer-list options, reduction bodies given as
subgraphs."""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernels.node import Node


def int_list(node: Node, name: str) -> list[int]:
    """An integer-vector option (dimension numbers, paddings) as a list; [] when absent."""
    return [int(v) for v in node.options.get(name) or []]


# Single-op bodies (a, b) -> op(a, b) that numpy can apply to whole arrays.
_BODY_UFUNCS = {
    "ADD": np.add,
    "STABLEHLO_ADD": np.add,
    "MUL": np.multiply,
    "STABLEHLO_MULTIPLY": np.multiply,
    "MAXIMUM": np.maximum,
    "STABLEHLO_MAXIMUM": np.maximum,
    "MINIMUM": np.minimum,
    "STABLEHLO_MINIMUM": np.minimum,
    "STABLEHLO_AND": np.bitwise_and,
    "LOGICAL_AND": np.logical_and,
    "STABLEHLO_OR": np.bitwise_or,
    "LOGICAL_OR": np.logical_or,
}


def body_function(node: Node, subgraph: int):
    """The binary function a reduction body computes: a numpy ufunc when the body is one such
    op on its two inputs (fast, whole arrays), else a call of the subgraph per element pair."""
    model = node.model
    if not 0 <= subgraph < len(model.subgraphs):
        raise node.error(f"body subgraph {subgraph} does not exist")
    sg = model.subgraphs[subgraph]
    if len(sg.operators) == 1 and len(sg.inputs) == 2 and len(sg.outputs) == 1:
        op = sg.operators[0]
        ufunc = _BODY_UFUNCS.get(model.operator_name(op))
        if (
            ufunc is not None
            and op.outputs == sg.outputs
            and sorted(op.inputs) == sorted(sg.inputs)
        ):
            return ufunc
    run = node.interpreter.run_subgraph

    def call(a, b):
        a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
        out = np.empty(a.shape, dtype=a.dtype)
        for i in np.ndindex(a.shape):
            out[i] = np.asarray(run(subgraph, [a[i].reshape(()), b[i].reshape(())])[0])
        return out

    return call


def reduce_with(fn, x: np.ndarray, axes: tuple[int, ...], init: np.ndarray) -> np.ndarray:
    """Folds `x` over `axes` with the binary `fn`, starting from the scalar `init` (in index
    order along each axis)."""
    acc = None
    moved = np.moveaxis(x, axes, list(range(len(axes)))) if axes else x[None]
    rest = moved.shape[len(axes) if axes else 1 :]
    flat = moved.reshape((-1,) + rest)
    acc = np.broadcast_to(np.asarray(init, dtype=x.dtype), rest).copy()
    for k in range(flat.shape[0]):
        acc = np.asarray(fn(acc, flat[k]), dtype=x.dtype)
    return acc
