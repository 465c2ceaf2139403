"""The tfl dialect: types, option attributes and builders derived from the op table.

Ops print in MLIR's generic form, as TensorFlow's own converter prints them:

    %0 = "tfl.conv_2d"(%x, %w, %b) <{dilation_h_factor = 1 : i32, ..., padding = "SAME"}> ...

Control-flow bodies are functions referenced by symbol (`tfl.while` with
`cond_subgraph_index = @cond`): functions map one to one onto the flatbuffer's subgraphs.
"""

from __future__ import annotations

import sys
import types

import numpy as np
from mlir import ir
from mlir.dialects import quant
from tflc.dialects.tfl_ops import SUBGRAPH_FIELDS, OpDef, ops_by_mlir_name
from tflc.runtime.tflite_model import Quantization
from tflc.runtime.tflite_schema import OptionField

# The bindings look up a Python module `mlir.dialects.<namespace>` for every op they wrap and
# cache only successful imports: without a module for the unregistered tf and tfl namespaces
# each `block.operations` step retries (and fails) an import, 25x slower than with this stub.
for _namespace in ("tf", "tfl"):
    sys.modules.setdefault(
        f"mlir.dialects.{_namespace}", types.ModuleType(f"mlir.dialects.{_namespace}")
    )


def make_context() -> ir.Context:
    """A context with every upstream dialect, where tfl and tf ops parse.

    tfl ops are checked by `verify` (dialects/tfl_verifier.py) from the op table rather than by an
    IRDL definition: IRDL binds a constraint variable to the first type it sees, so a variadic
    group must be homogeneous, and `tfl.concatenation`, `tfl.custom`, `tfl.while`... are not.
    """
    context = ir.Context()
    context.allow_unregistered_dialects = True
    return context


# ---- types -------------------------------------------------------------------------------------

_ELEMENT_TYPES = {
    "FLOAT32": "f32",
    "FLOAT16": "f16",
    "FLOAT64": "f64",
    "BFLOAT16": "bf16",
    "INT4": "i4",
    "INT8": "i8",
    "INT16": "i16",
    "INT32": "i32",
    "INT64": "i64",
    "UINT8": "ui8",
    "UINT16": "ui16",
    "UINT32": "ui32",
    "UINT64": "ui64",
    "BOOL": "i1",
    "COMPLEX64": "complex<f32>",
    "COMPLEX128": "complex<f64>",
    "STRING": "!tfl.string",
    "RESOURCE": "!tfl.resource",
    "VARIANT": "!tfl.variant",
}
_TENSOR_TYPE_OF = {v: k for k, v in _ELEMENT_TYPES.items()}
# Storage types of quantized tensors, by TensorType: (MLIR signless width, signed).
# MLIR's quant types store at most 32 bits, so INT64 (16x8 models' biases) is typed with i32
# storage; its constant keeps the file's int64 values in an i64 `value`, which export reads back.
QUANT_STORAGE = {
    "INT4": (4, True),
    "INT8": (8, True),
    "INT16": (16, True),
    "INT32": (32, True),
    "INT64": (32, True),
    "UINT8": (8, False),
}


def element_type(type_name: str, quantization=None) -> ir.Type:
    """The MLIR element type of a TensorType name, quantized when `quantization` has scales."""
    if quantization is not None and quantization.scale and type_name in QUANT_STORAGE:
        width, signed = QUANT_STORAGE[type_name]
        storage = ir.IntegerType.get_signless(width)
        lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
        flags = quant.QuantizedType.FLAG_SIGNED if signed else 0
        zps = list(quantization.zero_point) or [0] * len(quantization.scale)
        f32 = ir.F32Type.get()
        if len(quantization.scale) == 1:
            return quant.UniformQuantizedType.get(
                flags, storage, f32, quantization.scale[0], zps[0], lo, hi
            )
        return quant.UniformQuantizedPerAxisType.get(
            flags,
            storage,
            f32,
            list(quantization.scale),
            zps,
            quantization.quantized_dimension,
            lo,
            hi,
        )
    return ir.Type.parse(_ELEMENT_TYPES[type_name])


