"""State: resource variables and lookup tables -> TFLite's resource builtins.

As TensorFlow's converter writes them: VAR_HANDLE (by shared name), READ_VARIABLE and
ASSIGN_VARIABLE (an `assign_add` reads, adds and assigns); HASHTABLE (a table id from its shared
name), HASHTABLE_FIND, HASHTABLE_SIZE and HASHTABLE_IMPORT. The importer's initializer function
(dialects/tf_importer_resources.py) becomes a subgraph that every signature runs first through
CALL_ONCE.
"""

from __future__ import annotations

import zlib

from mlir import ir
from tflc.dialects import tfl
from tflc.passes.tf_to_tfl.common import TfOp, Unsupported, element_of, emit, legalizes

_TENSOR_TYPES = {"!tf_type.string": "STRING", "i64": "INT64"}


@legalizes("VarHandleOp")
def _var_handle(op: TfOp):
    return [
        emit(
            "var_handle",
            [],
            op.result_type,
            container=op.attr("container", ""),
            shared_name=op.attr("shared_name", ""),
        )
    ]


@legalizes("ReadVariableOp")
def _read_variable(op: TfOp):
    return [emit("read_variable", op.operands[:1], op.result_type)]


@legalizes("AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp")
def _assign_variable(op: TfOp):
    handle, value = op.operands
    if op.type != "AssignVariableOp":
        current = emit("read_variable", [handle], value.type)
        kind = "add" if op.type == "AssignAddVariableOp" else "sub"
        value = emit(kind, [current, value], value.type, fused_activation_function="NONE")
    tfl.create("assign_variable", [handle, value], [])
    return []


@legalizes("HashTableV2")
def _hashtable(op: TfOp):
    shared_name = op.attr("shared_name", "")
    types = [_table_type(op.attr(a)) for a in ("key_dtype", "value_dtype")]
    if set(types) != {"STRING", "INT64"}:
        raise Unsupported("TFLite's hash tables map string to int64 or int64 to string")
    # TFLite names tables by a 32-bit id; one from the shared name keeps output deterministic.
    table_id = zlib.crc32(shared_name.encode()) & 0x7FFFFFFF
    handle_type = ir.RankedTensorType.get([1], element_of(op.result_type))
    return [
        emit(
            "hashtable",
            [],
            handle_type,
            table_id=table_id,
            key_dtype=types[0],
            value_dtype=types[1],
        )
    ]


@legalizes("LookupTableFindV2")
def _hashtable_find(op: TfOp):
    keys = op.operands[1]
    # Every key gives one value: the keys' shape, which TensorFlow's inference may have lost.
    result = ir.ShapedType(keys.type)
    elem = element_of(op.result_type)
    if result.has_rank:
        rtype = ir.RankedTensorType.get(list(result.shape), elem)
    else:
        rtype = ir.UnrankedTensorType.get(elem)
    return [emit("hashtable_find", op.operands, rtype)]


@legalizes("LookupTableSizeV2")
def _hashtable_size(op: TfOp):
    return [emit("hashtable_size", op.operands, op.result_type)]


@legalizes("LookupTableImportV2")
def _hashtable_import(op: TfOp):
    tfl.create("hashtable_import", op.operands, [])
    return []


def _table_type(attr) -> str:
    name = str(attr.value if isinstance(attr, ir.TypeAttr) else attr)
    return _TENSOR_TYPES.get(name, name)


def call_initializer(module: ir.Operation, initializer_attr: str) -> None:
    """Every signature function runs the importer's initializer first, through CALL_ONCE."""
    attrs = module.attributes
    if initializer_attr not in attrs:
        return
    initializer = attrs[initializer_attr]
    del attrs[initializer_attr]
    signatures = {
        ir.FlatSymbolRefAttr(ir.DictAttr(d)["function"]).value for d in attrs["tfl.signature_defs"]
    }
    for fn in module.regions[0].blocks[0].operations:
        if fn.operation.name != "func.func" or fn.attributes["sym_name"].value not in signatures:
            continue
        block = fn.regions[0].blocks[0]
        with ir.InsertionPoint.at_block_begin(block), ir.Location.unknown():
            tfl.create("call_once", [], [], init_subgraph_index=initializer)
