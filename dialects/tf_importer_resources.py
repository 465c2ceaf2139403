"""The state a traced function captures: resource variables it writes and lookup tables.

Variables that the function only reads are frozen to constants (dialects/tf_importer_sources.py).
The others stay state, as TensorFlow's converter keeps them: a variable some signature assigns
becomes a `VarHandleOp` named by its shared name, and a lookup table a `HashTableV2`; both are
filled, with their values at conversion time, by one initializer function the model runs once
(`tfl.call_once` after legalization). Which captures are which is read off the ops using them,
followed through the calls, loops and branches the function makes.

In the tf module, handles are `tf.VarHandleOp` / `tf.HashTableV2` ops at the start of each
function using them, and the initializer a private function named by the module attribute
`tf.initializer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from mlir import ir
from tflc.errors import TflcError

ASSIGN_OPS = ("AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp")
TABLE_OPS = ("LookupTableFindV2", "LookupTableSizeV2", "LookupTableImportV2")
_CALL_OPS = ("PartitionedCall", "StatefulPartitionedCall")
_PASS_THROUGH = ("Identity",)
# TFLite's hash tables: (key dtype, value dtype), as TensorFlow names them.
TABLE_TYPES = (("string", "int64"), ("int64", "string"))


@dataclass
class CapturedResource:
    """One captured resource kept as state: a written variable or a lookup table."""

    kind: str  # "variable" or "table"
    placeholder: str  # the capture's placeholder op name in the traced graph
    shared_name: str  # the variable's name, or the table's
    values: Any  # variable: its numpy value; table: (keys, values) numpy arrays
    key_dtype: str = ""  # tables: TensorFlow dtype names
    value_dtype: str = ""


class ModelState:
    """What the signatures of one model share: the variables any of them writes (a variable one
    signature writes is state in every signature reading it) and one shared name per handle."""

    def __init__(self, functions: list[Any]):
        self.written: set[int] = set()  # id() of the captured handles
        self.shared_names: dict[int, str] = {}
        self.uses: dict[int, _Uses] = {}  # by id() of the concrete function
        for cf in functions:
            uses = self.uses[id(cf)] = _Uses(cf)
            for external, placeholder in _resource_captures(cf):
                if uses.of_capture(placeholder) & set(ASSIGN_OPS):
                    self.written.add(id(external))


def _resource_captures(cf: Any) -> list[tuple[Any, str]]:
    import tensorflow as tf

    return [(e, i.op.name) for e, i in cf.graph.captures if i.dtype == tf.resource]


def captured_resources(cf: Any, owner: Any, state: ModelState) -> list[CapturedResource]:
    """The captures of concrete function `cf` that stay state, in capture order. `owner`: the
    object the function came from (to find a table that the function only asks its size)."""
    import tensorflow as tf

    uses = state.uses.get(id(cf)) or _Uses(cf)
    variables = _variables(cf)
    shared_names = state.shared_names
    found: list[CapturedResource] = []
    for external, placeholder in _resource_captures(cf):
        used = uses.of_capture(placeholder)
        if id(external) in state.written:
            variable = variables.get(id(external))
            known = variable.name if variable is not None else placeholder
            name = _shared_name(external, known, shared_names)
            try:
                value = _read(external, variable, tf)
            except TflcError as e:
                raise e.at(f"variable '{placeholder}'") from None
            found.append(CapturedResource("variable", placeholder, name, value))
        elif used & set(TABLE_OPS):
            name = _shared_name(external, "hash_table", shared_names)  # TensorFlow's name
            types = _table_types(external, uses.table_types, owner, tf)
            try:
                key_dtype, value_dtype, content = _export_table(external, types, tf)
            except TflcError as e:
                raise e.at(f"lookup table '{placeholder}'") from None
            found.append(
                CapturedResource("table", placeholder, name, content, key_dtype, value_dtype)
            )
    return found


def _shared_name(handle: Any, name: str, shared_names: dict[int, str]) -> str:
    if id(handle) in shared_names:
        return shared_names[id(handle)]
    name = name.split(":")[0]
    taken = set(shared_names.values())
    unique, k = name, 0
    while unique in taken:
        k += 1
        unique = f"{name}_{k}"
    shared_names[id(handle)] = unique
    return unique


def _variables(cf: Any) -> dict[int, Any]:
    """id(captured handle) -> the variable, where the function still knows it."""
    try:
        return {id(v.handle): v for v in cf.graph.variables}
    except Exception:  # a variable of a loaded SavedModel that was garbage collected
        return {}


def _read(handle: Any, variable: Any, tf: Any) -> np.ndarray:
    """A variable's value now, from the variable or else from its handle."""
    if variable is not None:
        return variable.numpy()
    try:
        dtype = tf.dtypes.as_dtype(handle._handle_data.shape_and_type[0].dtype)
        return tf.raw_ops.ReadVariableOp(resource=handle, dtype=dtype).numpy()
    except Exception as e:  # no dtype with the handle, or not initialized
        raise TflcError(f"cannot read the variable's value: {e}") from None


