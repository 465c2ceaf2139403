"""A model's content, field by field, independent of how the file numbers tensors and buffers.

Two flatbuffers that hold the same model compare equal here even when their tensor or buffer
indices differ; absent builtin options compare equal to the schema defaults they stand for.
"""

from __future__ import annotations

from typing import Any

from tflc.dialects.tfl_ops import ops_by_code
from tflc.runtime.tflite_model import Model, Tensor, read_model
from tflc.runtime.tflite_schema import options_table


def _tensor(model: Model, t: Tensor) -> tuple:
    q = t.quantization
    quant = (
        (tuple(q.scale), tuple(q.zero_point), q.quantized_dimension if len(q.scale) > 1 else 0)
        if q and q.scale
        else None
    )
    sparsity = None
    if t.sparsity is not None:
        s = t.sparsity
        sparsity = (
            tuple(s.traversal_order),
            tuple(s.block_map),
            tuple(
                (
                    d.format,
                    d.dense_size,
                    d.array_segments and tuple(d.array_segments[1]),
                    d.array_indices and tuple(d.array_indices[1]),
                )
                for d in s.dim_metadata
            ),
        )
    return (
        t.name,
        tuple(t.shape),
        t.type,
        quant,
        tuple(t.shape_signature or ()) if t.shape_signature and -1 in t.shape_signature else None,
        t.is_variable,
        sparsity,
        bytes(model.buffer_data(t)),
    )


def _options(model: Model, op) -> Any:
    code = model.operator_codes[op.opcode_index]
    d = ops_by_code().get(code.builtin_code)
    if d is None or d.options is None:
        return None
    defaults = {
        f.name: f.default if f.kind == "scalar" else ([] if f.kind == "vector" else "")
        for f in options_table(d.options).fields
    }
    defaults.update(op.options)
    return sorted(defaults.items())


def model_fields(source) -> dict[str, Any]:
    model = read_model(source)
    subgraphs = []
    for sg in model.subgraphs:
        tensor = lambda i, sg=sg: None if i == -1 else _tensor(model, sg.tensors[i])  # noqa: E731
        ops = []
        for op in sg.operators:
            code = model.operator_codes[op.opcode_index]
            ops.append(
                {
                    "op": model.operator_name(op),
                    "version": code.version,
                    "options": _options(model, op),
                    "custom_options": op.custom_options,
                    "inputs": [tensor(i) for i in op.inputs],
                    "outputs": [tensor(i) for i in op.outputs],
                }
            )
        subgraphs.append(
            {
                "name": sg.name,
                "inputs": [tensor(i) for i in sg.inputs],
                "outputs": [tensor(i) for i in sg.outputs],
                "operators": ops,
            }
        )
    return {
        "version": model.version,
        "description": model.description,
        "metadata": [(name, bytes(model.buffers[b])) for name, b in model.metadata],
        "signatures": [
            (
                s.key,
                s.subgraph_index,
                [
                    (n, _tensor(model, model.subgraphs[s.subgraph_index].tensors[i]))
                    for n, i in s.inputs
                ],
                [
                    (n, _tensor(model, model.subgraphs[s.subgraph_index].tensors[i]))
                    for n, i in s.outputs
                ],
            )
            for s in model.signature_defs
        ],
        "subgraphs": subgraphs,
    }
