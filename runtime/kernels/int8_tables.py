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
from tflc.runtime.kernels.node import Node
from tflc.runtime.kernels.standalone import TensorSpec, run_builtin, standalone_node
from tflc.runtime.kernels.unary import rsqrt_int8_table, sqrt_int8_table
from tflc.runtime.op_traits import INT8_TABLE

INT8_VALUES = np.arange(-128, 128, dtype=np.int8)

TableFn = Callable[[Node], np.ndarray]


def _kernel_on_every_value(node: Node) -> np.ndarray:
    return run_builtin(node, INT8_VALUES)[0]


# How each table-able op (runtime/op_traits.py) gets its table. The RSQRT and SQRT kernels refuse
# negative inputs (LiteRT does), so their tables come from the kernels' own prepare, which fills
# those entries with 0.
_DOMAIN_LIMITED: dict[str, TableFn] = {"RSQRT": rsqrt_int8_table, "SQRT": sqrt_int8_table}
INT8_TABLE_OPS: dict[str, TableFn] = {
    op: _DOMAIN_LIMITED.get(op, _kernel_on_every_value) for op in INT8_TABLE
}


def int8_table(
    op: str,
    input_q: tuple[float, int],
    output_q: tuple[float, int],
    options: dict[str, Any] | None = None,
) -> np.ndarray:
    """The int8 outputs of builtin `op` for the inputs -128..127 (entry q + 128), with the
    given input and output (scale, zero point) and builtin options (snake_case, as kernels
    read them)."""
    node = standalone_node(
        op, [TensorSpec((256,), "INT8", *input_q)], [TensorSpec((256,), "INT8", *output_q)], options
    )
    table = INT8_TABLE_OPS[op](node)
    return np.asarray(table, dtype=np.int8).reshape(256)
