"""What users hand the TensorFlow importer, turned into frozen concrete functions.

Accepted: a SavedModel directory (each signature), a `.keras` / `.h5` file, a Keras model, a
`tf.function` (with an input signature), a `ConcreteFunction`, or a `tf.Module` whose `__call__`
is such a function. Variables are frozen to constants with control flow kept functional
(If / While stay ops with function attributes instead of being lowered to Switch/Merge).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tflc.dialects.tf_importer_resources import CapturedResource, ModelState, captured_resources
from tflc.errors import TflcError

# The signature key TensorFlow's converter gives a model that names none.
DEFAULT_SIGNATURE = "serving_default"
_CALL_OPS = ("PartitionedCall", "StatefulPartitionedCall")


def import_tensorflow_module() -> Any:
    """TensorFlow, imported lazily: it is an optional dependency and takes seconds to load.

    Its libraries bind their own symbols first (RTLD_DEEPBIND): TensorFlow carries an LLVM, and
    when another one is already loaded (MLIR's is; Mesa's is once a Vulkan device was opened)
    TensorFlow's import otherwise crashes on the other's symbols.
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    flags = sys.getdlopenflags()
    sys.setdlopenflags(flags | getattr(os, "RTLD_DEEPBIND", 0))
    try:
        import tensorflow as tf
    except ImportError:
        raise TflcError(
            "converting TensorFlow models needs TensorFlow: pip install 'tflc[tf]'"
        ) from None
    finally:
        sys.setdlopenflags(flags)
    return tf


@dataclass
class FrozenSignature:
    """One entry point: its frozen function, the traced original (for Python source lines)."""

    name: str  # the signature key ("serving_default" where the model names none, as TF's)
    graph: Any  # tf.Graph with variables as constants, shapes inferred
    inputs: list[Any]  # its input (placeholder) tensors
    outputs: list[Any]  # its output tensors
    library: Any  # FunctionDefLibrary of the functions If / While call
    original_graph: Any  # the FuncGraph as traced, which still has op tracebacks
    input_names: list[str]
    output_names: list[str]
    source: str = "<model>"
    keep: list[Any] = field(default_factory=list)  # objects the functions need alive
    # State kept as state (written variables, lookup tables) and its placeholder tensor.
    resources: list[tuple[CapturedResource, Any]] = field(default_factory=list)


def frozen_signatures(
    obj: Any, signature: str | None = None, batch_size: int | None = None
) -> list[FrozenSignature]:
    """The frozen entry points of `obj`: every signature, or only `signature` when given."""
    tf = import_tensorflow_module()
    source = str(obj) if isinstance(obj, str | Path) else type(obj).__name__
    if isinstance(obj, str | Path):
        obj, source = _load_path(Path(obj), tf), str(obj)
    functions = _concrete_functions(obj, tf, batch_size, source)
    if signature is not None:
        if signature not in functions:
            known = ", ".join(sorted(functions)) or "none"
            raise TflcError(f"no signature named '{signature}' (the model has: {known})", source)
        functions = {signature: functions[signature]}
    try:
        state = ModelState(list(functions.values()))
    except TflcError as e:
        raise e.at(source) from None
    return [_freeze(name, cf, source, obj, state) for name, cf in functions.items()]


def _load_path(path: Path, tf: Any) -> Any:
    if not path.exists():
        raise TflcError("no such file or directory", str(path))
    if path.is_dir():
        if not (path / "saved_model.pb").exists() and not (path / "saved_model.pbtxt").exists():
            raise TflcError(
                "not a SavedModel directory (no saved_model.pb) nor a .keras file", str(path)
            )
        try:
            return tf.saved_model.load(str(path))
        except Exception as e:  # TensorFlow raises many types for a corrupt SavedModel
            raise TflcError(f"cannot load the SavedModel: {_first_line(e)}", str(path)) from None
    if path.suffix in (".keras", ".h5"):
        import keras

        try:
            return keras.models.load_model(str(path), compile=False)
        except Exception as e:
            raise TflcError(f"cannot load the Keras model: {_first_line(e)}", str(path)) from None
    if path.suffix == ".tflite":
        raise TflcError("already a .tflite model; use `tflc.load` to read it", str(path))
    raise TflcError("not a SavedModel directory nor a .keras / .h5 file", str(path))


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def _is_keras_model(obj: Any) -> bool:
    try:
        import keras
    except ImportError:
        return False
    return isinstance(obj, keras.Model)