def _export_table(handle: Any, types: tuple[str, str] | None, tf: Any) -> tuple[str, str, Any]:
    """(key dtype, value dtype, (keys, values)) of a table, sorted by key. The types must be the
    table's: TensorFlow aborts the process on an export asking for others."""
    if types not in TABLE_TYPES:
        raise TflcError(
            "a lookup table whose key and value types are not those of TFLite's hash tables "
            "(string to int64, int64 to string)"
        )
    key_dtype, value_dtype = types
    keys, values = tf.raw_ops.LookupTableExportV2(
        table_handle=handle,
        Tkeys=tf.dtypes.as_dtype(key_dtype),
        Tvalues=tf.dtypes.as_dtype(value_dtype),
    )
    keys, values = keys.numpy(), values.numpy()
    order = np.argsort(keys, kind="stable")  # a hash map's order is not deterministic
    return key_dtype, value_dtype, (keys[order], values[order])


def _table_types(handle: Any, found: dict[str, tuple[str, str]], owner: Any, tf: Any):
    """A table's (key dtype, value dtype): from the ops using it, else from the table object
    among `owner`'s tracked objects."""
    if found:
        return next(iter(found.values()))
    try:
        objects = tf.train.TrackableView(owner).descendants() if owner is not None else []
    except Exception:  # not a trackable object
        objects = []
    for obj in objects:
        if getattr(obj, "resource_handle", None) is handle and hasattr(obj, "key_dtype"):
            return obj.key_dtype.name, obj.value_dtype.name
    return None


# Module attribute naming the function that initializes the kept state.
INITIALIZER_ATTR = "tf.initializer"


def resource_handle(resource: CapturedResource) -> ir.Value:
    """The handle op of a kept variable or table, at the insertion point."""
    from tflc.dialects.tf_importer import element_type

    loc = ir.Location.name(resource.shared_name)
    common = {
        "container": ir.StringAttr.get(""),
        "shared_name": ir.StringAttr.get(resource.shared_name),
    }
    if resource.kind == "variable":
        value = np.asarray(resource.values)
        attrs = {
            **common,
            "dtype": ir.TypeAttr.get(element_type(value.dtype)),
            "shape": ir.DenseI64ArrayAttr.get(list(value.shape)),
        }
        name = "tf.VarHandleOp"
    else:
        attrs = {
            **common,
            "key_dtype": ir.TypeAttr.get(element_type(resource.key_dtype)),
            "value_dtype": ir.TypeAttr.get(element_type(resource.value_dtype)),
        }
        name = "tf.HashTableV2"
    resource_type = ir.RankedTensorType.get([], ir.Type.parse("!tf_type.resource"))
    return ir.Operation.create(name, results=[resource_type], attributes=attrs, loc=loc).result


def kept_variable_type(op_type: str, operands: list[ir.Value]) -> ir.Type | None:
    """A kept variable's type for a read of it (the frozen graph lost the variable's shape)."""
    if op_type != "ReadVariableOp" or not operands:
        return None
    owner = operands[0].owner
    if not isinstance(owner, ir.OpView | ir.Operation):
        return None
    while owner.name == "tf.Identity":  # a handle passed through a call's identities
        owner = owner.operands[0].owner
        if not isinstance(owner, ir.OpView | ir.Operation):
            return None
    if owner.name != "tf.VarHandleOp":
        return None
    attrs = owner.attributes
    shape = list(ir.DenseI64ArrayAttr(attrs["shape"]))
    return ir.RankedTensorType.get(shape, ir.TypeAttr(attrs["dtype"]).value)


