"""A .tflite flatbuffer as plain Python objects, read with bounds checks.

Both the interpreter and the tfl importer read models through here, so a bad file fails the same
way everywhere: a `TflcError` naming the file and the field, never a traceback or a hang.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tflite
from tflc.errors import TflcError
from tflc.runtime.model_validation import validate_model
from tflc.runtime.tflite_schema import (
    BUILTIN_OPERATOR_NAMES,
    BUILTIN_OPTIONS2_NAMES,
    TENSOR_TYPE_NAMES,
    decode_options,
)

FILE_IDENTIFIER = b"TFL3"

# numpy dtype of each TensorType name; INT4 is stored packed, two values a byte.
TENSOR_DTYPES: dict[str, np.dtype] = {
    "FLOAT32": np.dtype(np.float32),
    "FLOAT16": np.dtype(np.float16),
    "FLOAT64": np.dtype(np.float64),
    "INT8": np.dtype(np.int8),
    "UINT8": np.dtype(np.uint8),
    "INT16": np.dtype(np.int16),
    "UINT16": np.dtype(np.uint16),
    "INT32": np.dtype(np.int32),
    "UINT32": np.dtype(np.uint32),
    "INT64": np.dtype(np.int64),
    "UINT64": np.dtype(np.uint64),
    "BOOL": np.dtype(np.bool_),
    "COMPLEX64": np.dtype(np.complex64),
    "COMPLEX128": np.dtype(np.complex128),
}


def decode_strings(data: bytes) -> np.ndarray:
    """A STRING tensor's buffer (int32 count, count + 1 int32 offsets, then the bytes) as a
    1-D object array of bytes."""
    if len(data) < 4:
        raise ValueError("string buffer shorter than its count")
    count = int(np.frombuffer(data, np.int32, 1)[0])
    if count < 0 or 4 * (count + 2) > len(data):
        raise ValueError(f"string buffer of {len(data)} bytes cannot hold {count} strings")
    offsets = np.frombuffer(data, np.int32, count + 1, 4)
    if np.any(np.diff(offsets) < 0) or offsets[0] < 4 * (count + 2) or offsets[-1] > len(data):
        raise ValueError("string buffer offsets run outside the buffer")
    out = np.empty(count, dtype=object)
    for i in range(count):
        out[i] = bytes(data[offsets[i] : offsets[i + 1]])
    return out


def encode_strings(values) -> bytes:
    """The STRING buffer holding `values` (bytes or str, in row-major order)."""
    items = [v.encode() if isinstance(v, str) else bytes(v) for v in np.asarray(values).ravel()]
    header = 4 * (len(items) + 2)
    offsets = np.cumsum([header] + [len(v) for v in items]).astype(np.int32)
    return np.int32(len(items)).tobytes() + offsets.tobytes() + b"".join(items)


@dataclass
class Quantization:
    scale: list[float] = field(default_factory=list)
    zero_point: list[int] = field(default_factory=list)
    min: list[float] = field(default_factory=list)
    max: list[float] = field(default_factory=list)
    quantized_dimension: int = 0

    @property
    def is_quantized(self) -> bool:
        return bool(self.scale)


@dataclass
class DimensionMetadata:
    format: int  # 0 DENSE, 1 SPARSE_CSR
    dense_size: int
    array_segments: tuple[str, list[int]] | None  # (vector kind, values)
    array_indices: tuple[str, list[int]] | None


@dataclass
class Sparsity:
    traversal_order: list[int]
    block_map: list[int]
    dim_metadata: list[DimensionMetadata]


@dataclass
class Tensor:
    name: str
    shape: list[int]
    type: str  # TensorType name: "FLOAT32", "INT8", ...
    buffer: int
    quantization: Quantization | None = None
    is_variable: bool = False
    sparsity: Sparsity | None = None
    shape_signature: list[int] | None = None
    has_rank: bool = False

    @property
    def dtype(self) -> np.dtype | None:
        return TENSOR_DTYPES.get(self.type)


@dataclass
class OperatorCode:
    builtin_code: int
    custom_code: str | None
    version: int
    deprecated_builtin_code: int

    @property
    def name(self) -> str:
        """The builtin operator name ("CONV_2D"), or "CUSTOM"."""
        return BUILTIN_OPERATOR_NAMES.get(self.builtin_code, f"UNKNOWN_{self.builtin_code}")


@dataclass
class Operator:
    opcode_index: int
    inputs: list[int]
    outputs: list[int]
    builtin_options: tuple[str, dict[str, object]] | None = None  # (table name, fields)
    custom_options: bytes | None = None
    custom_options_format: int = 0
    mutating_variable_inputs: list[bool] = field(default_factory=list)
    intermediates: list[int] = field(default_factory=list)
    builtin_options_2: tuple[str, dict[str, object]] | None = None  # StableHLO ops' options

    @property
    def options(self) -> dict[str, object]:
        if self.builtin_options:
            return self.builtin_options[1]
        return self.builtin_options_2[1] if self.builtin_options_2 else {}


@dataclass
class SubGraph:
    name: str
    tensors: list[Tensor]
    inputs: list[int]
    outputs: list[int]
    operators: list[Operator]


@dataclass
class SignatureDef:
    key: str
    subgraph_index: int
    inputs: list[tuple[str, int]]  # (name, tensor index)
    outputs: list[tuple[str, int]]


@dataclass
class Model:
    version: int
    description: str
    operator_codes: list[OperatorCode]
    subgraphs: list[SubGraph]
    buffers: list[bytes | memoryview]
    metadata: list[tuple[str, int]]  # (name, buffer index)
    signature_defs: list[SignatureDef]
    source: str = "<model>"
    # Buffer indices of the deprecated `metadata_buffer` vector (mediapipe keeps its own
    # metadata flatbuffers there).
    metadata_buffers: list[int] = field(default_factory=list)

    def buffer_data(self, tensor: Tensor) -> memoryview | bytes:
        return self.buffers[tensor.buffer] if 0 < tensor.buffer < len(self.buffers) else b""

    def constant(self, tensor: Tensor) -> np.ndarray | None:
        """A constant tensor's value, or None for tensors without data. STRING constants are
        object arrays of bytes."""
        data = self.buffer_data(tensor)
        if len(data) and tensor.type == "STRING":
            try:
                strings = decode_strings(bytes(data))
            except ValueError as e:
                raise TflcError(f"tensor '{tensor.name}': {e}", self.source) from e
            shape = tensor.shape if int(np.prod(tensor.shape)) == len(strings) else [len(strings)]
            return strings.reshape(shape)
        if not len(data) or tensor.dtype is None:
            return None
        arr = np.frombuffer(data, dtype=tensor.dtype)
        if tensor.sparsity is None and arr.size == int(np.prod(tensor.shape)):
            return arr.reshape(tensor.shape)
        return arr

    def operator_name(self, op: Operator) -> str:
        code = self.operator_codes[op.opcode_index]
        return code.custom_code if code.name == "CUSTOM" and code.custom_code else code.name


# What would break an error line: C0 and C1 controls and Unicode's line separators.
_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class _Reader:
    """Reads one flatbuffer; every index and length is checked against the file."""

    def __init__(self, data: bytes | bytearray | memoryview, source: str):
        self.data = data
        self.size = len(data)
        self.source = source

    def fail(self, what: str) -> TflcError:
        return TflcError(what, self.source)

    def length(self, obj, name: str, where: str) -> int:
        n = getattr(obj, name + "Length")()
        # Every element takes at least one byte (tables and offsets four): a longer vector is corrupt.
        if n < 0 or n > self.size:
            raise self.fail(f"{where}: vector length {n} is larger than the file")
        return n

    def ints(self, obj, name: str, where: str) -> list[int]:
        if not self.length(obj, name, where):
            return []
        return getattr(obj, name + "AsNumpy")().tolist()

    def floats(self, obj, name: str, where: str) -> list[float]:
        if not self.length(obj, name, where):
            return []
        return getattr(obj, name + "AsNumpy")().astype(np.float64).tolist()

    def string(self, raw: bytes | None) -> str:
        return raw.decode("utf-8", errors="replace") if raw else ""

    def name(self, raw: bytes | None) -> str:
        """A name (tensor, subgraph, signature, custom op): control characters escaped, so that
        an error naming it stays one line."""
        return _CONTROL_CHARACTERS.sub(lambda m: ascii(m[0])[1:-1], self.string(raw))


def read_model(source: str | Path | bytes | bytearray | memoryview) -> Model:
    """Parses a .tflite flatbuffer (a path or its bytes) into a `Model`."""
    if isinstance(source, str | Path):
        path = str(source)
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise TflcError(f"cannot read file: {e.strerror}", path) from None
    else:
        path, data = "<bytes>", bytes(source)
    if len(data) < 8:
        raise TflcError("not a TFLite flatbuffer: file is too short", path)
    if data[4:8] != FILE_IDENTIFIER:
        raise TflcError("not a TFLite flatbuffer: missing the 'TFL3' identifier", path)
    reader = _Reader(data, path)
    try:
        model = _read_model(reader)
    except TflcError:
        raise
    except Exception as e:  # the generated readers raise on truncated or corrupt offsets
        raise TflcError(f"corrupt flatbuffer ({type(e).__name__}: {e})", path) from None
    validate_model(model)
    return model


def _read_model(r: _Reader) -> Model:
    m = tflite.Model.GetRootAs(r.data, 0)
    codes = []
    for i in range(r.length(m, "OperatorCodes", "operator_codes")):
        c = m.OperatorCodes(i)
        # Older files store the opcode in the deprecated int8 field only.
        builtin = max(c.BuiltinCode(), c.DeprecatedBuiltinCode())
        custom = c.CustomCode()
        codes.append(
            OperatorCode(
                builtin, r.name(custom) if custom else None, c.Version(), c.DeprecatedBuiltinCode()
            )
        )
    buffers: list[bytes | memoryview] = []
    view = memoryview(r.data)
    for i in range(r.length(m, "Buffers", "buffers")):
        b = m.Buffers(i)
        offset, size = b.Offset(), b.Size()
        if offset > 1:  # data stored after the flatbuffer (models over 2 GB)
            if offset + size > r.size:
                raise r.fail(f"buffer {i}: data at offset {offset} runs past the end of the file")
            buffers.append(view[offset : offset + size])
        elif r.length(b, "Data", f"buffer {i}"):
            start = b._tab.Vector(b._tab.Offset(4))
            n = b.DataLength()
            if start + n > r.size:
                raise r.fail(f"buffer {i}: data runs past the end of the file")
            buffers.append(view[start : start + n])
        else:
            buffers.append(b"")
    subgraphs = [
        _read_subgraph(r, m.Subgraphs(i), i) for i in range(r.length(m, "Subgraphs", "subgraphs"))
    ]
    metadata = []
    for i in range(r.length(m, "Metadata", "metadata")):
        md = m.Metadata(i)
        metadata.append((r.name(md.Name()), md.Buffer()))
    signatures = []
    for i in range(r.length(m, "SignatureDefs", "signature_defs")):
        s = m.SignatureDefs(i)
        ins = [
            (r.name(s.Inputs(j).Name()), s.Inputs(j).TensorIndex())
            for j in range(r.length(s, "Inputs", "signature inputs"))
        ]
        outs = [
            (r.name(s.Outputs(j).Name()), s.Outputs(j).TensorIndex())
            for j in range(r.length(s, "Outputs", "signature outputs"))
        ]
        signatures.append(SignatureDef(r.name(s.SignatureKey()), s.SubgraphIndex(), ins, outs))
    return Model(
        version=m.Version(),
        description=r.string(m.Description()),
        operator_codes=codes,
        subgraphs=subgraphs,
        buffers=buffers,
        metadata=metadata,
        signature_defs=signatures,
        source=r.source,
        metadata_buffers=r.ints(m, "MetadataBuffer", "metadata_buffer"),
    )


def _read_subgraph(r: _Reader, sg, index: int) -> SubGraph:
    where = f"subgraph {index}"
    tensors = [
        _read_tensor(r, sg.Tensors(i), f"{where} tensor {i}")
        for i in range(r.length(sg, "Tensors", where))
    ]
    operators = []
    for i in range(r.length(sg, "Operators", where)):
        op = sg.Operators(i)
        w = f"{where} operator {i}"
        custom = None
        if r.length(op, "CustomOptions", w):
            custom = op.CustomOptionsAsNumpy().tobytes()
        elif op.LargeCustomOptionsSize():
            start, size = op.LargeCustomOptionsOffset(), op.LargeCustomOptionsSize()
            if start + size > r.size:
                raise r.fail(f"{w}: custom options run past the end of the file")
            custom = bytes(r.data[start : start + size])
        options = decode_options(op.BuiltinOptionsType(), op.BuiltinOptions())
        operators.append(
            Operator(
                opcode_index=op.OpcodeIndex(),
                inputs=r.ints(op, "Inputs", w),
                outputs=r.ints(op, "Outputs", w),
                builtin_options=options,
                custom_options=custom,
                custom_options_format=op.CustomOptionsFormat(),
                mutating_variable_inputs=[bool(x) for x in r.ints(op, "MutatingVariableInputs", w)],
                intermediates=r.ints(op, "Intermediates", w),
                builtin_options_2=decode_options(
                    op.BuiltinOptions2Type(), op.BuiltinOptions2(), BUILTIN_OPTIONS2_NAMES
                ),
            )
        )
    return SubGraph(
        r.name(sg.Name()),
        tensors,
        r.ints(sg, "Inputs", where),
        r.ints(sg, "Outputs", where),
        operators,
    )


def _read_tensor(r: _Reader, t, where: str) -> Tensor:
    q = t.Quantization()
    quant = None
    if q is not None:
        quant = Quantization(
            scale=r.floats(q, "Scale", where),
            zero_point=r.ints(q, "ZeroPoint", where),
            min=r.floats(q, "Min", where),
            max=r.floats(q, "Max", where),
            quantized_dimension=q.QuantizedDimension(),
        )
    sparsity = None
    s = t.Sparsity()
    if s is not None:
        dims = []
        for i in range(r.length(s, "DimMetadata", where)):
            d = s.DimMetadata(i)
            dims.append(
                DimensionMetadata(
                    d.Format(),
                    d.DenseSize(),
                    _sparse_index_vector(r, d.ArraySegmentsType(), d.ArraySegments()),
                    _sparse_index_vector(r, d.ArrayIndicesType(), d.ArrayIndices()),
                )
            )
        sparsity = Sparsity(r.ints(s, "TraversalOrder", where), r.ints(s, "BlockMap", where), dims)
    type_code = t.Type()
    if type_code not in TENSOR_TYPE_NAMES:
        raise r.fail(f"{where}: unknown tensor type {type_code}")
    return Tensor(
        name=r.name(t.Name()),
        shape=r.ints(t, "Shape", where),
        type=TENSOR_TYPE_NAMES[type_code],
        buffer=t.Buffer(),
        quantization=quant,
        is_variable=t.IsVariable(),
        sparsity=sparsity,
        shape_signature=r.ints(t, "ShapeSignature", where) if t.ShapeSignatureLength() else None,
        has_rank=t.HasRank(),
    )


_SPARSE_VECTORS = {1: "Int32Vector", 2: "Uint16Vector", 3: "Uint8Vector"}


def _sparse_index_vector(r: _Reader, kind: int, table) -> tuple[str, list[int]] | None:
    if kind == 0 or table is None:
        return None
    name = _SPARSE_VECTORS.get(kind)
    if name is None:
        raise r.fail(f"unknown sparse index vector type {kind}")
    cls = getattr(tflite, name)()
    cls.Init(table.Bytes, table.Pos)
    return name, r.ints(cls, "Values", "sparsity")
