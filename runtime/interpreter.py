"""Runs a .tflite model with numpy kernels, without compiling it.

The API follows LiteRT's `Interpreter` so that tests and users can swap one for the other:

    interp = tflc.Interpreter(model_path="model.tflite")
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    y = interp.get_tensor(interp.get_output_details()[0]["index"])

or simply `y, = interp(x)`. Every user error (an op without a kernel, a wrong input dtype or
shape, a missing input) is a `TflcError` raised before any kernel runs; after it the
interpreter is still usable.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tflc.errors import TflcError
from tflc.runtime.kernels import Node, input_count_problem, lookup, unsupported_reason
from tflc.runtime.litert_compat import LiteRTCompatibility
from tflc.runtime.profile import Profile
from tflc.runtime.tflite_model import Model, Tensor, read_model

# Tensor types that carry no numpy data of their own (handles, strings); kernels that accept
# them manage the values.
_OPAQUE_TYPES = {"RESOURCE", "VARIANT", "STRING"}


class _Step:
    """A node with everything the run loop needs, resolved once."""

    __slots__ = ("fn", "free", "inputs", "node", "outputs")

    def __init__(self, node: Node, fn, free: list[int]):
        self.node = node
        self.fn = fn
        self.inputs = tuple(node.inputs)
        self.outputs = tuple(node.outputs)
        self.free = free


class _Graph:
    """One subgraph: its nodes in run order and its constant tensors."""

    def __init__(self, interp: Interpreter, model: Model, index: int):
        sg = model.subgraphs[index]
        self.index = index
        self.subgraph = sg
        self.template: list[np.ndarray | None] = [None] * len(sg.tensors)
        self.variables: list[int] = []
        for ti, t in enumerate(sg.tensors):
            if t.is_variable:
                self.variables.append(ti)
            elif t.sparsity is None:
                value = model.constant(t)
                if value is not None:
                    self.template[ti] = value
            else:  # sparse constants are read by DENSIFY through node.const()
                self.template[ti] = np.zeros(0, dtype=t.dtype or np.uint8)
        self.steps: list[_Step] = []
        self.problems: list[tuple[int, str, str]] = []  # (node, op, what is wrong)
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
            self.steps.append(_Step(node, fn, free_at[oi]))

    def fresh_values(self, interp: Interpreter) -> list[np.ndarray | None]:
        values = list(self.template)
        for ti in self.variables:
            values[ti] = interp._variable_value(self.index, ti)
        return values


FLOAT_ORDERS = ("auto", "litert", "blas")


def has_dynamic_range_layers(model) -> bool:
    """Whether an op computes float outputs from int8 constant weights (a hybrid kernel)."""
    for sg in model.subgraphs:
        for op in sg.operators:
            if model.operator_codes[op.opcode_index].name == "DEQUANTIZE":
                continue
            outs = [sg.tensors[i].type for i in op.outputs if i >= 0]
            if "FLOAT32" not in outs:
                continue
            for i in op.inputs:
                t = sg.tensors[i] if i >= 0 else None
                if t is not None and t.type == "INT8" and len(model.buffer_data(t)):
                    return True
    return False


class Interpreter(LiteRTCompatibility):
    """A LiteRT-compatible interpreter over numpy reference kernels.

    `num_threads` is accepted for compatibility and changes nothing (numpy's BLAS picks its
    own thread count); `tensor()`, `reset_all_variables()` and `num_subgraphs()` come from
    `LiteRTCompatibility`;
    `experimental_preserve_all_tensors` keeps every intermediate tensor for `get_tensor`.
    `float_order`: "litert" makes float kernels sum in the order of LiteRT's builtin kernels
    (bit-exact, about 4x slower on large layers), "blas" uses BLAS products (a few ulp off
    each), "auto" (default) picks "litert" for models with dynamic-range layers and "blas"
    otherwise. The attribute `litert_float_order` holds the choice.
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        model_content: bytes | None = None,
        num_threads: int | None = None,
        experimental_preserve_all_tensors: bool = False,
        float_order: str = "auto",
    ):
        if float_order not in FLOAT_ORDERS:
            raise TflcError(
                f"float_order must be one of {', '.join(FLOAT_ORDERS)}, got '{float_order}'",
                "Interpreter",
            )
        if (model_path is None) == (model_content is None):
            raise TflcError("give exactly one of model_path= or model_content=", "Interpreter")
        self._model = read_model(model_path if model_path is not None else model_content)
        self._source = self._model.source
        self._preserve_all = experimental_preserve_all_tensors
        # Float kernels sum in the order of LiteRT's builtin kernels (conv, fully-connected and
        # transpose-conv products as its Eigen GEMM/GEMV, depthwise, mean; kernels/litert_gemm.py):
        # deep float models then match LiteRT, and so do dynamic-range models, which re-quantize
        # float activations at every hybrid layer (a last-bit difference flips an int8
        # rounding). BLAS order is faster on large layers, a few ulp off each: "auto" keeps
        # LiteRT's order for the models whose quantization amplifies those ulps.
        if float_order == "auto":
            self.litert_float_order = has_dynamic_range_layers(self._model)
        else:
            self.litert_float_order = float_order == "litert"
        self._graphs = [_Graph(self, self._model, i) for i in range(len(self._model.subgraphs))]
        problems = [(g.index, *p) for g in self._graphs for p in g.problems]
        if problems:
            raise TflcError(_problems_message(problems), self._source)
        self._main = self._graphs[0]
        main = self._main.subgraph
        self._input_shapes: dict[int, tuple[int, ...]] = {
            ti: tuple(main.tensors[ti].shape) for ti in main.inputs
        }
        self._inputs: dict[int, np.ndarray] = {}
        self._values: list[np.ndarray | None] = list(self._main.template)
        self._variables: dict[tuple[int, int], np.ndarray] = {}
        self.resources: dict[Any, Any] = {}  # resource variables, hash tables (by handle)
        self._allocated = False
        self._profile: Profile | None = None

    # --- LiteRT API -------------------------------------------------------------------

    def allocate_tensors(self) -> None:
        """Resets inputs and state; shapes are checked when inputs are set."""
        self._inputs.clear()
        self._variables.clear()
        self.resources.clear()
        self._values = list(self._main.template)
        self._allocated = True

    def get_input_details(self) -> list[dict[str, Any]]:
        return [self._details(ti) for ti in self._main.subgraph.inputs]

    def get_output_details(self) -> list[dict[str, Any]]:
        return [self._details(ti) for ti in self._main.subgraph.outputs]

    def get_tensor_details(self) -> list[dict[str, Any]]:
        return [self._details(ti) for ti in range(len(self._main.subgraph.tensors))]

    def resize_tensor_input(
        self, input_index: int, tensor_size: Sequence[int], strict: bool = False
    ) -> None:
        t = self._input_tensor(input_index)
        shape = tuple(int(d) for d in tensor_size)
        if len(shape) != len(t.shape) or any(d < 0 for d in shape):
            raise TflcError(
                f"cannot resize to {list(shape)}: the input has rank {len(t.shape)}",
                self._tensor_where(input_index),
            )
        signature = t.shape_signature or t.shape
        if strict and any(s != -1 and s != d for s, d in zip(signature, shape, strict=True)):
            raise TflcError(
                f"cannot resize to {list(shape)}: only dimensions marked -1 in "
                f"{list(signature)} may change",
                self._tensor_where(input_index),
            )
        self._input_shapes[input_index] = shape
        self._allocated = False

    def set_tensor(self, tensor_index: int, value: Any) -> None:
        t = self._input_tensor(tensor_index)
        value = self._checked_input(tensor_index, t, value)
        if not self._allocated:
            self.allocate_tensors()
        self._inputs[tensor_index] = np.array(value, copy=True)

    def get_tensor(self, tensor_index: int, subgraph_index: int = 0) -> np.ndarray:
        tensors = self._main.subgraph.tensors
        if subgraph_index != 0 or not 0 <= tensor_index < len(tensors):
            raise TflcError(f"no tensor {tensor_index} in subgraph {subgraph_index}", "get_tensor")
        if tensor_index in self._inputs:
            return self._inputs[tensor_index].copy()
        value = self._values[tensor_index]
        if value is None:
            raise TflcError(
                "holds no value: run invoke() first; intermediate tensors are freed unless the "
                "interpreter is built with experimental_preserve_all_tensors=True",
                self._tensor_where(tensor_index),
            )
        return np.array(value, copy=True)

    def invoke(self) -> None:
        if not self._allocated:
            self.allocate_tensors()
        main = self._main.subgraph
        for ti in main.inputs:
            if ti not in self._inputs:
                raise TflcError(
                    "input was not set: call set_tensor() for every input before invoke()",
                    self._tensor_where(ti),
                )
        values = self._main.fresh_values(self)
        for ti, value in self._inputs.items():
            values[ti] = value
        self._values = [None] * len(values)  # nothing stale survives a failed run
        self._run(self._main, values, keep_all=self._preserve_all)
        self._values = values

    def __call__(self, *inputs: Any) -> list[np.ndarray]:
        """Runs the model on `inputs` (in input order) and returns its outputs."""
        arrays = self._main_inputs(inputs)
        if not self._allocated:
            self.allocate_tensors()
        self._inputs.update(arrays)
        self.invoke()
        return [self.get_tensor(ti) for ti in self._main.subgraph.outputs]

    def stepped_run(self, *inputs: Any, transient: Sequence[int] = ()) -> SteppedRun:
        """A run of the model on `inputs` that the caller advances node by node (SteppedRun)."""
        return SteppedRun(self, self._main_inputs(inputs), transient)

    def _main_inputs(self, inputs: Sequence[Any]) -> dict[int, np.ndarray]:
        """`inputs` checked against the main graph's inputs, by tensor index; a shape that fits
        the input's signature resizes it."""
        main = self._main.subgraph
        if len(inputs) != len(main.inputs):
            raise TflcError(
                f"the model takes {len(main.inputs)} input(s), got {len(inputs)}", self._source
            )
        arrays = {}
        for ti, value in zip(main.inputs, inputs, strict=True):
            arr = np.asarray(value)
            t = main.tensors[ti]
            if arr.shape != self._input_shapes[ti] and _fits_signature(t, arr.shape):
                self.resize_tensor_input(ti, arr.shape)
            arrays[ti] = self._checked_input(ti, t, arr)
        return arrays

    def get_signature_list(self) -> dict[str, dict[str, list[str]]]:
        return {
            s.key: {"inputs": [n for n, _ in s.inputs], "outputs": [n for n, _ in s.outputs]}
            for s in self._model.signature_defs
        }

    def get_signature_runner(self, signature_key: str | None = None) -> SignatureRunner:
        sigs = self._model.signature_defs
        if not sigs:
            raise TflcError("the model has no signatures", self._source)
        if signature_key is None:
            if len(sigs) > 1:
                raise TflcError("the model has several signatures: name one", self._source)
            return SignatureRunner(self, sigs[0])
        for s in sigs:
            if s.key == signature_key:
                return SignatureRunner(self, s)
        raise TflcError(
            f"no signature '{signature_key}' (have: {', '.join(s.key for s in sigs)})",
            self._source,
        )

    # --- profiling --------------------------------------------------------------------

    def enable_profiling(self) -> Profile:
        """Starts recording per-node timings of every later invoke; returns the record."""
        self._profile = Profile(self._model)
        return self._profile

    @property
    def profile(self) -> Profile | None:
        return self._profile

    # --- used by kernels --------------------------------------------------------------

    def run_subgraph(self, index: int, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Runs subgraph `index` on `inputs` (control flow, signatures) and returns its outputs."""
        if not 0 <= index < len(self._graphs):
            raise TflcError(f"subgraph {index} does not exist", self._source)
        graph = self._graphs[index]
        sg = graph.subgraph
        if len(inputs) != len(sg.inputs):
            raise TflcError(
                f"subgraph {index} takes {len(sg.inputs)} inputs, got {len(inputs)}", self._source
            )
        values = graph.fresh_values(self)
        for ti, value in zip(sg.inputs, inputs, strict=True):
            values[ti] = value
        self._run(graph, values, keep_all=False)
        return [values[ti] for ti in sg.outputs]

    def run_op(self, node_index: int, *inputs: Any, subgraph: int = 0) -> list[np.ndarray]:
        """Runs one node's kernel on `inputs` (None for omitted optional inputs; constants may
        be passed as None too) and returns its outputs. A debugging aid: feed a node another
        runtime's intermediate tensors to compare kernels op by op."""
        if not 0 <= subgraph < len(self._graphs):
            raise TflcError(f"subgraph {subgraph} does not exist", self._source)
        steps = [s for s in self._graphs[subgraph].steps if s.node.index == node_index]
        if not steps:
            raise TflcError(f"no node {node_index} in subgraph {subgraph}", self._source)
        step = steps[0]
        template = self._graphs[subgraph].template
        args = [
            template[ti] if ti >= 0 and v is None else v
            for ti, v in zip(step.inputs, list(inputs) + [None] * len(step.inputs), strict=False)
        ]
        values: list = [None] * len(template)
        self._store(step.node, step.outputs, _call_kernel(step, args), values)
        return [values[ti] for ti in step.outputs]

    def _variable_value(self, subgraph: int, ti: int) -> np.ndarray:
        key = (subgraph, ti)
        if key not in self._variables:
            t = self._model.subgraphs[subgraph].tensors[ti]
            init = self._model.constant(t)
            if init is None:
                zp = (
                    t.quantization.zero_point[0]
                    if t.quantization and t.quantization.zero_point
                    else 0
                )
                init = np.full([max(d, 0) for d in t.shape], zp, dtype=t.dtype or np.float32)
            self._variables[key] = np.array(init, copy=True)
        return self._variables[key]

    def set_variable(self, subgraph: int, ti: int, value: np.ndarray) -> None:
        """Stores the new state of variable tensor `ti` (stateful ops such as LSTM)."""
        self._variables[(subgraph, ti)] = value

    # --- internals --------------------------------------------------------------------

    def _run(self, graph: _Graph, values: list, keep_all: bool) -> None:
        profile = self._profile if graph is self._main else None
        for step in graph.steps:
            start = time.perf_counter() if profile is not None else 0.0
            self._execute(graph, step, values)
            if profile is not None:
                profile.record(step.node.index, step.node.op, time.perf_counter() - start)
            if not keep_all:
                for ti in step.free:
                    values[ti] = None

    def _execute(self, graph: _Graph, step: _Step, values: list) -> None:
        """Runs one node's kernel on `values` and stores its outputs there."""
        node = step.node
        tensors = graph.subgraph.tensors
        args = []
        for ti in step.inputs:
            if ti < 0:
                args.append(None)
                continue
            v = values[ti]
            if v is None and tensors[ti].type not in _OPAQUE_TYPES:
                raise TflcError(
                    f"input tensor {ti} '{tensors[ti].name}' has no value (it is neither "
                    "a constant nor produced by an earlier node)",
                    node.where,
                )
            args.append(v)
        result = _call_kernel(step, args)
        self._store(node, step.outputs, result, values)

    @staticmethod
    def _store(node: Node, outputs: tuple[int, ...], result: Any, values: list) -> None:
        results = result if isinstance(result, list | tuple) else (result,)
        if len(results) != len(outputs):
            raise TflcError(
                f"kernel returned {len(results)} output(s), the op has {len(outputs)}",
                node.where,
            )
        tensors = node.tensors
        for ti, r in zip(outputs, results, strict=True):
            t = tensors[ti]
            if t.type in _OPAQUE_TYPES:
                values[ti] = r
                continue
            arr = np.asarray(r)
            expected = t.dtype
            if expected is not None and arr.dtype != expected:
                raise TflcError(
                    f"kernel produced {arr.dtype} for output '{t.name}', the model declares "
                    f"{expected}",
                    node.where,
                )
            values[ti] = arr

    def _input_tensor(self, tensor_index: int) -> Tensor:
        main = self._main.subgraph
        if tensor_index not in self._input_shapes:
            if 0 <= tensor_index < len(main.tensors):
                raise TflcError("is not an input of the model", self._tensor_where(tensor_index))
            raise TflcError(f"no tensor {tensor_index} in the model", self._source)
        return main.tensors[tensor_index]

    def _checked_input(self, ti: int, t: Tensor, value: Any) -> np.ndarray:
        if not isinstance(value, np.ndarray | np.generic):
            raise TflcError(
                f"expected a numpy array, got {type(value).__name__}", self._tensor_where(ti)
            )
        value = np.asarray(value)
        expected = t.dtype
        if expected is not None and value.dtype != expected:
            raise TflcError(f"got dtype {value.dtype}, expected {expected}", self._tensor_where(ti))
        shape = self._input_shapes[ti]
        if value.shape != shape:
            hint = " (call resize_tensor_input() first)" if _fits_signature(t, value.shape) else ""
            raise TflcError(
                f"got shape {list(value.shape)}, expected {list(shape)}{hint}",
                self._tensor_where(ti),
            )
        return value

    def _tensor_where(self, ti: int) -> str:
        t = self._main.subgraph.tensors[ti]
        main = self._main.subgraph
        if ti in main.inputs:
            return f"input {main.inputs.index(ti)} '{t.name}' (tensor {ti})"
        return f"tensor {ti} '{t.name}'"

    def _details(self, ti: int, subgraph: int = 0) -> dict[str, Any]:
        """LiteRT's details of tensor `ti`; the main graph's with their current shapes."""
        t = self._graphs[subgraph].subgraph.tensors[ti]
        if subgraph != self._main.index:
            shape = tuple(t.shape)
        elif ti in self._input_shapes:
            shape = self._input_shapes[ti]
        elif self._values[ti] is not None and isinstance(self._values[ti], np.ndarray):
            shape = self._values[ti].shape
        else:
            shape = self._resized_shape(ti) or tuple(t.shape)
        q = t.quantization
        scales = np.asarray(q.scale if q else [], dtype=np.float32)
        zps = np.asarray(q.zero_point if q else [], dtype=np.int32)
        return {
            "name": t.name,
            "index": ti,
            "shape": np.asarray(shape, dtype=np.int32),
            "shape_signature": np.asarray(t.shape_signature or t.shape, dtype=np.int32),
            "dtype": t.dtype.type if t.dtype is not None else np.object_,
            "quantization": (float(scales[0]), int(zps[0])) if len(scales) == 1 else (0.0, 0),
            "quantization_parameters": {
                "scales": scales,
                "zero_points": zps,
                "quantized_dimension": q.quantized_dimension if q else 0,
            },
            "sparsity_parameters": {},
        }