def _concrete_functions(obj: Any, tf: Any, batch_size: int | None, source: str) -> dict[str, Any]:
    if _is_keras_model(obj):
        return {DEFAULT_SIGNATURE: _keras_function(obj, tf, batch_size, source)}
    if isinstance(obj, tf.types.experimental.ConcreteFunction):
        return {DEFAULT_SIGNATURE: obj}
    if isinstance(obj, tf.types.experimental.PolymorphicFunction):
        return {DEFAULT_SIGNATURE: _trace(obj, source)}
    signatures = getattr(obj, "signatures", None)
    if signatures is not None and len(signatures):
        # Sorted by key: TensorFlow's converter writes one subgraph per signature in this order.
        return dict(sorted(signatures.items()))
    call = getattr(obj, "__call__", None)  # noqa: B004  (a tf.function, not any callable)
    if isinstance(call, tf.types.experimental.PolymorphicFunction):
        return {DEFAULT_SIGNATURE: _trace(call, source)}
    raise TflcError(
        "expected a SavedModel, a Keras model, a tf.function with an input signature or a "
        f"concrete function, got {type(obj).__name__}",
        source,
    )


def _trace(function: Any, source: str) -> Any:
    if getattr(function, "input_signature", None) is None:
        raise TflcError(
            "the tf.function needs an input_signature to be converted (or pass "
            "f.get_concrete_function(specs))",
            source,
        )
    try:
        return function.get_concrete_function()
    except Exception as e:  # the user's Python code fails while TensorFlow traces it
        raise TflcError(f"tracing the function failed: {_first_line(e)}", source) from None


def keras_batch_may_be_unknown(obj: Any) -> bool:
    """Whether `obj` is a Keras model with an input whose batch dimension is unknown, or a
    Keras file (which `batch_size` also applies to)."""
    if isinstance(obj, str | Path):
        return Path(obj).suffix in (".keras", ".h5")
    return _is_keras_model(obj) and any(x.shape and x.shape[0] is None for x in obj.inputs)


def _keras_function(model: Any, tf: Any, batch_size: int | None, source: str) -> Any:
    specs = []
    for x in model.inputs:
        shape = list(x.shape)
        if shape and shape[0] is None and batch_size is not None:
            shape[0] = batch_size
        specs.append(tf.TensorSpec(shape, x.dtype, name=_input_name(x)))

    def call(*xs):
        return model(list(xs) if len(xs) > 1 else xs[0], training=False)

    try:
        return tf.function(call, input_signature=specs, autograph=False).get_concrete_function()
    except Exception as e:  # the model's own code fails while TensorFlow traces it
        raise TflcError(f"tracing the Keras model failed: {_first_line(e)}", source) from None


def _input_name(tensor: Any) -> str:
    name = getattr(tensor, "name", None) or "input"
    return name.split(":")[0].replace("/", "_")


