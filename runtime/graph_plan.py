"""One subgraph prepared to run: its nodes in order with their kernels, the constant tensors,
when each intermediate tensor can be freed, and the step that runs one node on a value list.

The interpreter, its stepped runs and its signature runners all execute through this plan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from tflc.errors import TflcError
from tflc.runtime.blas_threads import one_blas_thread
from tflc.runtime.kernels import Node, input_count_problem, lookup, unsupported_reason
from tflc.runtime.shape_inference import OpView, ShapeError, infer_output_shapes
from tflc.runtime.tflite_model import Model

if TYPE_CHECKING:
    from tflc.runtime.interpreter import Interpreter

# Tensor types that carry no numpy data of their own (handles, strings); kernels that accept
# them manage the values.
OPAQUE_TYPES = {"RESOURCE", "VARIANT", "STRING"}


class Step:
    """A node with everything the run loop needs, resolved once."""

    __slots__ = ("fn", "free", "inputs", "node", "outputs")

    def __init__(self, node: Node, fn, free: list[int]):
        self.node = node
        self.fn = fn
        self.inputs = tuple(node.inputs)
        self.outputs = tuple(node.outputs)
        self.free = free

    # What the profile shows (runtime/delegation.DelegatedStep answers the same).
    name = None  # named by its first output tensor

    @property
    def index(self) -> int:
        return self.node.index

    @property
    def op(self) -> str:
        return self.node.op


class GraphPlan:
    """One subgraph: its nodes in run order and its constant tensors. Nodes that cannot run
    are listed in `problems` as (node, op, what is wrong)."""

    def __init__(self, interp: Interpreter, model: Model, index: int):
        sg = model.subgraphs[index]
        self.index = index
        self.subgraph = sg
        self.template: list[np.ndarray | None] = [None] * len(sg.tensors)
        self.variables: list[int] = []
        produced = set(sg.inputs) | {t for op in sg.operators for t in op.outputs}
        for ti, t in enumerate(sg.tensors):
            if t.is_variable:
                self.variables.append(ti)
            elif t.sparsity is None:
                value = model.constant(t)
                if value is None and ti not in produced and _empty(t):
                    # A constant without elements has no data to write (TensorFlow's
                    # converter's shape [] of a reshape to a scalar, for one).
                    value = np.zeros(t.shape, dtype=t.dtype)
                if value is not None:
                    self.template[ti] = value
            else:  # sparse constants are read by DENSIFY through node.const()
                self.template[ti] = np.zeros(0, dtype=t.dtype or np.uint8)
        self.steps: list[Step] = []
        self.problems: list[tuple[int, str, str]] = []
        free_at = self._free_after_last_use()
        for oi, op in enumerate(sg.operators):
            code = model.operator_codes[op.opcode_index]
            name = model.operator_name(op)
            node = Node(
                interp,
                model,
                index,
                oi,
                name,
                code.version,
                op.options,
                op.custom_options,
                list(op.inputs),
                list(op.outputs),
            )
            fn = lookup(name)
            if fn is None:
                self.problems.append((oi, name, f"no kernel for op '{name}'"))
                continue
            reason = _type_problem(node) or input_count_problem(fn, node)
            reason = reason or unsupported_reason(name, node)
            if reason:
                self.problems.append((oi, name, reason))
            self.steps.append(Step(node, fn, free_at[oi]))

    def _free_after_last_use(self) -> list[list[int]]:
        """For each node, the intermediate tensors it reads last (graph inputs, outputs,
        variables and constants are kept)."""
        sg = self.subgraph
        keep = set(sg.outputs) | set(sg.inputs) | set(self.variables)
        last_use: dict[int, int] = {}
        for oi, op in enumerate(sg.operators):
            for t in op.inputs:
                if t >= 0:
                    last_use[t] = oi
        free_at: list[list[int]] = [[] for _ in sg.operators]
        for t, oi in last_use.items():
            if t not in keep and self.template[t] is None:
                free_at[oi].append(t)
        return free_at

    def fresh_values(self, interp: Interpreter) -> list[np.ndarray | None]:
        values = list(self.template)
        for ti in self.variables:
            values[ti] = interp._variable_value(self.index, ti)
        return values

    def execute(self, step: Step, values: list) -> None:
        """Runs one node's kernel on `values` and stores its outputs there."""
        node = step.node
        tensors = self.subgraph.tensors
        args = []
        for ti in step.inputs:
            if ti < 0:
                args.append(None)
                continue
            v = values[ti]
            if v is None and tensors[ti].type not in OPAQUE_TYPES:
                raise TflcError(
                    f"input tensor {ti} '{tensors[ti].name}' has no value (it is neither "
                    "a constant nor produced by an earlier node)",
                    node.where,
                )
            args.append(v)
        store_outputs(node, step.outputs, call_kernel(step, args), values)


