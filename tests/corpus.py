"""The shared test corpus: small TensorFlow models converted to .tflite, and mediapipe's models.

Every test and benchmark runs on these. Everything is built or fetched once and cached under
`cache_dir()`, never in the repository. TensorFlow is imported only when a model must be built,
so tests that only read cached files stay fast.

    from corpus import tf_model_path, sample_inputs, litert_run
    path = tf_model_path("cnn", "int8")
    outputs = litert_run(path, sample_inputs(path, seed=0))
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.metadata
import os
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import corpus_models
import numpy as np

# Bump when a model, a seed or a conversion setting changes: cached files are named after it.
CORPUS_VERSION = "2"
MODES = ("float32", "dynamic", "float16", "int8")
# Built only when asked for, not by `tf_model_cases`: 16-bit activations, 8-bit weights and
# int64 biases (the converter's EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8);
# with "-float" the converter may leave ops without a 16x8 kernel float (TFLITE_BUILTINS too).
EXTRA_MODES = ("int16x8", "int16x8-float")
SMALL_TF_MODELS = ["mlp", "cnn", "upsample", "activations", "tensor_ops", "transformer"]
SLOW_TF_MODELS = ["mobilenet_v2"]
TF_MODELS = SMALL_TF_MODELS + SLOW_TF_MODELS

MEDIAPIPE_VERSION = "0.10.14"
MEDIAPIPE_MODEL_COUNT = 14

MODEL_SEED = 1234
CALIBRATION_SEED = 4321
CALIBRATION_SAMPLES = {"mobilenet_v2": 8}
DEFAULT_CALIBRATION_SAMPLES = 32
BATCH_NORM_CALIBRATION_BATCH = 16
TFLITE_CUSTOM_OP = 32  # BuiltinOperator.CUSTOM

ModelSource = str | os.PathLike | bytes


# --------------------------------------------------------------------------------------------
# Cache


def cache_dir() -> Path:
    """`$TFLC_CACHE`, or `~/.cache/tflc`; created on demand."""
    path = Path(os.environ.get("TFLC_CACHE") or Path.home() / ".cache" / "tflc")
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def _cache_lock(name: str) -> Iterator[None]:
    """Serializes builds across processes (parallel test runs share one cache)."""
    with open(cache_dir() / f".{name}.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _write_atomically(path: Path, data: bytes) -> None:
    """A reader never sees a half-written file, even if the writer is killed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


# --------------------------------------------------------------------------------------------
# TensorFlow models


def tf_model_path(name: str, mode: str) -> Path:
    """The cached .tflite of TF model `name` converted in `mode`; built on first use."""
    _check_model_and_mode(name, mode)
    path = _tf_model_cache_path(name, mode)
    if not path.exists():
        with _cache_lock(f"tf-{name}"):
            if not path.exists():
                _build_modes(name, [mode] if mode in EXTRA_MODES else MODES)
    return path


def keras_model(name: str) -> Any:
    """The TF model behind `tf_model_path(name, ...)`, rebuilt with the same weights.

    A Keras model, or a `tf.Module` for the tf.function models; call it through `tf_reference`.
    """
    return _build_tf_model(name)[0]