def initialize(resource: CapturedResource) -> None:
    """Ops giving `resource` its value at conversion time, at the insertion point."""
    handle = resource_handle(resource)
    name = resource.shared_name
    loc = ir.Location.name(f"{name}/initializer")
    if resource.kind == "variable":
        value = _const(np.asarray(resource.values), ir.Location.name(f"{name}/initial_value"))
        ir.Operation.create("tf.AssignVariableOp", operands=[handle, value], loc=loc)
        return
    keys, values = resource.values
    operands = [
        handle,
        _const(keys, ir.Location.name(f"{name}/keys")),
        _const(values, ir.Location.name(f"{name}/values")),
    ]
    ir.Operation.create("tf.LookupTableImportV2", operands=operands, loc=loc)


def _const(array: np.ndarray, loc: ir.Location) -> ir.Value:
    import tensorflow as tf
    from tflc.dialects.tf_importer import element_type, tensor_attr

    proto = tf.make_tensor_proto(array)
    shape = list(np.shape(array))
    rtype = ir.RankedTensorType.get(shape, element_type(proto.dtype))
    attrs = {"value": tensor_attr(proto), "dtype": ir.TypeAttr.get(rtype.element_type)}
    return ir.Operation.create("tf.Const", results=[rtype], attributes=attrs, loc=loc).result


class _Uses:
    """The op types a resource reaches, following calls, loops, branches and identities."""

    def __init__(self, cf: Any):
        graph_def = cf.graph.as_graph_def()
        self.library = {f.signature.name: f for f in graph_def.library.function}
        self.graph = _consumers(graph_def.node)
        self._functions: dict[str, dict[str, list[tuple[Any, int]]]] = {}
        # op type -> (key dtype, value dtype) of the table ops met by the last `of_capture`
        self.table_types: dict[str, tuple[str, str]] = {}
        self._cache: dict[tuple[str, int], tuple[set[str], dict]] = {}

    def of_capture(self, placeholder: str) -> set[str]:
        """The op types using a captured resource; `table_types` says which tables they read."""
        self.table_types.clear()
        return self._of(self.graph, placeholder)

    def _of(self, consumers: dict[str, list[tuple[Any, int]]], name: str) -> set[str]:
        found: set[str] = set()
        for node, j in consumers.get(name, ()):
            found |= self._node_use(consumers, node, j)
        return found

    def _node_use(self, consumers, node: Any, j: int) -> set[str]:
        if node.op in _PASS_THROUGH:
            return self._of(consumers, node.name)
        bodies = self._bodies(node, j)
        if bodies is None:
            if node.op in TABLE_OPS and "Tin" in node.attr and "Tout" in node.attr:
                key, value = (tf_dtype_name(node.attr[a].type) for a in ("Tin", "Tout"))
                self.table_types[node.op] = (key, value)
            return {node.op}
        found: set[str] = set()
        for fname, index in bodies:
            found |= self._function_use(fname, index)
        return found

    def _bodies(self, node: Any, j: int) -> list[tuple[str, int]] | None:
        if node.op in _CALL_OPS:
            return [(node.attr["f"].func.name, j)]
        if node.op in ("While", "StatelessWhile"):
            return [(node.attr["cond"].func.name, j), (node.attr["body"].func.name, j)]
        if node.op in ("If", "StatelessIf") and j > 0:
            return [(node.attr[b].func.name, j - 1) for b in ("then_branch", "else_branch")]
        return None

    def _function_use(self, fname: str, index: int) -> set[str]:
        key = (fname, index)
        if key not in self._cache:
            self._cache[key] = (set(), {})  # a recursive call adds nothing new
            fdef = self.library.get(fname)
            if fdef is not None and index < len(fdef.signature.input_arg):
                if fname not in self._functions:
                    self._functions[fname] = _consumers(fdef.node_def)
                arg = fdef.signature.input_arg[index].name
                outer, self.table_types = self.table_types, {}
                found = self._of(self._functions[fname], arg)
                self._cache[key] = (found, self.table_types)
                self.table_types = {**outer, **self.table_types}
                return found
        found, types = self._cache[key]
        self.table_types.update(types)
        return found


def _consumers(nodes) -> dict[str, list[tuple[Any, int]]]:
    """Producer name -> (node, input position) of each data input naming it ("x", "x:1" or a
    function's "call:output:0")."""
    consumers: dict[str, list[tuple[Any, int]]] = {}
    for node in nodes:
        for j, inp in enumerate(node.input):
            if not inp.startswith("^"):
                consumers.setdefault(inp.split(":")[0], []).append((node, j))
    return consumers


def tf_dtype_name(enum: int) -> str:
    import tensorflow as tf

    return tf.dtypes.as_dtype(enum).name
