"""An oracle for models LiteRT cannot run whole (custom ops it lacks): the graph evaluated one
operator at a time, each builtin by LiteRT's builtin kernels on a one-op model cut from the
file, each custom op by its float64 reference (tests/mediapipe_references.py), the values
flowing from op to op. Nothing of tflc's reader, interpreter or kernels takes part."""

from __future__ import annotations

import copy
from collections.abc import Callable

import flatbuffers
import mediapipe_references as ref
import numpy as np
from ai_edge_litert import schema_py_generated as schema
from corpus import litert_run
from flatbuffers import flexbuffers

# custom code -> f(options, *inputs) -> outputs (float64 references, as float32 tensors)
CUSTOM_REFERENCES: dict[str, Callable] = {
    "TransformTensorBilinear": lambda o, image, m: [
        ref.warp(image[0], m[0], (o["output_height"], o["output_width"]), pixel_centers=True)
    ],
    "TransformLandmarks": lambda o, points, m: [ref.transform_landmarks(points[0], m[0])[None]],
    "Landmarks2TransformMatrix": lambda o, points: [
        ref.landmarks_to_transform_matrix(points[0], o)[None]
    ],
}


def _constant(model, tensor) -> bool:
    data = model.buffers[tensor.buffer].data
    return data is not None and len(data) > 0


def one_op_model(model, graph, op) -> tuple[bytes, list[int]]:
    """`op` of `graph` alone as a model (its constants inside), and the indices in `graph` of
    the non-constant tensors it takes, in the order the model's inputs are."""
    single = schema.ModelT()
    single.version = 3
    single.operatorCodes = [model.operatorCodes[op.opcodeIndex]]
    single.buffers = [schema.BufferT()]
    tensors, remap = [], {}

    def add(i: int) -> int:
        if i < 0:
            return -1
        if i not in remap:
            t = copy.copy(graph.tensors[i])
            if _constant(model, t):
                single.buffers.append(model.buffers[t.buffer])
                t.buffer = len(single.buffers) - 1
            else:
                t.buffer = 0
            remap[i] = len(tensors)
            tensors.append(t)
        return remap[i]

    one = copy.copy(op)
    one.opcodeIndex = 0
    one.inputs = [add(i) for i in op.inputs]
    one.outputs = [add(i) for i in op.outputs]
    fed = [i for i in dict.fromkeys(op.inputs) if i >= 0 and not _constant(model, graph.tensors[i])]
    sub = schema.SubGraphT()
    sub.tensors, sub.operators = tensors, [one]
    sub.inputs, sub.outputs = [remap[i] for i in fed], list(one.outputs)
    single.subgraphs = [sub]
    builder = flatbuffers.Builder(1024)
    builder.Finish(single.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output()), fed


def run(path, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """The main graph of the .tflite at `path` on `inputs`, op by op (see the module doc)."""
    raw = open(path, "rb").read()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(raw, 0))
    graph = model.subgraphs[0]
    values = dict(zip(graph.inputs, inputs, strict=True))
    for op in graph.operators:
        code = model.operatorCodes[op.opcodeIndex]
        if code.customCode:
            name = code.customCode.decode()
            options = (
                flexbuffers.Loads(bytes(op.customOptions)) if op.customOptions is not None else {}
            )
            args = [values[i] for i in op.inputs]
            outs = [np.asarray(y, np.float32) for y in CUSTOM_REFERENCES[name](options, *args)]
        else:
            single, fed = one_op_model(model, graph, op)
            outs = litert_run(single, [values[i] for i in fed], kernels="builtin")
        values.update(zip(op.outputs, outs, strict=True))
    return [values[i] for i in graph.outputs]