def tf_reference(name: str, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """TensorFlow's own outputs for float inputs, in the order of the .tflite's outputs."""
    tf = _import_tf()
    outputs = _call_model(_reference_model(name), [tf.constant(x) for x in inputs])
    return [np.asarray(y) for y in _as_list(outputs)]


@cache
def _reference_model(name: str) -> Any:
    return _build_tf_model(name)[0]


def tf_model_cases(modes: Sequence[str] = MODES, models: Sequence[str] = TF_MODELS) -> list:
    """`pytest.param(name, mode)` for each pair; MobileNetV2-sized ones are marked slow."""
    import pytest

    return [
        pytest.param(
            name,
            mode,
            id=f"{name}-{mode}",
            marks=[pytest.mark.slow] if name in SLOW_TF_MODELS else [],
        )
        for name in models
        for mode in modes
    ]


def _check_model_and_mode(name: str, mode: str) -> None:
    if name not in TF_MODELS:
        raise ValueError(f"unknown corpus model {name!r}; known: {', '.join(TF_MODELS)}")
    if mode not in MODES + EXTRA_MODES:
        known = ", ".join(MODES + EXTRA_MODES)
        raise ValueError(f"unknown conversion mode {mode!r}; known: {known}")


def _tf_model_cache_path(name: str, mode: str) -> Path:
    # The TF version is in the name too: another converter writes other bytes.
    tag = f"corpus{CORPUS_VERSION}-tf{_tensorflow_version()}"
    return cache_dir() / "tf_models" / f"{name}.{mode}.{tag}.tflite"


@cache
def _tensorflow_version() -> str:
    """Without importing TensorFlow, which takes seconds."""
    for distribution in ("tensorflow-cpu", "tensorflow"):
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    return _import_tf().__version__


def convert_tf_model(name: str, mode: str) -> bytes:
    """Builds and converts afresh, bypassing the cache (for determinism checks)."""
    _check_model_and_mode(name, mode)
    model, input_specs = _build_tf_model(name)
    return _convert(name, model, input_specs, mode)


def _build_modes(name: str, modes: Sequence[str]) -> None:
    """One model build serves all the conversions."""
    model, input_specs = _build_tf_model(name)
    for mode in modes:
        path = _tf_model_cache_path(name, mode)
        if not path.exists():
            _write_atomically(path, _convert(name, model, input_specs, mode))


def _import_tf() -> Any:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
    except ImportError as error:
        raise ImportError(
            "building the TF model corpus needs TensorFlow: pip install 'tflc[test]'"
        ) from error
    return tf


def _convert(name: str, model: Any, input_specs: list, mode: str) -> bytes:
    tf = _import_tf()
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    # Freezing first is one path for Keras 3 models and tf.Modules alike; converting the
    # unfrozen function would leave Keras 3 variables as VAR_HANDLE/READ_VARIABLE ops.
    frozen = convert_variables_to_constants_v2(_concrete_function(model, input_specs))
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen])
    if mode == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif mode == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif mode == "int8":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: _calibration_samples(name, input_specs)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    elif mode in ("int16x8", "int16x8-float"):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: _calibration_samples(name, input_specs)
        ops_set = tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
        float_ops = [tf.lite.OpsSet.TFLITE_BUILTINS] if mode == "int16x8-float" else []
        converter.target_spec.supported_ops = [ops_set, *float_ops]
    with warnings.catch_warnings():
        # int8 I/O without input statistics is what we ask for; the converter warns anyway.
        warnings.filterwarnings("ignore", "Statistics for quantized inputs were expected")
        return bytes(converter.convert())


def _concrete_function(model: Any, input_specs: list) -> Any:
    tf = _import_tf()
    if _is_keras_model(model):
        function = tf.function(
            lambda *xs: _call_model(model, list(xs)), input_signature=input_specs, autograph=False
        )
        return function.get_concrete_function()
    # A tf.Module's own tf.function, traced as is: wrapping it in another one would name its
    # frozen weights by a process-global counter, and the bytes would depend on build order.
    return model.__call__.get_concrete_function()


def _is_keras_model(model: Any) -> bool:
    import keras

    return isinstance(model, keras.Model)


def _calibration_samples(name: str, input_specs: list) -> Iterator[list[np.ndarray]]:
    rng = np.random.default_rng(CALIBRATION_SEED)
    for _ in range(CALIBRATION_SAMPLES.get(name, DEFAULT_CALIBRATION_SAMPLES)):
        yield [_uniform(rng, tuple(spec.shape), np.float32) for spec in input_specs]


def _call_model(model: Any, inputs: list) -> Any:
    if _is_keras_model(model):
        return model(inputs if len(inputs) > 1 else inputs[0], training=False)
    return model(*inputs)


def _as_list(outputs: Any) -> list:
    return list(outputs) if isinstance(outputs, list | tuple) else [outputs]


def _build_tf_model(name: str) -> tuple[Any, list]:
    """(model, input TensorSpecs with batch 1), identical weights on every call."""
    _check_model_and_mode(name, MODES[0])
    tf = _import_tf()
    import keras

    # Layer names (and so .tflite tensor names) count up per session: start each build afresh.
    keras.backend.clear_session()
    keras.utils.set_random_seed(MODEL_SEED)
    model = corpus_models.MODEL_BUILDERS[name]()
    if not _is_keras_model(model):
        return model, model.input_specs
    specs = [tf.TensorSpec((1, *x.shape[1:]), tf.float32) for x in model.inputs]
    rng = np.random.default_rng(MODEL_SEED)
    corpus_models.randomize_affine_weights(model, rng)
    batch = [
        _uniform(rng, (BATCH_NORM_CALIBRATION_BATCH, *spec.shape[1:]), np.float32) for spec in specs
    ]
    corpus_models.calibrate_batch_norms(model, batch)
    return model, specs


# --------------------------------------------------------------------------------------------
# mediapipe's production models


def mediapipe_models() -> list[Path]:
    """The 14 trained .tflite models of the mediapipe wheel, fetched from PyPI once."""
    root = cache_dir() / "mediapipe" / MEDIAPIPE_VERSION
    complete_marker = root / ".complete"
    if not complete_marker.exists():
        with _cache_lock("mediapipe"):
            if not complete_marker.exists():
                _extract_mediapipe_models(_mediapipe_wheel(), root)
                complete_marker.touch()
    paths = sorted(root.rglob("*.tflite"))
    if len(paths) != MEDIAPIPE_MODEL_COUNT:
        raise RuntimeError(f"expected {MEDIAPIPE_MODEL_COUNT} mediapipe models in {root}")
    return paths


