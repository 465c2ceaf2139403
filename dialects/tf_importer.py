"""Frozen TensorFlow graphs -> a `tf` dialect module.

Each node becomes one generic op `"tf.<OpType>"` with its NodeDef attributes (private `_*`
attributes dropped), and result types from TensorFlow's shape inference. Functions of the graph
library referenced by If / While become `func.func`s referenced by symbol; PartitionedCall and
StatefulPartitionedCall are inlined. An op's location is `loc("<node name>"("file.py":line:0))`:
the node name, and the user's Python line that created it when TensorFlow recorded one.
"""

from __future__ import annotations

import functools
import re
import sysconfig
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np
from mlir import ir
from mlir.dialects import func
from tflc.dialects import tf as tf_dialect
from tflc.dialects.tf_importer_asserts import assert_only_ops
from tflc.dialects.tf_importer_resources import (
    INITIALIZER_ATTR,
    CapturedResource,
    initialize,
    kept_variable_type,
    resource_handle,
)
from tflc.dialects.tf_importer_sources import FrozenSignature, frozen_signatures
from tflc.errors import TflcError
from tflc.runtime.tflite_model import encode_strings

_INLINED_CALLS = ("PartitionedCall", "StatefulPartitionedCall")
_DROPPED_OPS = ("NoOp",)
# Graph ops that hold function graphs (while_v2 / cond_v2 keep them on the op).
_NESTED_GRAPH_ATTRS = ("_body_graph", "_cond_graph", "_true_graph", "_false_graph")


def import_tf_model(
    obj: Any,
    signature: str | None = None,
    context: ir.Context | None = None,
    batch_size: int | None = None,
    legalized_ops: Collection[str] = (),
) -> ir.Module:
    """A `tf` dialect module with one public function per signature of `obj`.

    `legalized_ops`: the op types the caller's legalization handles (the converter passes
    `passes/legalize_tf.py`'s `supported_tf_ops()`); every other op keeps its serialized
    NodeDef (`tf_dialect.NODE_DEF_ATTR`) for --allow-select-tf-ops. Given by the caller so
    that the dialect does not depend on the passes."""
    signatures = frozen_signatures(obj, signature, batch_size)
    context = context or tf_dialect.make_context()
    with context, ir.Location.unknown():
        module = ir.Module.create()
        importer = _ModuleImporter(module, legalized_ops)
        for sig in signatures:
            # One signature is TensorFlow's "main" subgraph; several are named by their keys.
            importer.import_signature(sig, "main" if len(signatures) == 1 else sig.name)
        importer.set_signature_defs(signatures)
        importer.build_initializer()
    return module


