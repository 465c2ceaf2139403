"""tfl dialect module -> `Model` -> .tflite bytes; the inverse of dialects/tflite_importer.py."""

from __future__ import annotations

import re

import numpy as np
from mlir import ir
from tflc.dialects import tfl
from tflc.dialects.tfl_ops import SUBGRAPH_FIELDS, ops_by_mlir_name
from tflc.dialects.tfl_verifier import describe_location, location_names, verify
from tflc.errors import TflcError
from tflc.runtime.op_versions import OpSignature, builtin_version
from tflc.runtime.tflite_model import (
    DimensionMetadata,
    Model,
    Operator,
    OperatorCode,
    SignatureDef,
    Sparsity,
    SubGraph,
    Tensor,
)
from tflc.runtime.tflite_schema import BUILTIN_OPERATOR_CODES

_CONSTANT_OPS = (
    "tfl.pseudo_const",
    "tfl.pseudo_qconst",
    "tfl.pseudo_sparse_const",
    "tfl.pseudo_raw_const",
)


def _tensor_name(loc: ir.Location, index: int = 0) -> str:
    names = location_names(loc)
    return names[index] if index < len(names) else ""


def _bytes(attr: ir.Attribute) -> bytes:
    """A byte-tensor attribute, or TensorFlow's `#tfl<const_bytes : "0x...">` spelling."""
    try:
        return np.array(ir.DenseElementsAttr(attr)).astype(np.uint8, copy=False).tobytes()
    except ValueError:
        pass
    match = re.fullmatch(r'#tfl<\s*const_bytes\s*:\s*"0x([0-9A-Fa-f]*)"\s*>', str(attr))
    if match is None or len(match.group(1)) % 2:
        raise TflcError(f"expected a byte tensor or #tfl<const_bytes>, got {attr}", "custom_option")
    return bytes.fromhex(match.group(1))


class FlatbufferExporter:
    def __init__(self, module: ir.Module, source: str = "<module>"):
        self.module = module
        self.source = source
        self.buffers: list[bytes] = [b""]
        # Operators point at provisional codes (builtin, custom code, version read from a file
        # or None); `_operator_codes` resolves them once every version is known.
        self.codes: dict[tuple[int, str | None, int | None], int] = {}  # -> highest version
        self.code_index: dict[tuple[int, str | None, int | None], int] = {}
        self.functions = [op for op in module.body.operations if op.operation.name == "func.func"]
        self.function_index = {
            f.attributes["sym_name"].value: i for i, f in enumerate(self.functions)
        }

    def fail(self, what: str, op: ir.Operation | None = None) -> TflcError:
        where = describe_location(op.location) if op is not None else ""
        return TflcError(what, f"{self.source}: {where}" if where else self.source)

    def export(self) -> Model:
        if not self.functions:
            raise self.fail("module has no functions to export")
        subgraphs = [_FunctionExporter(self, f.operation).build() for f in self.functions]
        attrs = self.module.operation.attributes
        metadata = []
        if "tfl.metadata" in attrs:
            for pair in ir.ArrayAttr(attrs["tfl.metadata"]):
                name, data = list(ir.ArrayAttr(pair))
                metadata.append((ir.StringAttr(name).value, self.add_buffer(_bytes(data))))
        metadata_buffers = []
        if "tfl.metadata_buffers" in attrs:
            for data in ir.ArrayAttr(attrs["tfl.metadata_buffers"]):
                metadata_buffers.append(self.add_buffer(_bytes(data)))
        signatures = []
        if "tfl.signature_defs" in attrs:
            for sig in ir.ArrayAttr(attrs["tfl.signature_defs"]):
                signatures.append(self._signature(ir.DictAttr(sig), subgraphs))
        codes = self._operator_codes(subgraphs)
        return Model(
            version=ir.IntegerAttr(attrs["tfl.schema_version"]).value
            if "tfl.schema_version" in attrs
            else 3,
            description=ir.StringAttr(attrs["tfl.description"]).value
            if "tfl.description" in attrs
            else "MLIR Converted.",
            operator_codes=codes,
            subgraphs=subgraphs,
            buffers=self.buffers,
            metadata=metadata,
            signature_defs=signatures,
            source=self.source,
            metadata_buffers=metadata_buffers,
        )

    def _signature(self, sig: ir.DictAttr, subgraphs: list[SubGraph]) -> SignatureDef:
        fn = ir.FlatSymbolRefAttr(sig["function"]).value
        index = self.function_index[fn]
        sg = subgraphs[index]

        def pairs(key, indices):
            out = []
            for pair in ir.ArrayAttr(sig[key]):
                name, pos = list(ir.ArrayAttr(pair))
                out.append((ir.StringAttr(name).value, indices[ir.IntegerAttr(pos).value]))
            return out

        return SignatureDef(
            ir.StringAttr(sig["key"]).value,
            index,
            pairs("inputs", sg.inputs),
            pairs("outputs", sg.outputs),
        )

    def add_buffer(self, data: bytes) -> int:
        self.buffers.append(data)
        return len(self.buffers) - 1

    def opcode_index(self, builtin: int, custom: str | None, version: int, kept: bool) -> int:
        """A provisional code index for an operator at `version` (`kept`: read from a file)."""
        key = (builtin, custom, version if kept else None)
        self.codes[key] = max(version, self.codes.get(key, 0))
        return self.code_index.setdefault(key, len(self.code_index))

    def _operator_codes(self, subgraphs: list[SubGraph]) -> list[OperatorCode]:
        """One code per operator kind and version. A version read from a file is kept as
        written; tflc's own operators share one code at the highest version any of them needs,
        as TensorFlow's converter writes them (its versioning raises a shared code)."""
        final: dict[tuple[int, str | None, int], int] = {}
        provisional_to_final = []
        for provisional in self.code_index:  # in index order
            builtin, custom, _ = provisional
            key = (builtin, custom, self.codes[provisional])
            provisional_to_final.append(final.setdefault(key, len(final)))
        for sg in subgraphs:
            for operator in sg.operators:
                operator.opcode_index = provisional_to_final[operator.opcode_index]
        return [OperatorCode(b, c, v, min(b, 127)) for b, c, v in final]


