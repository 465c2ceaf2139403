"""Serializes a `Model` (runtime/tflite_model.py) to .tflite flatbuffer bytes."""

from __future__ import annotations

import flatbuffers
import numpy as np
import tflite
from tflc.runtime.tflite_model import Model, Operator, SubGraph, Tensor
from tflc.runtime.tflite_schema import (
    BUILTIN_OPTIONS2_CODES,
    BUILTIN_OPTIONS_CODES,
    TENSOR_TYPE_CODES,
    encode_options,
)

# Opcodes above this live only in the int32 `builtin_code` field (schema v3a).
_PLACEHOLDER_FOR_GREATER_OP_CODES = 127
_SPARSE_VECTOR_CODES = {"Int32Vector": 1, "Uint16Vector": 2, "Uint8Vector": 3}
_SPARSE_DTYPES = {"Int32Vector": np.int32, "Uint16Vector": np.uint16, "Uint8Vector": np.uint8}


def _vector(builder: flatbuffers.Builder, values, dtype) -> int:
    return builder.CreateNumpyVector(np.asarray(values, dtype=dtype))


def _table_vector(builder: flatbuffers.Builder, start_fn, offsets: list[int]) -> int:
    start_fn(builder, len(offsets))
    for off in reversed(offsets):
        builder.PrependUOffsetTRelative(off)
    return builder.EndVector()


def write_model(model: Model) -> bytes:
    b = flatbuffers.Builder(1024 + sum(len(x) for x in model.buffers))
    # Buffers first: the bulk of the file, written once.
    buffer_offsets = []
    for data in model.buffers:
        data_off = None
        if len(data):
            b.StartVector(1, len(data), 16)  # 16-byte alignment, as TensorFlow's writer does
            b.head = b.head - len(data)
            b.Bytes[b.head : b.head + len(data)] = bytes(data)
            data_off = b.EndVector()
        tflite.BufferStart(b)
        if data_off is not None:
            tflite.BufferAddData(b, data_off)
        buffer_offsets.append(tflite.BufferEnd(b))
    buffers = _table_vector(b, tflite.ModelStartBuffersVector, buffer_offsets)

    codes = []
    for c in model.operator_codes:
        custom = b.CreateString(c.custom_code) if c.custom_code is not None else None
        tflite.OperatorCodeStart(b)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(
            b, min(c.builtin_code, _PLACEHOLDER_FOR_GREATER_OP_CODES)
        )
        if custom is not None:
            tflite.OperatorCodeAddCustomCode(b, custom)
        tflite.OperatorCodeAddVersion(b, c.version)
        tflite.OperatorCodeAddBuiltinCode(b, c.builtin_code)
        codes.append(tflite.OperatorCodeEnd(b))
    operator_codes = _table_vector(b, tflite.ModelStartOperatorCodesVector, codes)

    subgraphs = _table_vector(
        b, tflite.ModelStartSubgraphsVector, [_subgraph(b, sg) for sg in model.subgraphs]
    )

    metadata = []
    for name, buf in model.metadata:
        n = b.CreateString(name)
        tflite.MetadataStart(b)
        tflite.MetadataAddName(b, n)
        tflite.MetadataAddBuffer(b, buf)
        metadata.append(tflite.MetadataEnd(b))
    metadata_vec = _table_vector(b, tflite.ModelStartMetadataVector, metadata) if metadata else None

    signatures = [_signature(b, s) for s in model.signature_defs]
    signature_vec = (
        _table_vector(b, tflite.ModelStartSignatureDefsVector, signatures) if signatures else None
    )
    description = b.CreateString(model.description) if model.description else None
    metadata_buffers = (
        _vector(b, model.metadata_buffers, np.int32) if model.metadata_buffers else None
    )

    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, model.version)
    tflite.ModelAddOperatorCodes(b, operator_codes)
    tflite.ModelAddSubgraphs(b, subgraphs)
    if description is not None:
        tflite.ModelAddDescription(b, description)
    tflite.ModelAddBuffers(b, buffers)
    if metadata_buffers is not None:
        tflite.ModelAddMetadataBuffer(b, metadata_buffers)
    if metadata_vec is not None:
        tflite.ModelAddMetadata(b, metadata_vec)
    if signature_vec is not None:
        tflite.ModelAddSignatureDefs(b, signature_vec)
    b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _subgraph(b: flatbuffers.Builder, sg: SubGraph) -> int:
    tensors = _table_vector(
        b, tflite.SubGraphStartTensorsVector, [_tensor(b, t) for t in sg.tensors]
    )
    operators = _table_vector(
        b, tflite.SubGraphStartOperatorsVector, [_operator(b, op) for op in sg.operators]
    )
    inputs = _vector(b, sg.inputs, np.int32)
    outputs = _vector(b, sg.outputs, np.int32)
    name = b.CreateString(sg.name) if sg.name else None
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, tensors)
    tflite.SubGraphAddInputs(b, inputs)
    tflite.SubGraphAddOutputs(b, outputs)
    tflite.SubGraphAddOperators(b, operators)
    if name is not None:
        tflite.SubGraphAddName(b, name)
    return tflite.SubGraphEnd(b)