class _ModuleImporter:
    def __init__(self, module: ir.Module, legalized_ops: Collection[str]):
        self.module = module
        self.functions: dict[str, str] = {}  # library name -> symbol
        self.library: dict[str, Any] = {}  # FunctionDef by name
        self.sources: dict[str, tuple[str, int]] = {}
        self.signature_symbols: list[str] = []
        self.supported = frozenset(legalized_ops)
        self.resources: dict[str, CapturedResource] = {}  # by shared name

    def import_signature(self, sig: FrozenSignature, symbol: str) -> None:
        graph = sig.graph
        for fdef in sig.library.function:
            self.library.setdefault(fdef.signature.name, fdef)
        _collect_sources(sig.original_graph, self.sources, set())
        inputs = list(sig.inputs)
        arg_types = [tensor_type(t) for t in inputs]
        arg_locs = [ir.Location.name(n) for n in sig.input_names]
        symbol = self._unique_symbol(symbol)
        self.signature_symbols.append(symbol)
        outputs = list(sig.outputs)
        for resource, _ in sig.resources:
            self.resources.setdefault(resource.shared_name, resource)
        self._build_function(
            symbol,
            graph,
            inputs,
            outputs,
            arg_types,
            arg_locs,
            sig.output_names,
            public=True,
            resources=sig.resources,
        )

    def set_signature_defs(self, signatures: list[FrozenSignature]) -> None:
        defs = []
        for sig, symbol in zip(signatures, self.signature_symbols, strict=True):

            def pairs(names):
                # Sorted by name, as TensorFlow's converter writes a SignatureDef's entries.
                ordered = sorted((n, i) for i, n in enumerate(names))
                return ir.ArrayAttr.get(
                    [ir.ArrayAttr.get([ir.StringAttr.get(n), _i32(i)]) for n, i in ordered]
                )

            defs.append(
                ir.DictAttr.get(
                    {
                        "key": ir.StringAttr.get(sig.name),
                        "function": ir.FlatSymbolRefAttr.get(symbol),
                        "inputs": pairs(sig.input_names),
                        "outputs": pairs(sig.output_names),
                    }
                )
            )
        self.module.operation.attributes["tfl.signature_defs"] = ir.ArrayAttr.get(defs)

    def build_initializer(self) -> None:
        """The function that gives the kept state its values, run once before any signature
        (named by the module attribute `INITIALIZER_ATTR`; legalization adds the call)."""
        if not self.resources:
            return
        symbol = self._unique_symbol("NoOp")  # TensorFlow's converter's name for it
        with ir.InsertionPoint(self.module.body):
            fn = func.FuncOp(symbol, ir.FunctionType.get([], []))
            fn.attributes["sym_visibility"] = ir.StringAttr.get("private")
            block = fn.add_entry_block()
        with ir.InsertionPoint(block):
            for resource in self.resources.values():
                initialize(resource)
            func.ReturnOp([])
        self.module.operation.attributes[INITIALIZER_ATTR] = ir.FlatSymbolRefAttr.get(symbol)

    def _unique_symbol(self, name: str) -> str:
        taken = {
            op.attributes["sym_name"].value
            for op in self.module.body.operations
            if "sym_name" in op.attributes
        }
        symbol, k = name, 0
        while symbol in taken:
            k += 1
            symbol = f"{name}_{k}"
        return symbol

    def _build_function(
        self,
        symbol,
        graph,
        inputs,
        outputs,
        arg_types,
        arg_locs,
        output_names,
        public=False,
        resources=(),
    ) -> None:
        with ir.InsertionPoint(self.module.body):
            fn = func.FuncOp(symbol, ir.FunctionType.get(arg_types, []))
            if not public:
                fn.attributes["sym_visibility"] = ir.StringAttr.get("private")
            block = fn.add_entry_block(arg_locs=arg_locs)
        values = {t.name: arg for t, arg in zip(inputs, block.arguments, strict=True)}
        with ir.InsertionPoint(block):
            for resource, placeholder in resources:
                values[placeholder.name] = resource_handle(resource)
            self._emit_graph(graph, values, outputs)
            results = [self._value(values, t, graph) for t in outputs]
            locs = [ir.Location.name(n) for n in output_names]
            func.ReturnOp(results, loc=ir.Location.fused(locs) if locs else None)
        fn.attributes["function_type"] = ir.TypeAttr.get(
            ir.FunctionType.get(arg_types, [r.type for r in results])
        )

    def _value(self, values: dict, tensor: Any, graph: Any) -> ir.Value:
        if tensor.name not in values:
            raise TflcError(f"tensor '{tensor.name}' is used before it is defined", "graph")
        return values[tensor.name]

    def _emit_graph(self, graph: Any, values: dict[str, ir.Value], outputs=None) -> None:
        """Emits every op of `graph` at the insertion point; `values` maps tensor names to values."""
        order = _topological(graph)
        kept = graph.outputs if outputs is None else outputs
        asserts = assert_only_ops(order, kept, self.library)
        for op in order:
            if op.type in _DROPPED_OPS or (op.type == "Placeholder" and op.outputs[0] is None):
                continue
            if id(op) in asserts:
                continue
            if op.type == "Placeholder":
                if op.outputs[0].name not in values:
                    raise TflcError(
                        "graph input without a value (an unfed placeholder)", _where(op)
                    )
                continue
            operands = [self._value(values, t, graph) for t in op.inputs]
            try:
                if op.type in _INLINED_CALLS:
                    results = self._inline_call(op, operands)
                else:
                    results = self._emit_op(op, operands)
            except TflcError as e:
                raise e.at(_where(op)) from None
            for t, v in zip(op.outputs, results, strict=True):
                values[t.name] = v

    def _emit_op(self, op: Any, operands: list[ir.Value]) -> list[ir.Value]:
        attrs = {}
        # Sorted: a protobuf map iterates in hash order, and attributes naming functions (While's
        # cond and body) create those functions in the order they are met.
        for key, value in sorted(op.node_def.attr.items()):
            if key.startswith("_"):
                continue
            attrs[key] = self._attribute(value, op, operands)
        if op.type not in self.supported:
            # Kept for --allow-select-tf-ops, which hands the NodeDef to the Flex delegate.
            attrs[tf_dialect.NODE_DEF_ATTR] = tf_dialect.node_def_attr(
                op.node_def.SerializeToString()
            )
        loc = self.location(op)
        created = ir.Operation.create(
            f"tf.{op.type}",
            results=[kept_variable_type(op.type, operands) or tensor_type(t) for t in op.outputs],
            operands=operands,
            attributes=attrs,
            loc=loc,
        )
        return list(created.results)

    def location(self, op: Any) -> ir.Location:
        found = self.sources.get(op.name)
        if found is None:
            return ir.Location.name(op.name)
        return ir.Location.name(op.name, childLoc=ir.Location.file(found[0], found[1], 0))

    def _inline_call(self, op: Any, operands: list[ir.Value]) -> list[ir.Value]:
        name = op.get_attr("f").name
        graph = self._function_graph(name, [v.type for v in operands], op)
        values = {t.name: v for t, v in zip(graph.inputs, operands, strict=True)}
        self._emit_graph(graph, values)
        return [self._value(values, t, graph) for t in graph.outputs]

    def _function_graph(self, name: str, arg_types: list[ir.Type], op: Any) -> Any:
        from tensorflow.python.framework.function_def_to_graph import function_def_to_graph

        fdef = self.library.get(name)
        if fdef is None:
            raise TflcError(f"function '{name}' is not in the graph library", _where(op))
        shapes = [_shape_of(t) for t in arg_types]
        try:
            return function_def_to_graph(fdef, input_shapes=shapes)
        except Exception as e:
            raise TflcError(f"cannot import function '{name}': {e}", _where(op)) from None

    def _function_symbol(self, name: str, arg_types: list[ir.Type], op: Any) -> str:
        if name in self.functions:
            return self.functions[name]
        # TensorFlow suffixes function names with a process-wide counter; drop it so that
        # converting the same model twice gives the same module (and the same bytes).
        symbol = self._unique_symbol(re.sub(r"(_frozen)?_\d+$", "", name) or name)
        self.functions[name] = symbol
        graph = self._function_graph(name, arg_types, op)
        # Argument names of library functions embed TensorFlow's counters: name them by position.
        arg_names = [f"{symbol}/arg{i}" for i in range(len(graph.inputs))]
        out_names = [t.op.name for t in graph.outputs]
        types = [tensor_type(t) for t in graph.inputs]
        self._build_function(
            symbol,
            graph,
            list(graph.inputs),
            list(graph.outputs),
            types,
            [ir.Location.name(n) for n in arg_names],
            out_names,
        )
        return symbol

    def _attribute(self, value: Any, op: Any, operands: list[ir.Value]) -> ir.Attribute:
        kind = value.WhichOneof("value")
        if kind == "func":
            arg_types = self._function_arg_types(op, operands)
            return ir.FlatSymbolRefAttr.get(self._function_symbol(value.func.name, arg_types, op))
        if kind == "list":
            lst = value.list
            for field in ("s", "i", "f", "b", "type", "shape", "tensor", "func"):
                items = getattr(lst, field)
                if len(items):
                    return ir.ArrayAttr.get([_scalar_attr(field, x) for x in items])
            return ir.ArrayAttr.get([])
        if kind is None or kind == "placeholder":
            return ir.UnitAttr.get()
        return _scalar_attr(kind, getattr(value, kind))

    def _function_arg_types(self, op: Any, operands: list[ir.Value]) -> list[ir.Type]:
        """Argument types of the functions an op calls: the loop's types for While."""
        if op.type in ("While", "StatelessWhile"):
            return [tensor_type(t) for t in op.outputs]
        if op.type in ("If", "StatelessIf"):
            return [v.type for v in operands[1:]]
        return [v.type for v in operands]


