"""What the TFLite schema says, read off the flatc-generated `tflite` package.

The package holds one module per schema table. Rather than restating ~120 option tables by hand,
the fields of each `*Options` table (slot, scalar type, default, vector element type) are derived
from the generated builder functions, which flatc writes in one fixed shape:

    def Conv2DOptionsAddStrideW(builder, strideW):
        builder.PrependInt32Slot(1, strideW, 0)
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from dataclasses import dataclass

import numpy as np
import tflite
from tflite.ActivationFunctionType import ActivationFunctionType
from tflite.BuiltinOperator import BuiltinOperator
from tflite.BuiltinOptions import BuiltinOptions
from tflite.BuiltinOptions2 import BuiltinOptions2
from tflite.CombinerType import CombinerType
from tflite.FullyConnectedOptionsWeightsFormat import FullyConnectedOptionsWeightsFormat
from tflite.LSHProjectionType import LSHProjectionType
from tflite.LSTMKernelType import LSTMKernelType
from tflite.MirrorPadMode import MirrorPadMode
from tflite.Padding import Padding
from tflite.ReduceWindowFunction import ReduceWindowFunction
from tflite.RngAlgorithm import RngAlgorithm
from tflite.StablehloComparisonDirection import StablehloComparisonDirection
from tflite.StablehloComparisonType import StablehloComparisonType
from tflite.TensorType import TensorType


def _enum_names(enum_class: type) -> dict[int, str]:
    return {v: k for k, v in vars(enum_class).items() if not k.startswith("_")}


BUILTIN_OPERATOR_NAMES: dict[int, str] = _enum_names(BuiltinOperator)
BUILTIN_OPERATOR_CODES: dict[str, int] = {v: k for k, v in BUILTIN_OPERATOR_NAMES.items()}
BUILTIN_OPTIONS_NAMES: dict[int, str] = _enum_names(BuiltinOptions)
BUILTIN_OPTIONS_CODES: dict[str, int] = {v: k for k, v in BUILTIN_OPTIONS_NAMES.items()}
# The second options union (StableHLO ops and other late additions): builtin_options_2.
BUILTIN_OPTIONS2_NAMES: dict[int, str] = _enum_names(BuiltinOptions2)
BUILTIN_OPTIONS2_CODES: dict[str, int] = {v: k for k, v in BUILTIN_OPTIONS2_NAMES.items()}
TENSOR_TYPE_NAMES: dict[int, str] = _enum_names(TensorType)
TENSOR_TYPE_CODES: dict[str, int] = {v: k for k, v in TENSOR_TYPE_NAMES.items()}

# Option fields whose integers are schema enums: printed and stored by name ("SAME", "RELU6").
_ENUM_FIELDS: dict[str, type] = {
    "Padding": Padding,
    "FusedActivationFunction": ActivationFunctionType,
    "Activation": ActivationFunctionType,
    "WeightsFormat": FullyConnectedOptionsWeightsFormat,
    "KernelType": LSTMKernelType,
    "Combiner": CombinerType,
    "Mode": MirrorPadMode,
    "Algorithm": RngAlgorithm,
    "InDataType": TensorType,
    "OutDataType": TensorType,
    "OutputType": TensorType,
    "OutType": TensorType,
    "IdxOutType": TensorType,
    "QuantizedBiasType": TensorType,
    "KeyDtype": TensorType,
    "ValueDtype": TensorType,
}
# Option tables whose `Type`/`Mode` fields are enums of their own.
_ENUM_BY_TABLE: dict[tuple[str, str], type] = {
    ("LSHProjectionOptions", "Type"): LSHProjectionType,
    ("StablehloCompareOptions", "ComparisonDirection"): StablehloComparisonDirection,
    ("StablehloCompareOptions", "CompareType"): StablehloComparisonType,
    ("ReduceWindowOptions", "ReduceFunction"): ReduceWindowFunction,
}

# numpy dtype of each flatbuffers scalar kind.
SCALAR_DTYPES: dict[str, np.dtype] = {
    "Bool": np.dtype(np.bool_),
    "Int8": np.dtype(np.int8),
    "Uint8": np.dtype(np.uint8),
    "Int16": np.dtype(np.int16),
    "Uint16": np.dtype(np.uint16),
    "Int32": np.dtype(np.int32),
    "Uint32": np.dtype(np.uint32),
    "Int64": np.dtype(np.int64),
    "Uint64": np.dtype(np.uint64),
    "Float32": np.dtype(np.float32),
    "Float64": np.dtype(np.float64),
}


@dataclass(frozen=True)
class OptionField:
    """One field of a builtin-options table."""

    name: str  # snake_case, the MLIR attribute name
    accessor: str  # CamelCase, the generated reader/builder suffix
    slot: int
    kind: str  # "scalar", "vector" or "string"
    scalar: str  # flatbuffers scalar kind of the value (or of vector elements): "Int32", ...
    default: int | float | bool | None
    enum: dict[int, str] | None  # value -> name when the field is a schema enum


@dataclass(frozen=True)
class OptionsTable:
    name: str  # e.g. "Conv2DOptions"
    code: int  # BuiltinOptions union tag
    num_slots: int
    fields: tuple[OptionField, ...]
    module: object  # the generated module

    def reader(self, table) -> object:
        cls = getattr(self.module, self.name)()
        cls.Init(table.Bytes, table.Pos)
        return cls


def snake_case(camel: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", camel)
    s = re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", s)
    return s.lower()


_ADD_RE = re.compile(
    r"def (\w+)Add(\w+)\(builder, \w+\):\s*\n\s*builder\.Prepend(\w+)Slot\((\d+), .*, ([^,]*)\)$",
    re.MULTILINE,
)
_START_RE = re.compile(r"builder\.StartObject\((\d+)\)")
_FLAGS_RE = re.compile(r"_tab\.Get\(flatbuffers\.number_types\.(\w+)Flags")


def _parse_default(text: str, scalar: str) -> int | float | bool | None:
    text = text.strip()
    if scalar == "UOffsetTRelative":
        return None
    if scalar == "Bool":
        return text in ("True", "1")
    if text in ("inf", "float('inf')", "+inf"):
        return float("inf")
    value = float(text)
    return value if scalar.startswith("Float") else int(value)


@functools.cache
def options_table(name: str) -> OptionsTable:
    """The field layout of the options table `name` (e.g. "Conv2DOptions")."""
    module = importlib.import_module(f"tflite.{name}")
    source = inspect.getsource(module)
    reader_class = getattr(module, name)
    fields = []
    for table, accessor, prepend, slot, default in _ADD_RE.findall(source):
        if table != name:
            continue
        if prepend == "UOffsetTRelative":
            if hasattr(module, f"{name}Start{accessor}Vector"):
                reader_src = inspect.getsource(getattr(reader_class, accessor))
                kind, scalar = "vector", _FLAGS_RE.findall(reader_src)[-1]
            else:
                kind, scalar = "string", "String"
        else:
            kind, scalar = "scalar", prepend
        enum_class = _ENUM_BY_TABLE.get((name, accessor)) or _ENUM_FIELDS.get(accessor)
        fields.append(
            OptionField(
                name=snake_case(accessor),
                accessor=accessor,
                slot=int(slot),
                kind=kind,
                scalar=scalar,
                default=_parse_default(default, prepend),
                enum=_enum_names(enum_class) if enum_class is not None else None,
            )
        )
    num_slots = int(_START_RE.search(source).group(1))
    code = BUILTIN_OPTIONS_CODES.get(name, BUILTIN_OPTIONS2_CODES.get(name, 0))
    return OptionsTable(name, code, num_slots, tuple(fields), module)


def decode_options(
    union_type: int, table, names: dict[int, str] = BUILTIN_OPTIONS_NAMES
) -> tuple[str, dict[str, object]] | None:
    """Reads a builtin-options union member into (table name, {field: value}); `names` is
    BUILTIN_OPTIONS2_NAMES for the second union."""
    if union_type == 0 or table is None or union_type not in names:
        return None
    spec = options_table(names[union_type])
    obj = spec.reader(table)
    values: dict[str, object] = {}
    for f in spec.fields:
        if f.kind == "vector":
            values[f.name] = (
                [x.item() for x in np.atleast_1d(getattr(obj, f.accessor + "AsNumpy")())]
                if getattr(obj, f.accessor + "Length")()
                else []
            )
        elif f.kind == "string":
            raw = getattr(obj, f.accessor)()
            values[f.name] = raw.decode("utf-8") if raw is not None else ""
        else:
            v = getattr(obj, f.accessor)()
            values[f.name] = f.enum.get(v, v) if f.enum else v
    return spec.name, values


def encode_options(builder, name: str, values: dict[str, object]) -> int:
    """Writes an options table from {field: value}; returns its offset."""
    spec = options_table(name)
    offsets: dict[str, int] = {}
    for f in spec.fields:
        v = values.get(f.name)
        if f.kind == "vector" and v is not None:
            arr = np.asarray(v, dtype=SCALAR_DTYPES[f.scalar])
            offsets[f.name] = builder.CreateNumpyVector(arr)
        elif f.kind == "string" and v:
            offsets[f.name] = builder.CreateString(v)
    getattr(spec.module, f"{name}Start")(builder)
    for f in spec.fields:
        add = getattr(spec.module, f"{name}Add{f.accessor}")
        if f.kind in ("vector", "string"):
            if f.name in offsets:
                add(builder, offsets[f.name])
            continue
        v = values.get(f.name, f.default)
        if f.enum and isinstance(v, str):
            v = {n: k for k, n in f.enum.items()}[v]
        add(builder, v)
    return getattr(spec.module, f"{name}End")(builder)


def all_options_tables() -> list[str]:
    return sorted(n for n in BUILTIN_OPTIONS_CODES if n != "NONE")


__all__ = [
    "BUILTIN_OPERATOR_CODES",
    "BUILTIN_OPERATOR_NAMES",
    "BUILTIN_OPTIONS_CODES",
    "BUILTIN_OPTIONS_NAMES",
    "BUILTIN_OPTIONS2_CODES",
    "BUILTIN_OPTIONS2_NAMES",
    "TENSOR_TYPE_CODES",
    "TENSOR_TYPE_NAMES",
    "OptionField",
    "OptionsTable",
    "all_options_tables",
    "decode_options",
    "encode_options",
    "options_table",
    "snake_case",
    "tflite",
]
