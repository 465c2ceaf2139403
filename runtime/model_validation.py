"""Checks a model read from a .tflite file before anyone uses it: every index the file holds
against what it points into, each tensor (runtime/tensor_validation.py), each operator against
the op table (runtime/operator_validation.py), the calls between subgraphs, and each operator's
declared output shapes against the ones its inputs and options give (runtime/shape_inference.py).

`read_model` runs it, so the interpreter, the tfl importer, the compilers and the CLIs refuse a
bad file with the same line, and the code behind them trusts the graph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tflc.errors import TflcError, brief
from tflc.runtime.operator_validation import validate_operator, validate_subgraph_calls
from tflc.runtime.tensor_validation import validate_tensor
from tflc.runtime.tflite_schema import BUILTIN_OPERATOR_NAMES

if TYPE_CHECKING:
    from tflc.runtime.tflite_model import Model


def validate_model(model: Model) -> None:
    """Checks every index the file holds against what it points into."""
    src = model.source
    if not model.subgraphs:
        raise TflcError("model has no subgraphs", src)
    for si, sg in enumerate(model.subgraphs):
        n = len(sg.tensors)
        for ti, t in enumerate(sg.tensors):
            if not 0 <= t.buffer < max(len(model.buffers), 1):
                raise TflcError(
                    f"subgraph {si} tensor {ti} '{t.name}': buffer index {t.buffer} out of range (model has {len(model.buffers)} buffers)",
                    src,
                )
            if any(d < -1 for d in t.shape):
                raise TflcError(
                    f"subgraph {si} tensor {ti} '{t.name}': invalid shape {brief(t.shape)}", src
                )
            validate_tensor(model, si, ti)
        for name, idx in (("input", sg.inputs), ("output", sg.outputs)):
            for i in idx:
                if not 0 <= i < n:
                    raise TflcError(
                        f"subgraph {si}: {name} tensor index {i} out of range ({n} tensors)", src
                    )
        for i in sg.inputs:  # a caller's value would overwrite, or be ignored for, the data
            if len(model.buffer_data(sg.tensors[i])):
                raise TflcError(
                    f"subgraph {si}: input tensor {i} '{sg.tensors[i].name}' is a constant "
                    f"(buffer {sg.tensors[i].buffer} holds its data)",
                    src,
                )
        for oi, op in enumerate(sg.operators):
            where = f"subgraph {si} operator {oi}"
            if not 0 <= op.opcode_index < len(model.operator_codes):
                raise TflcError(
                    f"{where}: opcode index {op.opcode_index} out of range ({len(model.operator_codes)} operator codes)",
                    src,
                )
            code = model.operator_codes[op.opcode_index]
            if code.builtin_code not in BUILTIN_OPERATOR_NAMES:
                raise TflcError(f"{where}: unknown builtin opcode {code.builtin_code}", src)
            for i in op.inputs:
                if not -1 <= i < n:
                    raise TflcError(
                        f"{where} ({model.operator_name(op)}): input tensor index {i} out of range ({n} tensors)",
                        src,
                    )
            for i in op.outputs + op.intermediates:
                if not 0 <= i < n:
                    raise TflcError(
                        f"{where} ({model.operator_name(op)}): output tensor index {i} out of range ({n} tensors)",
                        src,
                    )
            validate_operator(model, si, oi)
    validate_subgraph_calls(model)
    # Shapes last: shape functions read tensors and constants the checks above vouched for.
    # (Imported here: the shape functions share the kernels' geometry, whose package imports
    # this module.)
    from tflc.runtime.shape_inference import check_operator_shapes

    for si, sg in enumerate(model.subgraphs):
        for oi, op in enumerate(sg.operators):
            problem = check_operator_shapes(model, si, oi)
            if problem:
                name = model.operator_name(op)
                raise TflcError(f"subgraph {si} operator {oi} ({name}): {problem}", model.source)
    for i, (_, b) in enumerate(model.metadata):
        if not 0 <= b < len(model.buffers):
            raise TflcError(f"metadata {i}: buffer index {b} out of range", src)
    for i, b in enumerate(model.metadata_buffers):
        if not 0 <= b < len(model.buffers):
            raise TflcError(f"metadata_buffer {i}: buffer index {b} out of range", src)
    for s in model.signature_defs:
        if not 0 <= s.subgraph_index < len(model.subgraphs):
            raise TflcError(
                f"signature '{s.key}': subgraph index {s.subgraph_index} out of range", src
            )