def _empty(tensor) -> bool:
    """A tensor of a known shape with no elements."""
    signature = tensor.shape_signature if tensor.shape_signature is not None else tensor.shape
    return tensor.dtype is not None and 0 in list(tensor.shape) and -1 not in list(signature)


def call_kernel(step: Step, args: list) -> Any:
    """`step`'s kernel on `args`. Float overflow and NaN are silent, as in LiteRT: inf and NaN
    are the values the model computes. A kernel's other failures name the node. BLAS runs one
    thread: kernels split their work over the interpreter's own (runtime/blas_threads.py)."""
    try:
        with np.errstate(all="ignore"), one_blas_thread():
            return step.fn(step.node, *args)
    except TflcError as e:
        e.at(step.node.where)  # a helper's error (a size limit) gets the node's place
        raise
    except Exception as e:  # a kernel bug or data it cannot handle: say where
        problem = run_time_shape_problem(step.node, args)
        if problem:  # shapes computed at run time that the op cannot take: the model's fault
            raise TflcError(f"at run time, {problem}", step.node.where) from None
        raise TflcError(f"kernel failed: {type(e).__name__}: {e}", step.node.where) from e


def run_time_shape_problem(node: Node, args: list) -> str | None:
    """Why the op's shape function refuses the arrays a kernel failed on, or None. The reader
    checked the declared shapes; shapes computed in the graph (a RESHAPE fed by SHAPE and
    arithmetic) are only known now."""
    arrays = [a if isinstance(a, np.ndarray) else None for a in args]
    view = OpView(
        node.op,
        [None if a is None else tuple(a.shape) for a in arrays],
        [a if a is not None and a.dtype.kind in "iu" and a.size <= 64 else None for a in arrays],
        node.options or {},
    )
    try:
        infer_output_shapes(view)
    except ShapeError as e:
        return str(e)
    except Exception:  # noqa: BLE001 - a diagnosis only; the kernel's own error stands
        return None
    return None


def store_outputs(node: Node, outputs: tuple[int, ...], result: Any, values: list) -> None:
    """Stores a kernel's `result` into `values`, checked against the op's declared outputs."""
    results = result if isinstance(result, list | tuple) else (result,)
    if len(results) != len(outputs):
        raise TflcError(
            f"kernel returned {len(results)} output(s), the op has {len(outputs)}",
            node.where,
        )
    tensors = node.tensors
    for ti, r in zip(outputs, results, strict=True):
        t = tensors[ti]
        if t.type in OPAQUE_TYPES:
            values[ti] = r
            continue
        arr = np.asarray(r)
        expected = t.dtype
        if expected is not None and arr.dtype != expected:
            raise TflcError(
                f"kernel produced {arr.dtype} for output '{t.name}', the model declares {expected}",
                node.where,
            )
        values[ti] = arr


def _type_problem(node: Node) -> str | None:
    """Tensor types no kernel can hold (their numpy dtype is unknown)."""
    for i in list(node.inputs) + list(node.outputs):
        if i >= 0:
            t = node.tensors[i]
            if t.dtype is None and t.type not in OPAQUE_TYPES and t.type != "INT4":
                return f"tensor '{t.name}' has type {t.type}, which the interpreter cannot hold"
    return None


def problems_message(problems: list[tuple[int, int, str, str]]) -> str:
    """One message for every node the interpreter cannot run, the first in full."""
    sg, oi, op, what = problems[0]
    place = f"subgraph {sg} node {oi}" if sg else f"node {oi}"
    msg = f"{place} ({op}): {what}"
    if len(problems) > 1:
        ops = sorted({p[2] for p in problems})
        msg += f" (and {len(problems) - 1} more node(s); ops affected: {', '.join(ops)})"
    if any(w.startswith("no kernel") for *_, w in problems):
        msg += "; register a kernel with tflc.register_kernel(name, fn)"
    return msg