def tensor_type(
    shape, type_name: str, quantization=None, shape_signature=None, has_rank=True
) -> ir.Type:
    elem = element_type(type_name, quantization)
    if not has_rank and not shape and shape_signature is None:
        return ir.UnrankedTensorType.get(elem)
    dims = shape_signature if shape_signature is not None else shape
    dyn = ir.ShapedType.get_dynamic_size()
    return ir.RankedTensorType.get([dyn if d < 0 else d for d in dims], elem)


def quantization_of(elem: ir.Type) -> Quantization | None:
    """The flatbuffer quantization parameters of a uniform quant type, else None."""
    if isinstance(elem, quant.UniformQuantizedPerAxisType):
        q = quant.UniformQuantizedPerAxisType(elem)
        return Quantization(
            scale=list(q.scales),
            zero_point=list(q.zero_points),
            quantized_dimension=q.quantized_dimension,
        )
    if isinstance(elem, quant.UniformQuantizedType):
        q = quant.UniformQuantizedType(elem)
        return Quantization(scale=[q.scale], zero_point=[q.zero_point])
    return None


def tensor_type_name(elem: ir.Type) -> str:
    """The TensorType name of an MLIR element type (quantized types by their storage)."""
    if isinstance(elem, quant.QuantizedType):
        q = quant.QuantizedType(elem)
        width = q.storage_type_integral_width
        if not q.is_signed:
            return {8: "UINT8", 16: "UINT16"}[width]
        return {4: "INT4", 8: "INT8", 16: "INT16", 32: "INT32"}[width]
    return _TENSOR_TYPE_OF[str(elem)]


# ---- option attributes ---------------------------------------------------------------------------


def option_attr(f: OptionField, value, subgraph_names: list[str] | None = None) -> ir.Attribute:
    """The MLIR attribute for one options field value."""
    if f.name in SUBGRAPH_FIELDS and subgraph_names is not None:
        return ir.FlatSymbolRefAttr.get(subgraph_names[value])
    if f.enum is not None:
        return ir.StringAttr.get(value if isinstance(value, str) else f.enum.get(value, str(value)))
    if f.kind == "string":
        return ir.StringAttr.get(value or "")
    if f.kind == "vector":
        if f.scalar.startswith("Float"):
            return ir.DenseF32ArrayAttr.get([float(v) for v in value])
        return ir.DenseI32ArrayAttr.get([int(v) for v in value])
    if f.scalar == "Bool":
        return ir.BoolAttr.get(bool(value))
    if f.scalar.startswith("Float"):
        return ir.FloatAttr.get(ir.F32Type.get(), float(value))
    width = 64 if f.scalar in ("Int64", "Uint64") else 32
    return ir.IntegerAttr.get(ir.IntegerType.get_signless(width), int(value))


_SCALAR_ATTRIBUTES = (
    ir.BoolAttr,
    ir.IntegerAttr,
    ir.FloatAttr,
    ir.StringAttr,
    ir.TypeAttr,
    ir.FlatSymbolRefAttr,
)
_ARRAY_ATTRIBUTES = (
    ir.DenseI32ArrayAttr,
    ir.DenseI64ArrayAttr,
    ir.DenseF32ArrayAttr,
    ir.DenseBoolArrayAttr,
)


def attribute_value(attr: ir.Attribute):
    """A Python value for an attribute: bool, int, float, str, type, symbol name or list; other
    attributes (dense elements, dictionaries) are returned as they are."""
    if isinstance(attr, _SCALAR_ATTRIBUTES):
        return attr.value
    if isinstance(attr, ir.ArrayAttr):
        return [attribute_value(a) for a in attr]
    if isinstance(attr, _ARRAY_ATTRIBUTES):
        return list(attr)
    return attr