def _i32(i: int) -> ir.Attribute:
    return ir.IntegerAttr.get(ir.IntegerType.get_signless(32), i)


def _scalar_attr(kind: str, x: Any) -> ir.Attribute:
    if kind == "s":
        return ir.StringAttr.get(x.decode("utf-8", errors="replace"))
    if kind == "i":
        return ir.IntegerAttr.get(ir.IntegerType.get_signless(64), int(x))
    if kind == "f":
        return ir.FloatAttr.get(ir.F32Type.get(), float(x))
    if kind == "b":
        return ir.BoolAttr.get(bool(x))
    if kind == "type":
        return ir.TypeAttr.get(element_type(x))
    if kind == "shape":
        if x.unknown_rank:
            return ir.StringAttr.get("*")
        return ir.DenseI64ArrayAttr.get([d.size for d in x.dim])
    if kind == "tensor":
        return tensor_attr(x)
    if kind == "func":
        return ir.FlatSymbolRefAttr.get(x.name)
    raise TflcError(f"unsupported attribute kind '{kind}'")


# ---- types and constants -----------------------------------------------------------------------

_ELEMENT_TYPES = {
    "float32": "f32",
    "float16": "f16",
    "float64": "f64",
    "bfloat16": "bf16",
    "int8": "i8",
    "int16": "i16",
    "int32": "i32",
    "int64": "i64",
    "uint8": "ui8",
    "uint16": "ui16",
    "uint32": "ui32",
    "uint64": "ui64",
    "bool": "i1",
    "complex64": "complex<f32>",
    "complex128": "complex<f64>",
    "string": "!tf_type.string",
    "resource": "!tf_type.resource",
    "variant": "!tf_type.variant",
}


