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
from tflc.runtime.delegation import DelegatedPlan, delegated_plan
from tflc.runtime.float_order import (
    FLOAT_ORDERS,
    check_float_order,
    has_dynamic_range_layers,
    uses_litert_order,
)
from tflc.runtime.graph_plan import GraphPlan, call_kernel, problems_message, store_outputs
from tflc.runtime.input_errors import input_place, wrong_count, wrong_dtype, wrong_shape
from tflc.runtime.kernel_threads import KernelThreads, thread_count
from tflc.runtime.litert_compat import LiteRTCompatibility
from tflc.runtime.profile import Profile
from tflc.runtime.signature_runner import SignatureRunner
from tflc.runtime.stepped_run import SteppedRun
from tflc.runtime.tensor_details import fits_signature, tensor_details
from tflc.runtime.tflite_model import Tensor, read_model

# The run plan, stepped runs, signature runners and float-order choice live in their own
# modules; these names stay importable from here.
__all__ = [
    "FLOAT_ORDERS",
    "Interpreter",
    "SignatureRunner",
    "SteppedRun",
    "has_dynamic_range_layers",
]


class Interpreter(LiteRTCompatibility):
    """A LiteRT-compatible interpreter over numpy reference kernels.

    `num_threads`: the threads the heavy kernels (conv, depthwise conv, fully-connected, batch
    matmul, transpose conv) split their outputs over, with numpy's BLAS held to one thread
    meanwhile (runtime/kernel_threads.py, blas_threads.py); results are the same bits for every
    count. None or -1 is LiteRT's default, one thread. Delegates get it as LiteRT hands it to
    its own. `tensor()`, `reset_all_variables()` and `num_subgraphs()` come from
    `LiteRTCompatibility`;
    `experimental_preserve_all_tensors` keeps every intermediate tensor for `get_tensor`.
    `float_order`: "litert" makes float kernels sum in the order of LiteRT's builtin kernels
    (bit-exact, about 4x slower on large layers), "blas" uses BLAS products (a few ulp off
    each), "auto" (default) picks "litert" for models with dynamic-range layers and "blas"
    otherwise. The attribute `litert_float_order` holds the choice.
    `experimental_delegates`: tflc's compiled targets (`tflc.delegates.cpu()`, `.gpu()`) run the nodes
    they compile; `delegated_nodes` lists those nodes (runtime/delegation.py).
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        model_content: bytes | None = None,
        num_threads: int | None = None,
        experimental_preserve_all_tensors: bool = False,
        float_order: str = "auto",
        experimental_delegates: Sequence[Any] | None = None,
    ):
        check_float_order(float_order)
        self.kernel_threads = KernelThreads(thread_count(num_threads))
        if (model_path is None) == (model_content is None):
            raise TflcError("give exactly one of model_path= or model_content=", "Interpreter")
        self._model = read_model(model_path if model_path is not None else model_content)
        self._source = self._model.source
        self._preserve_all = experimental_preserve_all_tensors
        self.litert_float_order = uses_litert_order(float_order, self._model)
        self._graphs = [GraphPlan(self, self._model, i) for i in range(len(self._model.subgraphs))]
        problems = [(g.index, *p) for g in self._graphs for p in g.problems]
        if problems:
            raise TflcError(problems_message(problems), self._source)
        self._main = self._graphs[0]
        self._delegation: DelegatedPlan | None = None
        if experimental_delegates:
            self._delegation = delegated_plan(
                self._main, self._model, experimental_delegates, num_threads
            )
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
        """Resets inputs and variable tensors; shapes are checked when inputs are set. Resource
        variables, hash tables and what CALL_ONCE ran keep their state, as in LiteRT."""
        self._inputs.clear()
        self._variables.clear()
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
            raise wrong_count(len(main.inputs), len(inputs))
        arrays = {}
        for ti, value in zip(main.inputs, inputs, strict=True):
            arr = np.asarray(value)
            t = main.tensors[ti]
            if arr.shape != self._input_shapes[ti] and fits_signature(t, arr.shape):
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

    @property
    def delegated_nodes(self) -> tuple[int, ...]:
        """Main-graph nodes that delegates run in compiled code (empty without delegates)."""
        return self._delegation.delegated_nodes if self._delegation else ()

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
        store_outputs(step.node, step.outputs, call_kernel(step, args), values)
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

    def _run(self, graph: GraphPlan, values: list, keep_all: bool) -> None:
        profile = self._profile if graph is self._main else None
        plan = self._delegation if graph is self._main and self._delegation else graph
        for step in plan.steps:
            start = time.perf_counter() if profile is not None else 0.0
            plan.execute(step, values)
            if profile is not None:
                profile.record(step.index, step.op, time.perf_counter() - start, step.name)
            if not keep_all:
                for ti in step.free:
                    values[ti] = None

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
            raise wrong_dtype(self._tensor_where(ti), value.dtype, expected)
        shape = self._input_shapes[ti]
        if value.shape != shape:
            hint = " (call resize_tensor_input() first)" if fits_signature(t, value.shape) else ""
            raise wrong_shape(self._tensor_where(ti), value.shape, shape, hint)
        return value

    def _tensor_where(self, ti: int) -> str:
        t = self._main.subgraph.tensors[ti]
        main = self._main.subgraph
        if ti in main.inputs:
            return input_place(main.inputs.index(ti), t.name)
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
        return tensor_details(t, ti, shape)