def _call_kernel(step: _Step, args: list) -> Any:
    """`step`'s kernel on `args`. Float overflow and NaN are silent, as in LiteRT: inf and NaN
    are the values the model computes. A kernel's other failures name the node."""
    try:
        with np.errstate(all="ignore"):
            return step.fn(step.node, *args)
    except TflcError as e:
        e.at(step.node.where)  # a helper's error (a size limit) gets the node's place
        raise
    except Exception as e:  # a kernel bug or data it cannot handle: say where
        raise TflcError(f"kernel failed: {type(e).__name__}: {e}", step.node.where) from e


class SteppedRun:
    """One run of the main graph that its caller advances node by node: runs of several inputs
    can go in lockstep, and a constant can change between nodes (int8 bias correction measures
    a layer on every sample, corrects its bias and reruns it before going on:
    passes/quantize/bias_correction.py). Intermediate tensors are freed after their last
    reader (one node late, so that the last node can be rerun), and so are the graph outputs
    listed in `transient`."""

    def __init__(self, interp: Interpreter, inputs: dict[int, np.ndarray], transient=()):
        self._interp = interp
        self._graph = interp._main
        self.values = self._graph.fresh_values(interp)
        for ti, value in inputs.items():
            self.values[ti] = value
        self._producer = {ti: i for i, s in enumerate(self._graph.steps) for ti in s.outputs}
        last_read = {ti: i for i, s in enumerate(self._graph.steps) for ti in s.inputs}
        self._free_after = [list(s.free) for s in self._graph.steps]
        for ti in transient:
            if ti in last_read:
                self._free_after[last_read[ti]].append(ti)
        self._next = 0

    def run_until(self, tensor_index: int) -> np.ndarray:
        """Runs nodes until `tensor_index` has its value, and returns it."""
        producer = self._producer.get(tensor_index)
        if producer is None or (producer < self._next and self.values[tensor_index] is None):
            raise TflcError(f"tensor {tensor_index} is not computed after this point", "run")
        while self._next <= producer:
            self._step()
        return self.values[tensor_index]

    def outputs(self) -> list[np.ndarray]:
        """Runs the remaining nodes and returns the graph's outputs."""
        while self._next < len(self._graph.steps):
            self._step()
        return [self.values[ti] for ti in self._graph.subgraph.outputs]

    def _step(self) -> None:
        """Frees what the previous node read last, and runs the next node."""
        if self._next:
            for ti in self._free_after[self._next - 1]:
                self.values[ti] = None
        self._interp._execute(self._graph, self._graph.steps[self._next], self.values)
        self._next += 1

    def rerun(self, tensor_index: int, operands: dict[int, np.ndarray]) -> np.ndarray:
        """Reruns the last node, which computed `tensor_index`, with the operands at the given
        positions (constants, typically) replaced; returns the new value."""
        if self._producer.get(tensor_index) != self._next - 1:
            raise TflcError(f"tensor {tensor_index} is not the last node's output", "run")
        step = self._graph.steps[self._next - 1]
        for position, value in operands.items():
            self.values[step.inputs[position]] = value
        self._interp._execute(self._graph, step, self.values)
        return self.values[tensor_index]


