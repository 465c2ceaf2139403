"""Data-movement ops as gather tables, prepared once from the interpreter's own kernels.

Every output element of a data-movement op (runtime/op_traits.DATA_MOVEMENT) is an element of
its data operands or a fill value, so its whole meaning for one set of shapes and constant
operands is a table of positions: output element i is element positions[i] - 1 of the data
operands taken in order (flattened, one after another), or the fill value where positions[i] is
0. The table is what the interpreter's kernel computes on the positions themselves (1, 2, 3, ...
with 0 as the fill value), so a compiled target that stores it moves elements exactly as the
interpreter does, without re-deriving the op.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from tflc.dialects.tfl_ops import op_table
from tflc.runtime.kernels.standalone import TensorSpec, run_builtin, standalone_node
from tflc.runtime.op_traits import DATA_MOVEMENT, INTEGER_OPERANDS

_TYPE_NAMES = {np.dtype(np.int32): "INT32", np.dtype(np.int64): "INT64"}
_FILL_OPERANDS = frozenset({"constant_values", "padding_value"})  # a pad's value


@dataclass(frozen=True)
class OperandRoles:
    """What each operand of a data-movement op is, by the op table's operand names."""

    data: tuple[int, ...]  # moved elements (a variadic last operand repeats)
    fill: int | None  # the fill value's operand (PADV2, DILATE); else the fill is 0
    integer: tuple[int, ...]  # shapes, axes, indices, paddings: constants for a table
    variadic_data: bool  # PACK: every operand is data

    def data_positions(self, operand_count: int) -> list[int]:
        return list(range(operand_count)) if self.variadic_data else list(self.data)


def operand_roles(op: str) -> OperandRoles:
    if op not in DATA_MOVEMENT:
        raise ValueError(f"{op} is not a data-movement op")
    operands = op_table()[op].operands
    integer = tuple(i for i, o in enumerate(operands) if o.name in INTEGER_OPERANDS)
    fill = next((i for i, o in enumerate(operands) if o.name in _FILL_OPERANDS), None)
    data = tuple(i for i in range(len(operands)) if i not in integer and i != fill)
    variadic = (
        bool(operands) and operands[-1].variadic and operands[-1].name not in INTEGER_OPERANDS
    )
    return OperandRoles(data, fill, integer, variadic)


def gather_positions(
    op: str,
    input_shapes: list[tuple[int, ...] | None],
    constants: list[np.ndarray | None],
    output_shapes: list[tuple[int, ...]],
    options: dict[str, Any] | None = None,
    roles: OperandRoles | None = None,
) -> list[np.ndarray]:
    """Per output, the flat positions (see the module doc: 0 is the fill value) its elements
    come from; `constants` holds the other operands' values (None for data and fill). `roles`
    default to the op table's (`operand_roles`); a target may treat another op as a move where
    its constants make it one (SCATTER_ND with distinct indices)."""
    roles = roles or operand_roles(op)
    data = roles.data_positions(len(input_shapes))
    specs: list[TensorSpec | None] = []
    args: list[np.ndarray | None] = []
    start = 1
    for i, shape in enumerate(input_shapes):
        if shape is None:
            specs.append(None)
            args.append(None)
            continue
        size = int(np.prod(shape, dtype=np.int64))
        if i in data or i == roles.fill:
            values = np.arange(start, start + size) if i in data else np.zeros(size)
            start += size if i in data else 0
            specs.append(TensorSpec(tuple(shape), "INT64"))
            args.append(values.astype(np.int64).reshape(shape))
        else:
            value = np.asarray(constants[i])
            if value.dtype not in _TYPE_NAMES:
                value = value.astype(np.int64)
            specs.append(TensorSpec(tuple(shape), _TYPE_NAMES[value.dtype]))
            args.append(value.reshape(shape))
    outputs = [TensorSpec(tuple(s), "INT64") for s in output_shapes]
    node = standalone_node(op, specs, outputs, options)
    return [np.asarray(out, np.int64).reshape(-1) for out in run_builtin(node, *args)]
