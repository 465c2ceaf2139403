"""Builds small .tflite models whose operators carry builtin_options_2 (the StableHLO ops'
option union), for the interpreter's StableHLO tests."""

from __future__ import annotations

import numpy as np
from tflc.backends.tflite import flatbuffer_writer
from tflc.runtime.tflite_model import Model, Operator, OperatorCode, SubGraph, Tensor
from tflc.runtime.tflite_schema import BUILTIN_OPERATOR_CODES


class GraphBuilder:
    """Subgraphs of one model: tensors, constants and operators added one by one."""

    def __init__(self):
        self.buffers: list[bytes] = [b""]
        self.codes: list[OperatorCode] = []
        self.subgraphs: list[SubGraph] = []

    def subgraph(self) -> SubgraphBuilder:
        sg = SubgraphBuilder(self, len(self.subgraphs))
        self.subgraphs.append(SubGraph(f"sg{sg.index}", sg.tensors, [], [], sg.operators))
        return sg

    def opcode(self, name: str) -> int:
        code = BUILTIN_OPERATOR_CODES[name]
        for i, c in enumerate(self.codes):
            if c.builtin_code == code:
                return i
        self.codes.append(OperatorCode(code, None, 1, min(code, 127)))
        return len(self.codes) - 1

    def write(self) -> bytes:
        return flatbuffer_writer.write_model(
            Model(3, "", self.codes, self.subgraphs, self.buffers, [], [])
        )


class SubgraphBuilder:
    def __init__(self, model: GraphBuilder, index: int):
        self.model = model
        self.index = index
        self.tensors: list[Tensor] = []
        self.operators: list[Operator] = []

    def tensor(self, shape, type_="FLOAT32", data=None, name=None) -> int:
        buffer = 0
        if data is not None:
            self.model.buffers.append(np.ascontiguousarray(data).tobytes())
            buffer = len(self.model.buffers) - 1
        self.tensors.append(Tensor(name or f"t{len(self.tensors)}", list(shape), type_, buffer))
        return len(self.tensors) - 1

    def const(self, value, type_) -> int:
        value = np.asarray(value)
        return self.tensor(value.shape, type_, value)

    def op(self, name, inputs, outputs, options2=None, options=None) -> None:
        self.operators.append(
            Operator(
                self.model.opcode(name),
                list(inputs),
                list(outputs),
                builtin_options=options,
                builtin_options_2=options2,
            )
        )

    def io(self, inputs, outputs) -> None:
        sg = self.model.subgraphs[self.index]
        sg.inputs[:] = list(inputs)
        sg.outputs[:] = list(outputs)


def binary_body(model: GraphBuilder, op: str, type_: str = "FLOAT32") -> int:
    """A subgraph (a, b) -> op(a, b) on scalars: the body of reduce, scatter, reduce_window."""
    sg = model.subgraph()
    a, b, out = sg.tensor([], type_), sg.tensor([], type_), sg.tensor([], type_)
    sg.op(op, [a, b], [out])
    sg.io([a, b], [out])
    return sg.index


def reduce_window_model(x_shape, type_: str, function: str, init, window, strides, dilations):
    """One REDUCE_WINDOW (constant window, strides and dilations, options in the second
    union) over an input of `x_shape` and `type_` ("FLOAT32" or "INT32")."""
    shape = [
        (d - ((w - 1) * dl + 1)) // s + 1
        for d, w, s, dl in zip(x_shape, window, strides, dilations, strict=True)
    ]
    model = GraphBuilder()
    main = model.subgraph()
    xi = main.tensor(x_shape, type_)
    init_value = np.array(init, {"FLOAT32": np.float32, "INT32": np.int32}[type_])
    ins = [xi, main.const(init_value, type_)] + [
        main.const(np.array(v, np.int64), "INT64") for v in (window, strides, dilations)
    ]
    out = main.tensor(shape, type_)
    main.op("REDUCE_WINDOW", ins, [out], ("ReduceWindowOptions", {"reduce_function": function}))
    main.io([xi], [out])
    return model.write()
