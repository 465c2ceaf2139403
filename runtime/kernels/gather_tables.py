"""Data-movement ops as gather tables, prepared once from the interpreter's own kernels.

Every output element of a data-movement op (runtime/op_traits.DATA_MOVEMENT) is an element of
its data operand or a fill value, so its whole meaning for one set of shapes and constant
operands is a table: output element i comes from data element table[i], or is the fill value
where table[i] is -1. The table is what the interpreter's kernel computes on the data operand's
own positions (1, 2, 3, ... with 0 as the fill value), so a compiled target that stores it
moves elements exactly as the interpreter does, without re-deriving the op.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from tflc.dialects.tfl_ops import op_table
from tflc.runtime.kernels.standalone import TensorSpec, run_builtin, standalone_node
from tflc.runtime.op_traits import DATA_MOVEMENT, INTEGER_OPERANDS
from tflc.runtime.tflite_model import TENSOR_DTYPES

_TYPE_NAMES = {dtype: name for name, dtype in TENSOR_DTYPES.items()}


def operand_roles(op: str) -> tuple[int, int | None, tuple[int, ...]]:
    """(data operand, fill-value operand or None, integer operands) of data-movement `op`, by
    the op table's operand names: the integer ones are shapes, axes, indices and paddings; the
    first other operand is the data, a second one the fill value (PADV2, DILATE)."""
    if op not in DATA_MOVEMENT:
        raise ValueError(f"{op} is not a data-movement op")
    names = [o.name for o in op_table()[op].operands]
    integer = tuple(i for i, n in enumerate(names) if n in INTEGER_OPERANDS)
    values = [i for i in range(len(names)) if i not in integer]
    return values[0], (values[1] if len(values) > 1 else None), integer


def gather_tables(
    op: str,
    input_shapes: list[tuple[int, ...] | None],
    constants: list[np.ndarray | None],
    output_shapes: list[tuple[int, ...]],
    options: dict[str, Any] | None = None,
) -> list[np.ndarray]:
    """Per output, the data element (flat index) each output element copies, -1 for the fill
    value; `constants` holds the integer operands' values (None elsewhere)."""
    data, fill, _ = operand_roles(op)
    specs: list[TensorSpec | None] = []
    args: list[np.ndarray | None] = []
    for i, shape in enumerate(input_shapes):
        if shape is None:
            specs.append(None)
            args.append(None)
        elif i in (data, fill):
            size = int(np.prod(shape, dtype=np.int64))
            positions = np.arange(1, size + 1) if i == data else np.zeros(size)
            specs.append(TensorSpec(tuple(shape), "INT64"))
            args.append(positions.astype(np.int64).reshape(shape))
        else:
            value = np.asarray(constants[i])
            specs.append(TensorSpec(tuple(shape), _TYPE_NAMES[value.dtype]))
            args.append(value.reshape(shape))
    node = standalone_node(
        op, specs, [TensorSpec(tuple(s), "INT64") for s in output_shapes], options
    )
    return [np.asarray(out, np.int64).reshape(-1) - 1 for out in run_builtin(node, *args)]