def builtin_options(op: ir.Operation, d: OpDef) -> dict[str, object]:
    """The op's options as the interpreter's kernels and shape functions read them: snake_case
    names, Python values."""
    names = (a.name if hasattr(a, "name") else a for a in op.attributes)
    return {n: attribute_value(op.attributes[n]) for n in names if n in d.attribute_names}


def option_value(f: OptionField, attr: ir.Attribute, subgraph_index: dict[str, int] | None = None):
    """The flatbuffer value of one options attribute (inverse of `option_attr`)."""
    if isinstance(attr, ir.FlatSymbolRefAttr) and subgraph_index is not None:
        return subgraph_index[attr.value]
    value = attribute_value(attr)
    if isinstance(value, ir.Attribute):
        raise TypeError(f"unsupported attribute for option {f.name}: {attr}")
    return value


def default_options(d: OpDef) -> dict[str, ir.Attribute]:
    return {
        f.name: option_attr(
            f, f.default if f.default is not None else ([] if f.kind == "vector" else "")
        )
        for f in d.attributes
        if f.name not in SUBGRAPH_FIELDS
    }


# ---- builders ------------------------------------------------------------------------------------


def create(
    op_name: str,
    operands: list[ir.Value],
    result_types: list[ir.Type],
    attributes: dict[str, ir.Attribute] | None = None,
    loc: ir.Location | None = None,
    **options,
) -> ir.Operation:
    """Builds a tfl op (`"tfl.add"` or `"add"`); options given by keyword fill in the defaults.

    Only valid inside an `ir.InsertionPoint`.
    """
    name = op_name if op_name.startswith("tfl.") else f"tfl.{op_name}"
    d = ops_by_mlir_name().get(name)
    attrs: dict[str, ir.Attribute] = default_options(d) if d is not None else {}
    if d is not None:
        fields = {f.name: f for f in d.attributes}
        for key, value in options.items():
            attrs[key] = (
                value if isinstance(value, ir.Attribute) else option_attr(fields[key], value)
            )
    attrs.update(attributes or {})
    return ir.Operation.create(
        name, results=result_types, operands=operands, attributes=attrs, loc=loc
    )


def constant(
    value: np.ndarray, loc: ir.Location | None = None, result_type: ir.Type | None = None
) -> ir.Value:
    """A `tfl.pseudo_const` holding `value` (inside an insertion point)."""
    arr = np.ascontiguousarray(value).reshape(np.shape(value))  # ascontiguousarray makes 0-d 1-d
    attr = (
        ir.DenseElementsAttr.get(
            arr,
            type=result_type.element_type if result_type is not None else None,
            shape=list(arr.shape),
        )
        if result_type is not None
        # The explicit shape keeps a 0-d float16 array rank 0 (the bindings make it 1xf16).
        else ir.DenseElementsAttr.get(arr, shape=list(arr.shape))
    )
    return ir.Operation.create(
        "tfl.pseudo_const", results=[attr.type], attributes={"value": attr}, loc=loc
    ).result


def dense_array(attr: ir.DenseElementsAttr) -> np.ndarray:
    """The numpy value of a dense attribute, in its full shape.

    The bindings hand out a splat i1 attribute's one byte as if it were the whole bit-packed
    tensor: past 8 elements the bools are whatever follows in memory. Its first is right."""
    arr = np.array(attr)
    shape = ir.ShapedType(attr.type).shape
    if arr.dtype == np.bool_ and attr.is_splat:
        return np.full(shape, arr.reshape(-1)[0])
    if arr.size == 1 and list(arr.shape) != shape:
        return np.broadcast_to(arr.reshape(-1)[:1].reshape(()), shape)
    return arr


def constant_value(op: ir.Operation) -> np.ndarray | None:
    """The numpy value of a `tfl.pseudo_const` / `tfl.pseudo_qconst` (storage values), else None."""
    if op.name not in ("tfl.pseudo_const", "tfl.pseudo_qconst"):
        return None
    attr = op.attributes["value"]
    if not isinstance(attr, ir.DenseElementsAttr):
        return None
    return dense_array(attr)