class SignatureRunner:
    """Runs one signature of the model with named inputs: `runner(x=...) -> {name: array}`."""

    def __init__(self, interp: Interpreter, signature):
        self._interp = interp
        self._signature = signature

    def get_input_details(self) -> dict[str, dict[str, Any]]:
        sig = self._signature
        return {n: self._interp._details(ti, sig.subgraph_index) for n, ti in sig.inputs}

    def get_output_details(self) -> dict[str, dict[str, Any]]:
        sig = self._signature
        return {n: self._interp._details(ti, sig.subgraph_index) for n, ti in sig.outputs}

    def __call__(self, **inputs: np.ndarray) -> dict[str, np.ndarray]:
        sig = self._signature
        graph = self._interp._graphs[sig.subgraph_index]
        names = [n for n, _ in sig.inputs]
        unknown = sorted(set(inputs) - set(names))
        if unknown:
            raise TflcError(
                f"unknown input(s) {unknown}; expected {names}", f"signature '{sig.key}'"
            )
        missing = [n for n in names if n not in inputs]
        if missing:
            raise TflcError(f"missing input(s) {missing}", f"signature '{sig.key}'")
        by_tensor = {ti: n for n, ti in sig.inputs}
        ordered = []
        for ti in graph.subgraph.inputs:
            t = graph.subgraph.tensors[ti]
            arr = np.asarray(inputs[by_tensor[ti]])
            if t.dtype is not None and arr.dtype != t.dtype:
                raise TflcError(
                    f"got dtype {arr.dtype}, expected {t.dtype}",
                    f"signature '{sig.key}' input '{by_tensor[ti]}'",
                )
            if arr.ndim != len(t.shape):
                raise TflcError(
                    f"got shape {list(arr.shape)}, expected {t.shape_signature or t.shape}",
                    f"signature '{sig.key}' input '{by_tensor[ti]}'",
                )
            if graph is self._interp._main and arr.shape != self._interp._input_shapes[ti]:
                self._interp.resize_tensor_input(ti, arr.shape)  # as LiteRT's runner does
            ordered.append(arr)
        outputs = self._interp.run_subgraph(sig.subgraph_index, ordered)
        by_out = dict(zip(graph.subgraph.outputs, outputs, strict=True))
        return {n: np.array(by_out[ti], copy=True) for n, ti in sig.outputs}


def _fits_signature(t: Tensor, shape: tuple[int, ...]) -> bool:
    signature = t.shape_signature or t.shape
    return len(signature) == len(shape) and all(
        s == -1 or s == d for s, d in zip(signature, shape, strict=True)
    )


def _type_problem(node: Node) -> str | None:
    """Tensor types no kernel can hold (their numpy dtype is unknown)."""
    for i in list(node.inputs) + list(node.outputs):
        if i >= 0:
            t = node.tensors[i]
            if t.dtype is None and t.type not in _OPAQUE_TYPES and t.type != "INT4":
                return f"tensor '{t.name}' has type {t.type}, which the interpreter cannot hold"
    return None


def _problems_message(problems: list[tuple[int, int, str, str]]) -> str:
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