def _freeze(name: str, cf: Any, source: str, owner: Any, state: ModelState) -> FrozenSignature:
    try:
        resources = captured_resources(cf, owner, state)
    except TflcError as e:
        raise e.at(source) from None
    kept = {r.placeholder for r in resources}
    try:
        graph_def, converted = _frozen_graph_def(cf, kept)
    except Exception as e:
        raise TflcError(f"cannot freeze the variables: {_first_line(e)}", source) from None
    tf = import_tensorflow_module()
    graph = tf.Graph()
    try:
        with graph.as_default():
            tf.graph_util.import_graph_def(graph_def, name="")
    except ValueError as e:  # a variable frozen although something assigns it (not seen)
        raise TflcError(f"cannot import the frozen graph: {_first_line(e)}", source) from None
    if resources:
        _restore_shapes(graph, cf.graph)
    # `converted` indexes the captured inputs, as in TensorFlow's _construct_concrete_function.
    captures = cf.graph.internal_captures
    frozen_names = {captures[i].name for i in converted}
    fed = [t for t in cf.inputs if t.name not in frozen_names and t.op.name not in kept]
    fed.sort(key=_call_position(cf.graph, fed, "inputs"))
    outputs = list(zip(cf.outputs, _output_names(cf, len(cf.outputs)), strict=True))
    output_position = _call_position(cf.graph, list(cf.outputs), "outputs")
    outputs.sort(key=lambda pair: output_position(pair[0]))
    inputs = [graph.get_tensor_by_name(t.name) for t in fed]
    return FrozenSignature(
        name=name,
        graph=graph,
        inputs=inputs,
        outputs=[graph.get_tensor_by_name(t.name) for t, _ in outputs],
        library=graph_def.library,
        original_graph=cf.graph,
        input_names=[t.op.name for t in inputs],
        output_names=[n for _, n in outputs],
        source=source,
        keep=[owner, cf],
        resources=[(r, graph.get_tensor_by_name(f"{r.placeholder}:0")) for r in resources],
    )


def _restore_shapes(graph: Any, traced: Any) -> None:
    """Shapes the import lost: a kept variable's placeholder carries no handle data into the
    GraphDef, so its reads (and what follows) are unknown there but known in the traced graph."""
    for op in graph.get_operations():
        for t in op.outputs:
            try:
                t.set_shape(traced.get_tensor_by_name(t.name).shape)
            except (KeyError, ValueError):  # not in the traced graph, or no tighter shape
                continue


def _call_position(graph: Any, tensors: list[Any], side: str) -> Callable[[Any], int]:
    """A sort key putting a signature's `tensors` ("inputs" or "outputs") in the order of the
    user's function.

    A SavedModel signature (and Keras' `export()`) is a wrapper whose arguments and results are
    sorted by name ('output_10' before 'output_2') around one call of the user's function, which
    keeps the function's order: follow that call when every tensor is one of its operands
    (inputs) or an Identity of one of its results (outputs). Otherwise the order is the
    function's own already, and a constant key keeps it.
    """
    calls = [op for op in graph.get_operations() if op.type in _CALL_OPS]
    if len(calls) != 1:
        return lambda t: 0
    ends = [t.name for t in getattr(calls[0], side)]
    position = {}
    for t in tensors:
        end = t
        while side == "outputs" and end.op.type == "Identity" and end.name not in ends:
            end = end.op.inputs[0]
        if end.name not in ends:
            return lambda t: 0
        position[t.name] = ends.index(end.name)
    return lambda t: position[t.name]


def _frozen_graph_def(cf: Any, kept: set[str]) -> tuple[Any, set[int]]:
    """(GraphDef with variables as constants, indices of the inputs that were variables).
    `kept`: the placeholders of variables that stay variables (the function writes them).

    TensorFlow's own `convert_variables_to_constants_v2` does this and then rebuilds a
    ConcreteFunction from the GraphDef (pruning and lifting it in Python, seconds for a
    MobileNet); importing the GraphDef into a plain Graph gives the same ops and shapes.
    Control flow stays functional (If / While, not Switch / Merge).
    """
    from tensorflow.python.framework import convert_to_constants as c

    data = c._FunctionConverterDataInEager(
        func=cf,
        lower_control_flow=False,
        aggressive_inlining=False,
        variable_names_denylist=kept,
    )
    graph_def, converted = c._replace_variables_by_constants(converter_data=data)
    return graph_def, set(converted)


def _output_names(cf: Any, count: int) -> list[str]:
    outputs = cf.structured_outputs
    if isinstance(outputs, dict) and len(outputs) == count:
        return sorted(outputs)  # nest.flatten orders dict entries by key
    return [f"output_{i}" for i in range(count)]
