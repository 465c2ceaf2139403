"""A run of an interpreter's main graph that its caller advances node by node."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from tflc.errors import TflcError

if TYPE_CHECKING:
    from tflc.runtime.interpreter import Interpreter


class SteppedRun:
    """One run of the main graph that its caller advances node by node: runs of several inputs
    can go in lockstep, and a constant can change between nodes (int8 bias correction measures
    a layer on every sample, corrects its bias and reruns it before going on:
    passes/quantize/bias_correction.py). Intermediate tensors are freed after their last
    reader (one node late, so that the last node can be rerun), and so are the graph outputs
    listed in `transient`."""

    def __init__(self, interp: Interpreter, inputs: dict[int, np.ndarray], transient=()):
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
        self._graph.execute(self._graph.steps[self._next], self.values)
        self._next += 1

    def rerun(self, tensor_index: int, operands: dict[int, np.ndarray]) -> np.ndarray:
        """Reruns the last node, which computed `tensor_index`, with the operands at the given
        positions (constants, typically) replaced; returns the new value."""
        if self._producer.get(tensor_index) != self._next - 1:
            raise TflcError(f"tensor {tensor_index} is not the last node's output", "run")
        step = self._graph.steps[self._next - 1]
        for position, value in operands.items():
            self.values[step.inputs[position]] = value
        self._graph.execute(step, self.values)
        return self.values[tensor_index]