class _FunctionExporter:
    def __init__(self, parent: FlatbufferExporter, fn: ir.Operation):
        self.parent = parent
        self.fn = fn
        self.tensors: list[Tensor] = []
        self.index: dict[ir.Value, int] = {}
        self.operators: list[Operator] = []

    def new_tensor(self, value: ir.Value, name: str, owner: ir.Operation | None) -> int:
        t = value.type
        if isinstance(t, ir.NoneType):
            return -1
        if not isinstance(t, ir.ShapedType):
            raise self.parent.fail(f"value of type {t} cannot be a TFLite tensor", owner)
        shaped = ir.ShapedType(t)
        elem = shaped.element_type
        try:
            type_name = tfl.tensor_type_name(elem)
        except KeyError:
            raise self.parent.fail(
                f"element type {elem} has no TFLite tensor type", owner
            ) from None
        if shaped.has_rank:
            dims = list(shaped.shape)
            dynamic = [d if not ir.ShapedType.is_dynamic_size(d) else -1 for d in dims]
            shape = [1 if d < 0 else d for d in dynamic]
            signature = dynamic if any(d < 0 for d in dynamic) else None
        else:
            shape, signature = [], None
        tensor = Tensor(
            name=name,
            shape=shape,
            type=type_name,
            buffer=0,
            quantization=tfl.quantization_of(elem),
            shape_signature=signature,
            has_rank=shaped.has_rank,  # as TensorFlow's converter writes it: a scalar is not unranked
        )
        self.tensors.append(tensor)
        self.index[value] = len(self.tensors) - 1
        return len(self.tensors) - 1

    def build(self) -> SubGraph:
        fn = self.fn
        block = fn.regions[0].blocks[0]
        inputs = [self.new_tensor(arg, _tensor_name(arg.location), None) for arg in block.arguments]
        outputs: list[int] = []
        for op in block.operations:
            op = op.operation
            name = op.name
            if name == "func.return":
                outputs = [self.input_index(v, op) for v in op.operands]
            elif name == "tfl.no_value":
                self.index[op.result] = -1
            elif name in _CONSTANT_OPS:
                self.constant(op)
            elif name == "tfl.variable":
                i = self.new_tensor(op.result, _tensor_name(op.location), op)
                self.tensors[i].is_variable = True
            elif name.startswith("tfl."):
                self.operator(op)
            else:
                raise self.parent.fail(
                    f"'{name}' has no TFLite equivalent; lower or legalize it before export", op
                )
        sg_name = "" if "tfl.unnamed" in fn.attributes else fn.attributes["sym_name"].value
        return SubGraph(sg_name, self.tensors, inputs, outputs, self.operators)

    def signature(self, operator: Operator) -> OpSignature:
        """The operator as written, for its version rules."""
        options = operator.builtin_options[1] if operator.builtin_options else {}
        return OpSignature(
            [self.tensors[i] if i >= 0 else None for i in operator.inputs],
            [self.tensors[i] for i in operator.outputs],
            options,
        )

    def input_index(self, value: ir.Value, user: ir.Operation) -> int:
        if value not in self.index:
            raise self.parent.fail(
                "operand defined outside the function (captured values are not supported)", user
            )
        return self.index[value]

    def constant(self, op: ir.Operation) -> None:
        i = self.new_tensor(op.result, _tensor_name(op.location), op)
        value = op.attributes["value"]
        if op.name == "tfl.pseudo_raw_const":
            data = _bytes(value)
        else:
            arr = tfl.dense_array(ir.DenseElementsAttr(value))
            if op.name == "tfl.pseudo_qconst" and arr.dtype == np.int64:
                # An INT64 quantized constant (a 16x8 bias): its quant type stores i32, the
                # widest MLIR allows, and its value keeps the file's int64 integers.
                self.tensors[i].type = "INT64"
            data = np.ascontiguousarray(arr).tobytes()
        if op.name == "tfl.pseudo_sparse_const":
            self.tensors[i].sparsity = _sparsity_of(op)
        self.tensors[i].buffer = self.parent.add_buffer(data)

    def operator(self, op: ir.Operation) -> None:
        attrs = op.attributes
        kept = "tfl.version" in attrs  # read from a .tflite: written back as it was
        version = ir.IntegerAttr(attrs["tfl.version"]).value if kept else 1
        inputs = [self.input_index(v, op) for v in op.operands]
        names = [_tensor_name(op.location, k) for k in range(len(op.results))]
        outputs = [self.new_tensor(r, names[k], op) for k, r in enumerate(op.results)]
        operator = Operator(opcode_index=0, inputs=inputs, outputs=outputs)
        if op.name == "tfl.custom":
            code = ir.StringAttr(attrs["custom_code"]).value
            operator.opcode_index = self.parent.opcode_index(
                BUILTIN_OPERATOR_CODES["CUSTOM"], code, version, kept
            )
            operator.custom_options = _bytes(attrs["custom_option"])
            if "tfl.custom_options_format" in attrs:
                operator.custom_options_format = ir.IntegerAttr(
                    attrs["tfl.custom_options_format"]
                ).value
        else:
            d = ops_by_mlir_name()[op.name]
            if d.options:
                values = {}
                for f in d.attributes:
                    if f.name in attrs:
                        values[f.name] = tfl.option_value(
                            f,
                            attrs[f.name],
                            self.parent.function_index if f.name in SUBGRAPH_FIELDS else None,
                        )
                if d.options_in_second_union:
                    operator.builtin_options_2 = (d.options, values)
                else:
                    operator.builtin_options = (d.options, values)
            if not kept:
                version = builtin_version(d.opcode, self.signature(operator))
            operator.opcode_index = self.parent.opcode_index(d.code, None, version, kept)
        if "tfl.intermediates" in attrs:
            raise self.parent.fail("operators with intermediate tensors are not exported yet", op)
        if "tfl.mutating_variable_inputs" in attrs:
            operator.mutating_variable_inputs = list(
                ir.DenseBoolArrayAttr(attrs["tfl.mutating_variable_inputs"])
            )
        self.operators.append(operator)


def _sparsity_of(op: ir.Operation) -> Sparsity:
    attrs = op.attributes
    dims = []
    for d in ir.ArrayAttr(attrs["dim_metadata"]):
        d = ir.DictAttr(d)

        def vec(key, d=d):
            if f"{key}_type" not in d:
                return None
            return ir.StringAttr(d[f"{key}_type"]).value, list(ir.DenseI32ArrayAttr(d[key]))

        dims.append(
            DimensionMetadata(
                ir.IntegerAttr(d["format"]).value,
                ir.IntegerAttr(d["dense_size"]).value,
                vec("segments"),
                vec("indices"),
            )
        )
    return Sparsity(
        list(ir.DenseI32ArrayAttr(attrs["traversal_order"])),
        list(ir.DenseI32ArrayAttr(attrs["block_map"])),
        dims,
    )


def export_model(module: ir.Module, source: str = "<module>") -> Model:
    with module.context:
        verify(module, source)
        return FlatbufferExporter(module, source).export()


def export_flatbuffer(module: ir.Module, source: str = "<module>") -> bytes:
    """A verified tfl module as .tflite bytes."""
    from tflc.backends.tflite.flatbuffer_writer import write_model

    return write_model(export_model(module, source))
