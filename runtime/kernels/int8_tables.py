"""int8 ops that are 256-entry tables, prepared once from the interpreter's own kernels.

An elementwise op with one int8 input and an int8 output computes a function of the input's
256 values, so its whole meaning is a table. Compiled targets store the table this module
returns instead of re-deriving the op's fixed-point or float arithmetic: they then compute what
the interpreter computes, which its tests hold bit-exact with LiteRT.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from tflc.runtime.kernels import builtin_kernel
from tflc.runtime.kernels.node import Node
from tflc.runtime.kernels.unary import rsqrt_int8_table
from tflc.runtime.tflite_model import Model, Quantization, SubGraph, Tensor

INT8_VALUES = np.arange(-128, 128, dtype=np.int8)

TableFn = Callable[[Node], np.ndarray]


def _kernel_on_every_value(op: str) -> TableFn:
    return lambda node: builtin_kernel(op)(node, INT8_VALUES)


# The table-able int8 ops and how each gets its table. RSQRT's kernel refuses negative inputs
# (LiteRT does), so its table comes from the kernel's own prepare, which fills them with 0.
INT8_TABLE_OPS: dict[str, TableFn] = {
    "LOGISTIC": _kernel_on_every_value("LOGISTIC"),
    "TANH": _kernel_on_every_value("TANH"),
    "ELU": _kernel_on_every_value("ELU"),
    "GELU": _kernel_on_every_value("GELU"),
    "HARD_SWISH": _kernel_on_every_value("HARD_SWISH"),
    "LEAKY_RELU": _kernel_on_every_value("LEAKY_RELU"),
    "RSQRT": rsqrt_int8_table,
}


def _table_node(
    op: str, input_q: tuple[float, int], output_q: tuple[float, int], options: dict[str, Any]
) -> Node:
    """A one-op model whose input and output carry the given (scale, zero point)."""
    tensors = [
        Tensor(name, [256], "INT8", 0, Quantization([float(scale)], [int(zero_point)]))
        for name, (scale, zero_point) in (("input", input_q), ("output", output_q))
    ]
    model = Model(3, "", [], [SubGraph(op, tensors, [0], [1], [])], [b""], [], [], f"{op} table")
    return Node(None, model, 0, 0, op, 1, dict(options), None, [0], [1])


def int8_table(
    op: str,
    input_q: tuple[float, int],
    output_q: tuple[float, int],
    options: dict[str, Any] | None = None,
) -> np.ndarray:
    """The int8 outputs of builtin `op` for the inputs -128..127 (entry q + 128), with the
    given input and output (scale, zero point) and builtin options (snake_case, as kernels
    read them)."""
    table = INT8_TABLE_OPS[op](_table_node(op, input_q, output_q, options or {}))
    return np.asarray(table, dtype=np.int8).reshape(256)
