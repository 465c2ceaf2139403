"""LiteRT `Interpreter` methods that go beyond running a model, for `tflc.Interpreter`.

Kept apart from the interpreter's run loop: raw tensor access (`tensor()`), resetting the
state of variable tensors, the subgraph count, and the shapes that resized inputs imply (which
LiteRT's `get_output_details()` reports after `allocate_tensors()`), with LiteRT's meaning.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from tflc.errors import TflcError
from tflc.runtime.shape_inference import MissingInput, OpView, ShapeError, infer_output_shapes

Shape = tuple[int, ...]


class LiteRTCompatibility:
    """Mixed into `Interpreter`; reads its `_model`, `_main`, `_inputs`, `_values`,
    `_input_shapes` and `_variables`."""

    _implied_shapes: tuple[object, dict[int, Shape]] = (None, {})

    def tensor(self, tensor_index: int) -> Callable[[], np.ndarray]:
        """A function returning a numpy view of the tensor's current buffer, as LiteRT's.

        Writing into an input's view sets that input for the next `invoke()`; an output's view
        holds the last invoke's result. Call the function again after `invoke()` or
        `allocate_tensors()` rather than keeping the array. Intermediate tensors are readable
        only with `experimental_preserve_all_tensors=True`.
        """
        tensors = self._main.subgraph.tensors
        if not isinstance(tensor_index, int | np.integer) or not 0 <= tensor_index < len(tensors):
            raise TflcError(f"no tensor {tensor_index} in the model", "tensor()")
        index = int(tensor_index)
        return lambda: self._tensor_buffer(index)

    def _tensor_buffer(self, index: int) -> np.ndarray:
        if index in self._input_shapes:
            if not self._allocated:
                self.allocate_tensors()
            buffer = self._inputs.get(index)
            shape = self._input_shapes[index]
            if buffer is None or buffer.shape != shape:
                # LiteRT's input buffers exist once allocated; zeros until written.
                dtype = self._main.subgraph.tensors[index].dtype
                buffer = self._inputs[index] = np.zeros(shape, dtype)
            return buffer
        value = self._values[index]
        if value is None:
            return self.get_tensor(index)  # raises: holds no value, and why
        return value

    def reset_all_variables(self) -> None:
        """Variable tensors (recurrent state) go back to their initial values on the next
        invoke. As in LiteRT, resource variables (VAR_HANDLE / ASSIGN_VARIABLE) keep theirs."""
        self._variables.clear()

    def num_subgraphs(self) -> int:
        return len(self._model.subgraphs)

    def _resized_shape(self, index: int) -> Shape | None:
        """The shape of main-graph tensor `index` that the resized inputs imply, or None when
        the inputs keep the file's shapes or the op's shape function cannot tell."""
        key = tuple(sorted(self._input_shapes.items()))
        if self._implied_shapes[0] != key:
            self._implied_shapes = (key, self._propagate_input_shapes())
        return self._implied_shapes[1].get(index)

    def _propagate_input_shapes(self) -> dict[int, Shape]:
        graph, model = self._main.subgraph, self._model
        shapes = dict(self._input_shapes)
        if all(shape == tuple(graph.tensors[ti].shape) for ti, shape in shapes.items()):
            return {}
        for op in graph.operators:  # in execution order
            tensors = [graph.tensors[i] if i >= 0 else None for i in op.inputs]
            constants = [
                model.constant(t) if t is not None and not t.is_variable else None for t in tensors
            ]
            known = [
                None if t is None else shapes.get(i, tuple(t.shape) if c is not None else None)
                for i, t, c in zip(op.inputs, tensors, constants, strict=True)
            ]
            if any(k is None and t is not None for k, t in zip(known, tensors, strict=True)):
                continue  # an input whose shape is unknown: its outputs keep the file's shapes
            options = op.builtin_options[1] if op.builtin_options else {}
            try:
                inferred = infer_output_shapes(
                    OpView(model.operator_name(op), known, constants, options)
                )
            except (ShapeError, MissingInput):
                inferred = None
            for ti, shape in zip(op.outputs, inferred or [], strict=False):
                shapes[ti] = tuple(int(d) for d in shape)
        return shapes