def _mediapipe_wheel() -> Path:
    wheels = cache_dir() / "wheels"
    pattern = f"mediapipe-{MEDIAPIPE_VERSION}-*.whl"
    if not any(wheels.glob(pattern)):
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet"]
            + [f"mediapipe=={MEDIAPIPE_VERSION}", "-d", str(wheels)],
            check=True,
        )
    return sorted(wheels.glob(pattern))[0]


def _extract_mediapipe_models(wheel: Path, root: Path) -> None:
    """mediapipe/modules/<task>/<model>.tflite → <root>/<task>/<model>.tflite."""
    prefix = "mediapipe/modules/"
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            if member.startswith(prefix) and member.endswith(".tflite"):
                target = root / member.removeprefix(prefix)
                _write_atomically(target, archive.read(member))


# --------------------------------------------------------------------------------------------
# Reading .tflite files


def _model_bytes(source: ModelSource) -> bytes:
    return bytes(source) if isinstance(source, bytes | bytearray) else Path(source).read_bytes()


def read_flatbuffer(source: ModelSource) -> Any:
    """The model as the `tflite` package's flatbuffer reader (`tflite.Model`)."""
    import tflite

    return tflite.Model.GetRootAs(_model_bytes(source), 0)


_read_flatbuffer = read_flatbuffer  # its first name, which tests/test_optimize.py uses


@cache
def _builtin_operator_names() -> dict[int, str]:
    import tflite

    return {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}


@cache
def _tensor_type_names() -> dict[int, str]:
    import tflite

    return {v: k for k, v in vars(tflite.TensorType).items() if not k.startswith("_")}


def op_names(source: ModelSource) -> list[str]:
    """The model's operator codes: builtin names (`CONV_2D`), custom ops as `CUSTOM:<name>`."""
    model = read_flatbuffer(source)
    names = []
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        # Codes above 127 live only in BuiltinCode; old files fill only the deprecated field.
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        if builtin == TFLITE_CUSTOM_OP:
            names.append(f"CUSTOM:{code.CustomCode().decode()}")
        else:
            names.append(_builtin_operator_names()[builtin])
    return names


def custom_op_names(source: ModelSource) -> list[str]:
    """Names of the custom (non-builtin) operators the model uses."""
    return [n.removeprefix("CUSTOM:") for n in op_names(source) if n.startswith("CUSTOM:")]


def tensor_types(source: ModelSource) -> set[str]:
    """Element types of every tensor in every subgraph (`FLOAT32`, `INT8`, ...)."""
    model = read_flatbuffer(source)
    return {
        _tensor_type_names()[graph.Tensors(t).Type()]
        for graph in (model.Subgraphs(s) for s in range(model.SubgraphsLength()))
        for t in range(graph.TensorsLength())
    }


def has_sparse_tensors(source: ModelSource) -> bool:
    model = read_flatbuffer(source)
    return any(
        graph.Tensors(t).Sparsity() is not None
        for graph in (model.Subgraphs(s) for s in range(model.SubgraphsLength()))
        for t in range(graph.TensorsLength())
    )


def input_details(source: ModelSource) -> list[dict[str, Any]]:
    """name, shape (dynamic dims as 1), numpy dtype and (scale, zero_point) of the inputs.

    The keys are LiteRT's, but read from the flatbuffer, so this works for models LiteRT
    cannot load (custom ops). Not per-tensor quantized: quantization is (0.0, 0).
    """
    graph = read_flatbuffer(source).Subgraphs(0)
    details = []
    for i in range(graph.InputsLength()):
        tensor = graph.Tensors(graph.Inputs(i))
        signature = tensor.ShapeSignatureAsNumpy() if tensor.ShapeSignatureLength() else None
        shape = signature if signature is not None else tensor.ShapeAsNumpy()
        details.append(
            {
                "name": tensor.Name().decode(),
                "shape": [] if isinstance(shape, int) else [1 if d < 0 else int(d) for d in shape],
                "dtype": _numpy_dtype(_tensor_type_names()[tensor.Type()]),
                "quantization": _per_tensor_quantization(tensor),
            }
        )
    return details


def _per_tensor_quantization(tensor: Any) -> tuple[float, int]:
    parameters = tensor.Quantization()
    if parameters is None or parameters.ScaleLength() != 1:
        return (0.0, 0)
    zero_point = parameters.ZeroPoint(0) if parameters.ZeroPointLength() else 0
    return (float(parameters.Scale(0)), int(zero_point))