def element_type(dtype: Any) -> ir.Type:
    """The MLIR element type of a tf.DType or DataType enum value."""
    import tensorflow as tf

    name = tf.dtypes.as_dtype(dtype).name
    if name not in _ELEMENT_TYPES:
        raise TflcError(f"TensorFlow dtype {name} is not supported")
    return ir.Type.parse(_ELEMENT_TYPES[name])


def tensor_type(tensor: Any) -> ir.Type:
    elem = element_type(tensor.dtype)
    shape = tensor.shape
    if shape.rank is None:
        return ir.UnrankedTensorType.get(elem)
    dyn = ir.ShapedType.get_dynamic_size()
    return ir.RankedTensorType.get([dyn if d is None else d for d in shape.as_list()], elem)


def _shape_of(t: ir.Type) -> Any:
    import tensorflow as tf

    shaped = ir.ShapedType(t)
    if not shaped.has_rank:
        return tf.TensorShape(None)
    return tf.TensorShape(
        [None if shaped.is_dynamic_dim(i) else d for i, d in enumerate(shaped.shape)]
    )


def tensor_attr(proto: Any) -> ir.Attribute:
    """A DenseElementsAttr of a TensorProto (strings and other non-numeric kinds refused)."""
    import tensorflow as tf

    array = tf.make_ndarray(proto)
    if proto.dtype == tf.string.as_datatype_enum:
        return string_attr(array)
    if array.dtype == object:
        raise TflcError(f"{tf.dtypes.as_dtype(proto.dtype).name} constants are not supported")
    return dense_attr(array, element_type(proto.dtype))