def _quantization(b: flatbuffers.Builder, q) -> int:
    fields = {}
    for key, dtype in (
        ("min", np.float32),
        ("max", np.float32),
        ("scale", np.float32),
        ("zero_point", np.int64),
    ):
        values = getattr(q, key)
        if values:
            fields[key] = _vector(b, values, dtype)
    tflite.QuantizationParametersStart(b)
    for key, add in (
        ("min", tflite.QuantizationParametersAddMin),
        ("max", tflite.QuantizationParametersAddMax),
        ("scale", tflite.QuantizationParametersAddScale),
        ("zero_point", tflite.QuantizationParametersAddZeroPoint),
    ):
        if key in fields:
            add(b, fields[key])
    tflite.QuantizationParametersAddQuantizedDimension(b, q.quantized_dimension)
    return tflite.QuantizationParametersEnd(b)


def _sparse_index(b: flatbuffers.Builder, vec) -> tuple[int, int]:
    kind, values = vec
    data = _vector(b, values, _SPARSE_DTYPES[kind])
    getattr(tflite, f"{kind}Start")(b)
    getattr(tflite, f"{kind}AddValues")(b, data)
    return _SPARSE_VECTOR_CODES[kind], getattr(tflite, f"{kind}End")(b)


def _sparsity(b: flatbuffers.Builder, s) -> int:
    dims = []
    for d in s.dim_metadata:
        seg = _sparse_index(b, d.array_segments) if d.array_segments else None
        idx = _sparse_index(b, d.array_indices) if d.array_indices else None
        tflite.DimensionMetadataStart(b)
        tflite.DimensionMetadataAddFormat(b, d.format)
        tflite.DimensionMetadataAddDenseSize(b, d.dense_size)
        if seg:
            tflite.DimensionMetadataAddArraySegmentsType(b, seg[0])
            tflite.DimensionMetadataAddArraySegments(b, seg[1])
        if idx:
            tflite.DimensionMetadataAddArrayIndicesType(b, idx[0])
            tflite.DimensionMetadataAddArrayIndices(b, idx[1])
        dims.append(tflite.DimensionMetadataEnd(b))
    traversal = _vector(b, s.traversal_order, np.int32)
    block_map = _vector(b, s.block_map, np.int32)
    dim_vec = _table_vector(b, tflite.SparsityParametersStartDimMetadataVector, dims)
    tflite.SparsityParametersStart(b)
    tflite.SparsityParametersAddTraversalOrder(b, traversal)
    tflite.SparsityParametersAddBlockMap(b, block_map)
    tflite.SparsityParametersAddDimMetadata(b, dim_vec)
    return tflite.SparsityParametersEnd(b)


