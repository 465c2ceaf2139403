"""Output shapes of builtin ops, inferred from their input shapes, constant inputs and options.

One shape function per op, compiler-free so that the runtime reader can run it: every entry
point (the flatbuffer reader behind `tflc.Interpreter` and the tfl importer, and the tfl
verifier on MLIR) checks each operator's declared output shapes against these, so a compiled
backend never sizes a buffer from a shape its op contradicts. An op without a function, or
whose shape depends on a non-constant input, is not checked (`infer_output_shapes` -> None).

This module holds the framework (`OpView`, the registry, the checks of declared shapes) and the
helpers shape functions share; the functions themselves live by op family in
runtime/shape_functions/ and register with `@shape_function("OPCODE", ...)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tflc.runtime.tflite_model import Model

Shape = tuple[int, ...]


class ShapeError(ValueError):
    """The inputs or options cannot give any output shape (the message says why)."""


class MissingInput(LookupError):
    """A required input is absent: an arity problem, which the op table's check reports."""


@dataclass
class OpView:
    """What a shape function sees of one operator."""

    op: str
    inputs: list[Shape | None]  # None: an omitted optional input
    constants: list[np.ndarray | None] = field(default_factory=list)  # constant input values
    options: dict[str, Any] = field(default_factory=dict)
    # Bytes per element of the input and output tensors (None where unknown): what BITCAST's
    # shape depends on.
    input_itemsizes: list[int | None] = field(default_factory=list)
    output_itemsizes: list[int | None] = field(default_factory=list)

    def shape(self, i: int) -> Shape:
        if i >= len(self.inputs) or self.inputs[i] is None:
            raise MissingInput(i)
        return self.inputs[i]

    def const(self, i: int) -> np.ndarray | None:
        return self.constants[i] if i < len(self.constants) else None

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)

    def positive(self, name: str, default: int = 1) -> int:
        value = int(self.options.get(name, default))
        if value < 1:
            raise ShapeError(f"{name} {value} must be at least 1")
        return value


ShapeFn = Callable[[OpView], "list[Shape] | None"]
SHAPE_FUNCTIONS: dict[str, ShapeFn] = {}


def shape_function(*ops: str) -> Callable[[ShapeFn], ShapeFn]:
    def register(fn: ShapeFn) -> ShapeFn:
        for op in ops:
            SHAPE_FUNCTIONS[op] = fn
        return fn

    return register


def infer_output_shapes(view: OpView) -> list[Shape] | None:
    """The op's output shapes, or None when this module cannot tell; raises ShapeError."""
    fn = SHAPE_FUNCTIONS.get(view.op)
    return None if fn is None else fn(view)


def axis_index(axis: int, rank: int, what: str = "axis") -> int:
    if not -rank <= axis < max(rank, 1):
        raise ShapeError(f"{what} {axis} is outside rank {rank}")
    return axis % max(rank, 1)


def broadcast(*shapes: Shape) -> Shape:
    try:
        return tuple(int(d) for d in np.broadcast_shapes(*shapes))
    except ValueError:
        listed = " and ".join(str(list(s)) for s in shapes)
        raise ShapeError(f"input shapes {listed} do not broadcast") from None


# Same shape as input 0: the elementwise unary ops, and a few that work along an axis.


def const_ints(v: OpView, i: int) -> list[int] | None:
    value = v.const(i)
    if value is None:
        return None
    if np.asarray(value).dtype.kind not in "iu":  # a float NaN or a string has no int()
        raise ShapeError(f"input {i} holds {np.asarray(value).dtype} values, not integers")
    return [int(x) for x in np.ravel(value)]


def element_count(shape: Shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


def shape_mismatch(declared: Shape, inferred: Shape, has_rank: bool = True) -> bool:
    """Whether a declared shape contradicts an inferred one. A rank-0 declaration without
    `has_rank` means "unknown rank" in older files; -1 declares an unknown dimension."""
    if not declared and not has_rank and inferred:
        return False
    if len(declared) != len(inferred):
        return True
    return any(d != i and d != -1 for d, i in zip(declared, inferred, strict=True))


def check_operator_shapes(model: Model, subgraph: int, index: int) -> str | None:
    """What is wrong with one operator's declared output shapes, or None: the op cannot give
    an output from its inputs and options, or it gives one the file does not declare."""
    graph = model.subgraphs[subgraph]
    op = graph.operators[index]
    tensors = [graph.tensors[i] if i >= 0 else None for i in op.inputs]
    # An unknown input dimension's `shape` is a placeholder 1: the outputs are then compared
    # with their shape signatures, whose unknown (-1) dimensions match anything.
    dynamic = any(t is not None and -1 in (t.shape_signature or ()) for t in tensors)
    view = OpView(
        model.operator_name(op),
        [tuple(t.shape) if t is not None else None for t in tensors],
        [model.constant(t) if t is not None and not t.is_variable else None for t in tensors],
        op.builtin_options[1] if op.builtin_options else {},
    )
    outs = [graph.tensors[i] for i in op.outputs]
    view.input_itemsizes = [_itemsize(t) for t in tensors]
    view.output_itemsizes = [_itemsize(t) for t in outs]
    declared = [
        (tuple((t.shape_signature or t.shape) if dynamic else t.shape), t.has_rank) for t in outs
    ]
    names = [f"output tensor {i} '{graph.tensors[i].name}'" for i in op.outputs]
    return declared_shapes_problem(
        view, declared, names, "its inputs and options", placeholders=dynamic
    )


def _itemsize(t) -> int | None:
    return None if t is None or t.dtype is None else t.dtype.itemsize


def declared_shapes_problem(
    view: OpView,
    declared: list[tuple[Shape | None, bool]],
    names: list[str],
    sources: str,
    placeholders: bool = False,
) -> str | None:
    """Infers `view`'s output shapes and compares them with the declared ones ((shape or None
    when unknown, has_rank) per output, named by `names`); what is wrong, or None.
    `placeholders`: some input dimensions are unknown (1 in `view`), so inputs the op cannot
    take prove nothing until run time, where the kernel's shape check names them."""
    try:
        inferred = infer_output_shapes(view)
    except ShapeError as e:
        return None if placeholders else str(e)
    except MissingInput:
        return None
    for shape, (stated, has_rank), name in zip(inferred or [], declared, names, strict=False):
        if stated is not None and shape_mismatch(stated, shape, has_rank):
            return f"{name} is declared {list(stated)}, but {sources} give {list(shape)}"
    return None


# Every op family's functions register on import (they import the helpers above).
from tflc.runtime import shape_functions  # noqa: E402, F401
