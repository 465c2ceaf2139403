"""Runs one signature of a model with named inputs (LiteRT's `SignatureRunner`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from tflc.errors import TflcError
from tflc.runtime.input_errors import wrong_dtype, wrong_shape

if TYPE_CHECKING:
    from tflc.runtime.interpreter import Interpreter


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
            place = f"signature '{sig.key}' input '{by_tensor[ti]}'"
            if t.dtype is not None and arr.dtype != t.dtype:
                raise wrong_dtype(place, arr.dtype, t.dtype)
            if arr.ndim != len(t.shape):
                raise wrong_shape(place, arr.shape, t.shape_signature or t.shape)
            if graph is self._interp._main and arr.shape != self._interp._input_shapes[ti]:
                self._interp.resize_tensor_input(ti, arr.shape)  # as LiteRT's runner does
            ordered.append(arr)
        outputs = self._interp.run_subgraph(sig.subgraph_index, ordered)
        by_out = dict(zip(graph.subgraph.outputs, outputs, strict=True))
        return {n: np.array(by_out[ti], copy=True) for n, ti in sig.outputs}
