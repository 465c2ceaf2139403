"""Edits of a corpus model that reproduce the fuzzer's findings (tests/test_fuzz_regressions.py):
each returns, or is, a function that changes a `Model` read by the project's reader in place."""

from __future__ import annotations

from collections.abc import Callable

import corpus
import numpy as np
from tflc.runtime.tflite_model import Model, OperatorCode
from tflc.runtime.tflite_schema import BUILTIN_OPERATOR_CODES


def mediapipe(stem: str):
    return next(p for p in corpus.mediapipe_models() if p.stem == stem)


def set_input(op_index: int, position: int, value: int) -> Callable[[Model], None]:
    def edit(m: Model) -> None:
        m.subgraphs[0].operators[op_index].inputs[position] = value

    return edit


def opcode(op_index: int, name: str, options=None) -> Callable[[Model], None]:
    """Operator `op_index` becomes `name` (a new operator code), with `options` if given."""

    def edit(m: Model) -> None:
        code = BUILTIN_OPERATOR_CODES[name]
        m.operator_codes.append(OperatorCode(code, None, 1, min(code, 127)))
        op = m.subgraphs[0].operators[op_index]
        op.opcode_index = len(m.operator_codes) - 1
        if options is not None:
            op.builtin_options = options

    return edit


def set_option(op_index: int, name: str, value, **more) -> Callable[[Model], None]:
    def edit(m: Model) -> None:
        m.subgraphs[0].operators[op_index].builtin_options[1].update({name: value, **more})

    return edit


def first_op_becomes(old: str, new: str) -> Callable[[Model], None]:
    """The first `old` operator runs the model's own `new` operator code instead."""

    def edit(m: Model) -> None:
        op = next(op for op in m.subgraphs[0].operators if m.operator_name(op) == old)
        op.opcode_index = next(i for i, c in enumerate(m.operator_codes) if c.name == new)

    return edit


def set_type(tensor_index: int, type_name: str) -> Callable[[Model], None]:
    def edit(m: Model) -> None:
        m.subgraphs[0].tensors[tensor_index].type = type_name

    return edit


def all_types(old: str, new: str) -> Callable[[Model], None]:
    """Every `old` tensor typed `new` (its bytes left as they are)."""

    def edit(m: Model) -> None:
        for t in m.subgraphs[0].tensors:
            if t.type == old and not len(m.buffer_data(t)):
                t.type = new

    return edit


def int8_weights_unquantized(m: Model) -> None:
    sg = m.subgraphs[0]
    conv = next(
        op
        for op in sg.operators
        if m.operator_name(op) == "CONV_2D" and sg.tensors[op.inputs[1]].type == "INT8"
    )
    sg.tensors[conv.inputs[1]].quantization = None


def zero_data(tensor_index: int) -> Callable[[Model], None]:
    def edit(m: Model) -> None:
        t = m.subgraphs[0].tensors[tensor_index]
        m.buffers[t.buffer] = bytes(len(m.buffer_data(t)))

    return edit


def set_element(tensor_index: int, position: int, value: int) -> Callable[[Model], None]:
    def edit(m: Model) -> None:
        t = m.subgraphs[0].tensors[tensor_index]
        data = np.frombuffer(m.buffer_data(t), dtype=t.dtype).copy()
        data[position] = value
        m.buffers[t.buffer] = data.tobytes()

    return edit


def unquantize(tensor_index: int) -> Callable[[Model], None]:
    def edit(m: Model) -> None:
        m.subgraphs[0].tensors[tensor_index].quantization = None

    return edit


def drop_options(op_index: int) -> Callable[[Model], None]:
    def edit(m: Model) -> None:
        m.subgraphs[0].operators[op_index].builtin_options = None

    return edit


def odd_paddings(m: Model) -> None:
    sg = m.subgraphs[0]
    pad = next(op for op in sg.operators if m.operator_name(op) == "PAD")
    paddings = sg.tensors[pad.inputs[1]]
    paddings.shape = [7]
    m.buffers[paddings.buffer] = bytes(m.buffers[paddings.buffer])[:28]


def constant_as_graph_input(m: Model) -> None:
    sg = m.subgraphs[0]
    sg.inputs.append(next(i for i, t in enumerate(sg.tensors) if len(m.buffer_data(t))))


def huge_shape(m: Model) -> None:
    m.subgraphs[0].tensors[m.subgraphs[0].inputs[0]].shape = [1, 2**31 - 1, 2**31 - 1, 3]


def name_with_a_line_break(m: Model) -> None:
    t = m.subgraphs[0].tensors[0]
    t.name, t.shape = "line\nbreak\u2028", [-5]


def sparse_index_out_of_range(m: Model) -> None:
    t = next(t for t in m.subgraphs[0].tensors if t.sparsity is not None)
    kind, indices = t.sparsity.dim_metadata[-1].array_indices
    t.sparsity.dim_metadata[-1].array_indices = (kind, [200, *indices[1:]])
