""".tflite flatbuffer -> tfl dialect module.

Each subgraph becomes a `func.func` (subgraph 0 first); tensor names become value locations;
constants become `tfl.pseudo_const` / `tfl.pseudo_qconst` / `tfl.pseudo_sparse_const` next to
their first use; an input index of -1 becomes a `tfl.no_value`. Model-level data (description,
metadata buffers, signature defs) are module attributes, so export reproduces them. The model
comes from `read_model`, whose verifier (runtime/model_validation.py) checked indices, arities,
options and quantization: nothing is checked again here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from mlir import ir
from mlir.dialects import func
from tflc.dialects import tfl
from tflc.dialects.tfl_ops import SUBGRAPH_FIELDS, ops_by_code
from tflc.dialects.tfl_verifier import verify
from tflc.errors import TflcError
from tflc.runtime.op_versions import OpSignature, builtin_version
from tflc.runtime.tflite_model import Model, Operator, SubGraph, Tensor, read_model
from tflc.runtime.tflite_schema import BUILTIN_OPERATOR_CODES

CUSTOM_CODE = BUILTIN_OPERATOR_CODES["CUSTOM"]
# Ops the importer makes for tensors rather than for operators: every other op of a function
# is its subgraph's operator of the same position.
TENSOR_OPS = frozenset(
    {
        "tfl.pseudo_const",
        "tfl.pseudo_qconst",
        "tfl.pseudo_sparse_const",
        "tfl.pseudo_raw_const",
        "tfl.no_value",
        "tfl.variable",
    }
)


def _bytes_attr(data: bytes | memoryview) -> ir.DenseElementsAttr:
    arr = np.frombuffer(data, dtype=np.uint8)
    return ir.DenseElementsAttr.get(arr, type=ir.IntegerType.get_unsigned(8), shape=[arr.size])


def _loc(names: list[str]) -> ir.Location:
    locs = [ir.Location.name(n) for n in names if n]
    if not locs:
        return ir.Location.unknown()
    return locs[0] if len(locs) == 1 else ir.Location.fused(locs)


def _is_quantized(t: Tensor) -> bool:
    return (
        t.quantization is not None and t.quantization.is_quantized and t.type in tfl.QUANT_STORAGE
    )


def function_names(model: Model) -> list[str]:
    names, seen = [], set()
    for i, sg in enumerate(model.subgraphs):
        name = sg.name or ("main" if i == 0 else f"subgraph_{i}")
        while name in seen:
            name += f"_{i}"
        seen.add(name)
        names.append(name)
    return names


class FlatbufferImporter:
    """Builds a tfl module from a parsed `Model`."""

    def __init__(
        self, model: Model, context: ir.Context | None = None, static_shapes: bool = False
    ):
        self.model = model
        self.static_shapes = static_shapes
        self.context = context or tfl.make_context()
        self.functions = function_names(model)

    def fail(self, what: str) -> TflcError:
        return TflcError(what, self.model.source)

    def import_module(self) -> ir.Module:
        with self.context, ir.Location.unknown():
            module = ir.Module.create()
            self._module_attributes(module)
            with ir.InsertionPoint(module.body):
                for i, sg in enumerate(self.model.subgraphs):
                    _SubgraphImporter(self, sg, i).build()
        return module

    def _module_attributes(self, module: ir.Module) -> None:
        m = self.model
        attrs = module.operation.attributes
        attrs["tfl.schema_version"] = ir.IntegerAttr.get(ir.IntegerType.get_signless(32), m.version)
        if m.description:
            attrs["tfl.description"] = ir.StringAttr.get(m.description)
        if m.metadata:
            attrs["tfl.metadata"] = ir.ArrayAttr.get(
                [
                    ir.ArrayAttr.get([ir.StringAttr.get(name), _bytes_attr(m.buffers[b])])
                    for name, b in m.metadata
                ]
            )
        if m.metadata_buffers:
            attrs["tfl.metadata_buffers"] = ir.ArrayAttr.get(
                [_bytes_attr(m.buffers[b]) for b in m.metadata_buffers]
            )
        if m.signature_defs:
            attrs["tfl.signature_defs"] = ir.ArrayAttr.get(
                [self._signature(s) for s in m.signature_defs]
            )

    def _signature(self, s) -> ir.Attribute:
        sg = self.model.subgraphs[s.subgraph_index]

        def positions(pairs, indices, kind):
            out = []
            for name, t in pairs:
                if t not in indices:
                    raise self.fail(
                        f"signature '{s.key}': {kind} '{name}' is tensor {t}, not a subgraph {kind}"
                    )
                out.append(
                    ir.ArrayAttr.get(
                        [
                            ir.StringAttr.get(name),
                            ir.IntegerAttr.get(ir.IntegerType.get_signless(32), indices.index(t)),
                        ]
                    )
                )
            return ir.ArrayAttr.get(out)

        return ir.DictAttr.get(
            {
                "key": ir.StringAttr.get(s.key),
                "function": ir.FlatSymbolRefAttr.get(self.functions[s.subgraph_index]),
                "inputs": positions(s.inputs, sg.inputs, "input"),
                "outputs": positions(s.outputs, sg.outputs, "output"),
            }
        )


class _SubgraphImporter:
    def __init__(self, parent: FlatbufferImporter, sg: SubGraph, index: int):
        self.parent = parent
        self.model = parent.model
        self.sg = sg
        self.index = index
        self.values: dict[int, ir.Value] = {}
        self.no_value: ir.Value | None = None

    def tensor_type(self, index: int) -> ir.Type:
        # read_model validated every tensor's quantization, so building a quant type cannot
        # reach MLIR's assertions (which abort the process).
        t = self.sg.tensors[index]
        try:
            signature = None if self.parent.static_shapes else t.shape_signature
            return tfl.tensor_type(t.shape, t.type, t.quantization, signature)
        except (KeyError, ValueError, ir.MLIRError) as e:
            raise self.parent.fail(
                f"subgraph {self.index} tensor '{t.name}': unsupported type {t.type} ({e})"
            ) from None

    def build(self) -> None:
        sg = self.sg
        arg_types = [self.tensor_type(i) for i in sg.inputs]
        result_types = [self.tensor_type(i) for i in sg.outputs]
        fn = func.FuncOp(
            self.parent.functions[self.index], ir.FunctionType.get(arg_types, result_types)
        )
        if not sg.name:
            fn.attributes["tfl.unnamed"] = ir.UnitAttr.get()
        block = fn.add_entry_block(arg_locs=[_loc([sg.tensors[i].name]) for i in sg.inputs])
        for i, arg in zip(sg.inputs, block.arguments, strict=True):
            self.values[i] = arg
        with ir.InsertionPoint(block):
            for n, op in enumerate(sg.operators):
                self.operator(op, n)
            func.ReturnOp([self.value(i) for i in sg.outputs])

    def value(self, index: int) -> ir.Value:
        if index == -1:
            if self.no_value is None:
                self.no_value = ir.Operation.create(
                    "tfl.no_value",
                    results=[ir.NoneType.get()],
                    attributes={"value": ir.UnitAttr.get()},
                ).result
            return self.no_value
        if index not in self.values:
            self.values[index] = self.constant(index)
        return self.values[index]

    def constant(self, index: int) -> ir.Value:
        t = self.sg.tensors[index]
        loc = _loc([t.name])
        rtype = self.tensor_type(index)
        data = self.model.buffer_data(t)
        if not len(data):
            if t.is_variable:
                return ir.Operation.create("tfl.variable", results=[rtype], loc=loc).result
            raise self.parent.fail(
                f"subgraph {self.index}: tensor '{t.name}' is used before it is produced and holds no data"
            )
        if t.sparsity is not None:
            return self._sparse_constant(t, rtype, data, loc)
        if t.dtype is None or t.type in ("INT4",):
            attrs = {"value": _bytes_attr(data)}
            return ir.Operation.create(
                "tfl.pseudo_raw_const", results=[rtype], attributes=attrs, loc=loc
            ).result
        arr = np.frombuffer(data, dtype=t.dtype)
        shape = ir.ShapedType(rtype).shape
        if arr.size != int(np.prod(shape)):
            raise self.parent.fail(
                f"subgraph {self.index} tensor '{t.name}': buffer holds {arr.size} elements, shape {list(shape)} needs {int(np.prod(shape))}"
            )
        arr = arr.reshape(shape)
        if _is_quantized(t):
            storage = ir.RankedTensorType.get(shape, tfl.element_type(t.type))
            value = ir.DenseElementsAttr.get(
                np.ascontiguousarray(arr), type=storage.element_type, shape=list(shape)
            )
            attrs = {"qtype": ir.TypeAttr.get(rtype), "value": value}
            return ir.Operation.create(
                "tfl.pseudo_qconst", results=[rtype], attributes=attrs, loc=loc
            ).result
        elem = ir.RankedTensorType(rtype).element_type
        if t.type == "BOOL":
            value = ir.DenseElementsAttr.get(np.ascontiguousarray(arr))
        else:
            value = ir.DenseElementsAttr.get(
                np.ascontiguousarray(arr), type=elem, shape=list(shape)
            )
        return ir.Operation.create(
            "tfl.pseudo_const", results=[rtype], attributes={"value": value}, loc=loc
        ).result

    def _sparse_constant(self, t: Tensor, rtype: ir.Type, data, loc) -> ir.Value:
        s = t.sparsity
        i32 = ir.IntegerType.get_signless(32)
        dims = []
        for d in s.dim_metadata:
            entry = {
                "format": ir.IntegerAttr.get(i32, d.format),
                "dense_size": ir.IntegerAttr.get(i32, d.dense_size),
            }
            for key, vec in (("segments", d.array_segments), ("indices", d.array_indices)):
                if vec is not None:
                    entry[f"{key}_type"] = ir.StringAttr.get(vec[0])
                    entry[key] = ir.DenseI32ArrayAttr.get(vec[1])
            dims.append(ir.DictAttr.get(entry))
        storage = tfl.element_type(t.type) if t.dtype is not None else None
        arr = (
            np.frombuffer(data, dtype=t.dtype)
            if t.dtype is not None
            else np.frombuffer(data, np.uint8)
        )
        value = (
            ir.DenseElementsAttr.get(np.ascontiguousarray(arr), type=storage, shape=[arr.size])
            if storage
            else _bytes_attr(data)
        )
        attrs = {
            "value": value,
            "traversal_order": ir.DenseI32ArrayAttr.get(s.traversal_order),
            "block_map": ir.DenseI32ArrayAttr.get(s.block_map),
            "dim_metadata": ir.ArrayAttr.get(dims),
        }
        return ir.Operation.create(
            "tfl.pseudo_sparse_const", results=[rtype], attributes=attrs, loc=loc
        ).result

    def rules_version(self, builtin: int, op: Operator) -> int:
        """The version the exporter would write for `op` (1 for custom ops)."""
        d = ops_by_code().get(builtin) if builtin != CUSTOM_CODE else None
        if d is None:
            return 1
        tensors = self.sg.tensors
        signature = OpSignature(
            [tensors[i] if i >= 0 else None for i in op.inputs],
            [tensors[i] for i in op.outputs],
            op.options,
        )
        return builtin_version(d.opcode, signature)

    def operator(self, op: Operator, n: int) -> None:
        code = self.model.operator_codes[op.opcode_index]
        where = f"subgraph {self.index} operator {n} ({self.model.operator_name(op)})"
        operands = [self.value(i) for i in op.inputs]
        result_types = [self.tensor_type(i) for i in op.outputs]
        attrs: dict[str, ir.Attribute] = {}
        if code.builtin_code == CUSTOM_CODE:
            name = "tfl.custom"
            attrs["custom_code"] = ir.StringAttr.get(code.custom_code or "")
            attrs["custom_option"] = _bytes_attr(op.custom_options or b"")
            if op.custom_options_format:
                attrs["tfl.custom_options_format"] = ir.IntegerAttr.get(
                    ir.IntegerType.get_signless(32), op.custom_options_format
                )
        else:
            d = ops_by_code().get(code.builtin_code)
            if d is None:
                raise self.parent.fail(
                    f"{where}: operator {code.name} is not supported by the tfl dialect"
                )
            name = d.mlir_name
            values = op.options
            for f in d.attributes:
                v = values.get(f.name, f.default)
                attrs[f.name] = tfl.option_attr(
                    f,
                    v if v is not None else ([] if f.kind == "vector" else ""),
                    self.parent.functions if f.name in SUBGRAPH_FIELDS else None,
                )
        if code.version != self.rules_version(code.builtin_code, op):
            # Only a version the rules would not give back is kept, so that export writes the
            # file's version (runtime/op_versions.py).
            attrs["tfl.version"] = ir.IntegerAttr.get(ir.IntegerType.get_signless(32), code.version)
        if op.intermediates:
            attrs["tfl.intermediates"] = ir.ArrayAttr.get(
                [
                    ir.ArrayAttr.get(
                        [
                            ir.StringAttr.get(self.sg.tensors[i].name),
                            ir.TypeAttr.get(self.tensor_type(i)),
                        ]
                    )
                    for i in op.intermediates
                ]
            )
        if op.mutating_variable_inputs:
            attrs["tfl.mutating_variable_inputs"] = ir.DenseBoolArrayAttr.get(
                op.mutating_variable_inputs
            )
        loc = _loc([self.sg.tensors[i].name for i in op.outputs])
        try:
            result = ir.Operation.create(
                name, results=result_types, operands=operands, attributes=attrs, loc=loc
            )
        except ir.MLIRError as e:
            raise self.parent.fail(f"{where}: {e}") from None
        for i, r in zip(op.outputs, result.results, strict=True):
            self.values[i] = r


def import_flatbuffer(
    source: str | Path | bytes, context: ir.Context | None = None, static_shapes: bool = False
) -> ir.Module:
    """Reads a .tflite file (path or bytes) into a verified tfl module."""
    return import_model(read_model(source), context, static_shapes)


def import_model(
    model: Model, context: ir.Context | None = None, static_shapes: bool = False
) -> ir.Module:
    """A model the runtime reader has read (and checked) as a verified tfl module."""
    module = FlatbufferImporter(model, context, static_shapes).import_module()
    with module.context:
        verify(module, model.source)
    return module
