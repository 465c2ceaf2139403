"""The one rule the compiled targets share for `tfl.while`: loop-carried tensors keep one static
shape and type, so each gets one buffer planned before the loop runs (cpu and mcu targets)."""

from __future__ import annotations

from mlir import ir


def carried_shape_problem(op: ir.Operation) -> str | None:
    """Why `op` (a tfl.while) cannot get fixed buffers for its carried values, or None."""
    for i, (x, y) in enumerate(zip(op.operands, op.results, strict=False)):
        static = all(
            isinstance(t, ir.RankedTensorType) and ir.ShapedType(t).has_static_shape
            for t in (x.type, y.type)
        )
        if not static or x.type != y.type:
            return (
                f"tfl.while's carried value {i} goes from {x.type} to {y.type} between "
                "iterations: compiled loops need carried tensors of one static shape and type"
            )
    return None
