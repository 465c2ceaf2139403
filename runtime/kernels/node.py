"""What a kernel sees of the operator it runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from tflc.errors import TflcError
from tflc.runtime.op_traits import INTEGER_TYPES
from tflc.runtime.tflite_model import Model, Tensor

if TYPE_CHECKING:
    from tflc.runtime.interpreter import Interpreter


class Node:
    """One operator of a subgraph, prepared to run.

    Kernels read `options` (builtin options, snake_case keys, enums by name), `custom_options`
    (raw bytes), the metadata of their tensors through `input(i)` / `output(i)`, constant input
    values through `const(i)`, and may keep derived data (packed weights, multipliers) in
    `cache`, which lives as long as the interpreter.
    """

    __slots__ = (
        "cache",
        "custom_options",
        "index",
        "inputs",
        "interpreter",
        "model",
        "op",
        "options",
        "outputs",
        "subgraph",
        "tensors",
        "version",
    )

    def __init__(
        self,
        interpreter: Interpreter,
        model: Model,
        subgraph: int,
        index: int,
        op: str,
        version: int,
        options: dict[str, Any],
        custom_options: bytes | None,
        inputs: list[int],
        outputs: list[int],
    ):
        self.interpreter = interpreter
        self.model = model
        self.subgraph = subgraph
        self.index = index
        self.op = op
        self.version = version
        self.options = options
        self.custom_options = custom_options
        self.inputs = inputs
        self.outputs = outputs
        self.tensors = model.subgraphs[subgraph].tensors
        self.cache: dict[str, Any] = {}

    @property
    def where(self) -> str:
        prefix = f"subgraph {self.subgraph} " if self.subgraph else ""
        return f"{prefix}node {self.index} ({self.op})"

    def error(self, what: str) -> TflcError:
        return TflcError(what, self.where)

    def input(self, i: int) -> Tensor | None:
        """Metadata of input `i`, or None when the optional input is omitted."""
        if i >= len(self.inputs) or self.inputs[i] < 0:
            return None
        return self.tensors[self.inputs[i]]

    def output(self, i: int = 0) -> Tensor:
        return self.tensors[self.outputs[i]]

    def const(self, i: int) -> np.ndarray | None:
        """The value of input `i` when it is a constant of the model, else None."""
        t = self.input(i)
        if t is None or t.is_variable:
            return None
        return self.model.constant(t)

    def out_dtype(self, i: int = 0) -> np.dtype:
        dtype = self.output(i).dtype
        if dtype is None:
            raise self.error(f"output type {self.output(i).type} is not supported")
        return dtype


def scale_zp(t: Tensor | None) -> tuple[float, int]:
    """Per-tensor quantization of `t` as (scale, zero point); (0, 0) when not quantized."""
    q = t.quantization if t is not None else None
    if q is None or not q.scale:
        return 0.0, 0
    return q.scale[0], (q.zero_point[0] if q.zero_point else 0)


def is_quantized(t: Tensor | None) -> bool:
    return t is not None and t.quantization is not None and bool(t.quantization.scale)


def channel_scales(t: Tensor) -> tuple[np.ndarray, np.ndarray, int]:
    """Per-channel (or broadcast per-tensor) quantization: (scales, zero points, axis)."""
    q = t.quantization
    scales = np.asarray(q.scale, dtype=np.float64)
    zps = np.asarray(q.zero_point or [0] * len(q.scale), dtype=np.int64)
    return scales, zps, q.quantized_dimension


def integer_inputs(booleans_too: bool = False):
    """A kernel check for bitwise ops: their operands are integers (and booleans, for the
    logical and/or of StableHLO), never floats, whose bits numpy would not shift."""
    allowed = INTEGER_TYPES | ({"BOOL"} if booleans_too else set())
    kinds = "integers or booleans" if booleans_too else "integers"

    def check(node: Node) -> str | None:
        for i in range(len(node.inputs)):
            t = node.input(i)
            if t is not None and t.type not in allowed:
                return f"input {i} '{t.name}' is {t.type}: the op takes {kinds}"
        return None

    return check