def _numpy_dtype(type_name: str) -> np.dtype:
    try:
        return np.dtype(type_name.lower())
    except TypeError:
        raise ValueError(f"no numpy dtype for TFLite tensor type {type_name}") from None


# --------------------------------------------------------------------------------------------
# Inputs


def sample_inputs(
    source: ModelSource | Sequence[dict[str, Any]], seed: int = 0
) -> list[np.ndarray]:
    """Deterministic random inputs for a model (a .tflite path, its bytes, or input details).

    Floats are uniform in [-1, 1] (the calibration range of the int8 corpus models); 8- and
    16-bit integers span their whole range; wider integers are small non-negative values,
    as they are usually indices.
    """
    details = input_details(source) if isinstance(source, ModelSource) else source
    rng = np.random.default_rng(seed)
    return [_random_array(rng, tuple(d["shape"]), np.dtype(d["dtype"])) for d in details]


def _random_array(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    if dtype.kind == "f":
        return _uniform(rng, shape, dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        if dtype.itemsize <= 2:
            info = np.iinfo(dtype)
            return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
        return rng.integers(0, 8, shape, dtype=dtype)
    raise ValueError(f"cannot make random inputs of type {dtype}")


def _uniform(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    return rng.uniform(-1.0, 1.0, shape).astype(dtype)


# --------------------------------------------------------------------------------------------
# The oracle: the official LiteRT interpreter


# LiteRT's kernel sets do not agree bit for bit on int8: measured on this corpus, a single
# CONV_2D already differs by 1 between "builtin" and "reference", and MobileNetV2 int8 logits
# differ by up to ~20 steps between any two of them. Say which one a bit-exact test targets.
LITERT_KERNELS = {
    "default": "AUTO",  # what LiteRT users get: the XNNPACK delegate over the builtin kernels
    "builtin": "BUILTIN_WITHOUT_DEFAULT_DELEGATES",  # TFLite's optimized kernels, no XNNPACK
    "reference": "BUILTIN_REF",  # the reference kernels (TFLM's rules); lacks ELU, TILE v3
}


def litert_interpreter(source: ModelSource, kernels: str = "default", num_threads: int = 1) -> Any:
    """A LiteRT interpreter on one thread (or `num_threads`), with one of `LITERT_KERNELS`."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    options = {
        "num_threads": num_threads,
        "experimental_op_resolver_type": getattr(OpResolverType, LITERT_KERNELS[kernels]),
    }
    if isinstance(source, bytes | bytearray):
        return Interpreter(model_content=bytes(source), **options)
    return Interpreter(model_path=str(source), **options)


def litert_run(
    source: ModelSource, inputs: Sequence[np.ndarray], kernels: str = "default"
) -> list[np.ndarray]:
    """Runs the model in LiteRT; outputs in output-detail order.

    Inputs must already have the model's dtypes: the oracle converts nothing silently.
    """
    interpreter = litert_interpreter(source, kernels)
    details = interpreter.get_input_details()
    if len(inputs) != len(details):
        raise ValueError(f"model takes {len(details)} inputs, got {len(inputs)}")
    for detail, value in zip(details, inputs, strict=True):
        if tuple(np.shape(value)) != tuple(detail["shape"]):
            interpreter.resize_tensor_input(detail["index"], np.shape(value))
    interpreter.allocate_tensors()
    for detail, value in zip(details, inputs, strict=True):
        interpreter.set_tensor(detail["index"], np.require(value, requirements="C"))  # keeps 0-d
    interpreter.invoke()
    return [interpreter.get_tensor(d["index"]).copy() for d in interpreter.get_output_details()]


def litert_run_int8_io(source: ModelSource, x: np.ndarray) -> tuple[np.ndarray, tuple, tuple]:
    """Runs a one-input, int8-I/O model on float `x` quantized with the input's parameters;
    returns (the raw int8 output, input (scale, zero point), output (scale, zero point))."""
    interpreter = litert_interpreter(source)
    interpreter.allocate_tensors()
    d = interpreter.get_input_details()[0]
    scale, zero_point = d["quantization"]
    interpreter.set_tensor(
        d["index"], np.clip(np.round(x / scale) + zero_point, -128, 127).astype(np.int8)
    )
    interpreter.invoke()
    o = interpreter.get_output_details()[0]
    return interpreter.get_tensor(o["index"]), d["quantization"], o["quantization"]


def litert_can_run(source: ModelSource) -> bool:
    """False when LiteRT cannot load the model, e.g. for custom ops it does not know."""
    try:
        litert_interpreter(source).allocate_tensors()
    except (RuntimeError, ValueError):
        return False
    return True