def _tensor(b: flatbuffers.Builder, t: Tensor) -> int:
    shape = _vector(b, t.shape, np.int32)
    signature = _vector(b, t.shape_signature, np.int32) if t.shape_signature is not None else None
    name = b.CreateString(t.name)
    quant = _quantization(b, t.quantization) if t.quantization is not None else None
    sparsity = _sparsity(b, t.sparsity) if t.sparsity is not None else None
    tflite.TensorStart(b)
    tflite.TensorAddShape(b, shape)
    tflite.TensorAddType(b, TENSOR_TYPE_CODES[t.type])
    tflite.TensorAddBuffer(b, t.buffer)
    tflite.TensorAddName(b, name)
    if quant is not None:
        tflite.TensorAddQuantization(b, quant)
    tflite.TensorAddIsVariable(b, t.is_variable)
    if sparsity is not None:
        tflite.TensorAddSparsity(b, sparsity)
    if signature is not None:
        tflite.TensorAddShapeSignature(b, signature)
    if t.has_rank:
        tflite.TensorAddHasRank(b, True)
    return tflite.TensorEnd(b)


def _operator(b: flatbuffers.Builder, op: Operator) -> int:
    inputs = _vector(b, op.inputs, np.int32)
    outputs = _vector(b, op.outputs, np.int32)
    options = encode_options(b, *op.builtin_options) if op.builtin_options else None
    # StableHLO ops keep their options in a second union
    options_2 = encode_options(b, *op.builtin_options_2) if op.builtin_options_2 else None
    custom = (
        _vector(b, np.frombuffer(op.custom_options, np.uint8), np.uint8)
        if op.custom_options
        else None
    )
    mutating = (
        _vector(b, op.mutating_variable_inputs, np.bool_) if op.mutating_variable_inputs else None
    )
    intermediates = _vector(b, op.intermediates, np.int32) if op.intermediates else None
    tflite.OperatorStart(b)
    tflite.OperatorAddOpcodeIndex(b, op.opcode_index)
    tflite.OperatorAddInputs(b, inputs)
    tflite.OperatorAddOutputs(b, outputs)
    if options is not None:
        tflite.OperatorAddBuiltinOptionsType(b, BUILTIN_OPTIONS_CODES[op.builtin_options[0]])
        tflite.OperatorAddBuiltinOptions(b, options)
    if options_2 is not None:
        tflite.OperatorAddBuiltinOptions2Type(b, BUILTIN_OPTIONS2_CODES[op.builtin_options_2[0]])
        tflite.OperatorAddBuiltinOptions2(b, options_2)
    if custom is not None:
        tflite.OperatorAddCustomOptions(b, custom)
        tflite.OperatorAddCustomOptionsFormat(b, op.custom_options_format)
    if mutating is not None:
        tflite.OperatorAddMutatingVariableInputs(b, mutating)
    if intermediates is not None:
        tflite.OperatorAddIntermediates(b, intermediates)
    return tflite.OperatorEnd(b)


def _signature(b: flatbuffers.Builder, s) -> int:
    def tensor_maps(pairs, start_fn):
        maps = []
        for name, index in pairs:
            n = b.CreateString(name)
            tflite.TensorMapStart(b)
            tflite.TensorMapAddName(b, n)
            tflite.TensorMapAddTensorIndex(b, index)
            maps.append(tflite.TensorMapEnd(b))
        return _table_vector(b, start_fn, maps)

    inputs = tensor_maps(s.inputs, tflite.SignatureDefStartInputsVector)
    outputs = tensor_maps(s.outputs, tflite.SignatureDefStartOutputsVector)
    key = b.CreateString(s.key)
    tflite.SignatureDefStart(b)
    tflite.SignatureDefAddInputs(b, inputs)
    tflite.SignatureDefAddOutputs(b, outputs)
    tflite.SignatureDefAddSignatureKey(b, key)
    tflite.SignatureDefAddSubgraphIndex(b, s.subgraph_index)
    return tflite.SignatureDefEnd(b)
