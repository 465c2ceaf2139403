"""One builtin kernel run outside a model: what constant folding and int8 tables evaluate.

The compiler folds constants and tabulates int8 ops by running the interpreter's own kernels
(as xDSL folds through its interpreter), so an op's arithmetic lives in one place. A kernel
sees a one-op model built from tensor descriptions; stateful and control-flow kernels, which
need a running interpreter, are not for this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from tflc.runtime.kernel_threads import SERIAL
from tflc.runtime.kernels import builtin_kernel
from tflc.runtime.kernels.node import Node
from tflc.runtime.tflite_model import Model, Quantization, SubGraph, Tensor


@dataclass(frozen=True)
class TensorSpec:
    """A tensor as a kernel sees it: shape, TFLite type name and per-tensor quantization."""

    shape: tuple[int, ...]
    type: str  # "FLOAT32", "INT8", ...
    scale: float | None = None
    zero_point: int = 0

    def tensor(self, name: str) -> Tensor:
        q = None if self.scale is None else Quantization([float(self.scale)], [self.zero_point])
        return Tensor(name, list(self.shape), self.type, 0, q)


class _NoInterpreter:
    """What kernels ask of their interpreter: sums in LiteRT's order, as the model will run,
    on the caller's thread."""

    litert_float_order = True
    kernel_threads = SERIAL


def standalone_node(
    op: str,
    inputs: Sequence[TensorSpec | None],
    outputs: Sequence[TensorSpec],
    options: dict[str, Any] | None = None,
) -> Node:
    """A Node for builtin `op` in a model of its own (None: an omitted optional input)."""
    present = [s for s in inputs if s is not None]
    tensors = [s.tensor(f"input{i}") for i, s in enumerate(present)]
    tensors += [s.tensor(f"output{i}") for i, s in enumerate(outputs)]
    indices, next_index = [], 0
    for spec in inputs:
        indices.append(-1 if spec is None else next_index)
        next_index += spec is not None
    out_indices = list(range(len(present), len(tensors)))
    graph = SubGraph(op, tensors, [i for i in indices if i >= 0], out_indices, [])
    model = Model(3, "", [], [graph], [b""], [], [], f"{op} (standalone)")
    return Node(
        _NoInterpreter(), model, 0, 0, op, 1, dict(options or {}), None, indices, out_indices
    )


def run_builtin(node: Node, *args: np.ndarray | None) -> list[np.ndarray]:
    """The builtin kernel of `node.op` on `args`, its outputs as a list."""
    with np.errstate(all="ignore"):  # as the interpreter runs kernels: LiteRT is silent too
        result = builtin_kernel(node.op)(node, *args)
    return list(result) if isinstance(result, tuple | list) else [result]