def string_attr(array: np.ndarray) -> ir.Attribute:
    """A string tensor's value as TFLite's string buffer in a ui8 tensor attribute: MLIR's
    string elements attributes cannot be read back through the Python bindings. The tf.Const
    (and tfl.pseudo_raw_const) holding it has the string tensor type."""
    data = np.frombuffer(encode_strings(np.asarray(array, dtype=object)), dtype=np.uint8)
    return ir.DenseElementsAttr.get(data, type=ir.IntegerType.get_unsigned(8), shape=[data.size])


def dense_attr(array: np.ndarray, elem: ir.Type | None = None) -> ir.Attribute:
    # Not np.ascontiguousarray: it makes 0-d arrays 1-d.
    array = np.asarray(array)
    if not array.flags.c_contiguous:
        array = array.copy(order="C")
    if array.dtype == np.bool_:
        return ir.DenseElementsAttr.get(array)
    if elem is None:
        return ir.DenseElementsAttr.get(array)
    return ir.DenseElementsAttr.get(array, type=elem, shape=list(array.shape))


# ---- ordering and source lines -------------------------------------------------------------------


def _topological(graph: Any) -> list[Any]:
    """The ops of `graph` with every op after the producers of its inputs."""
    ops = graph.get_operations()
    done: set[int] = set()
    order: list[Any] = []
    for root in ops:
        stack = [(root, False)]
        while stack:
            op, expanded = stack.pop()
            if id(op) in done:
                continue
            if expanded:
                done.add(id(op))
                order.append(op)
                continue
            stack.append((op, True))
            # Control inputs too: they order a variable's reads after its assignments.
            for producer in [t.op for t in op.inputs] + list(op.control_inputs):
                if id(producer) not in done:
                    stack.append((producer, False))
    return order


@functools.cache
def _library_dirs() -> tuple[str, ...]:
    here = str(Path(__file__).resolve().parent.parent)
    tflc_dirs = tuple(
        f"{here}/{d}/" for d in ("dialects", "passes", "backends", "runtime", "tools")
    ) + (f"{here}/convert.py", f"{here}/api.py")
    paths = sysconfig.get_paths()
    std = tuple(p + "/" for p in {paths["stdlib"], paths["purelib"], paths["platlib"]})
    return tflc_dirs + std + ("<",)


def _user_frame(traceback: Any) -> tuple[str, int] | None:
    """The innermost frame outside TensorFlow, Keras, the standard library and tflc itself."""
    skip = _library_dirs()
    for frame in reversed(list(traceback or ())):
        filename = frame.filename
        if not filename.startswith(skip) and "site-packages" not in filename:
            return filename, frame.lineno
    return None


def _collect_sources(graph: Any, sources: dict[str, tuple[str, int]], seen: set[int]) -> None:
    """node name -> (file, line) for every op of `graph` and of its nested function graphs."""
    if id(graph) in seen:
        return
    seen.add(id(graph))
    for op in graph.get_operations():
        try:
            frame = _user_frame(op.traceback)
        except Exception:  # tracebacks are best effort
            frame = None
        if frame is not None:
            sources.setdefault(op.name, frame)
        for attr in _NESTED_GRAPH_ATTRS:
            nested = getattr(op, attr, None)
            if nested is not None:
                _collect_sources(nested, sources, seen)
    for fn in getattr(graph, "_functions", {}).values():
        nested = getattr(fn, "graph", None)
        if nested is not None:
            _collect_sources(nested, sources, seen)


def _where(op: Any) -> str:
    return f"node '{op.name}' ({op.type})"
