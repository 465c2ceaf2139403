"""Shared by the TensorFlow converter tests: run LiteRT, count ops, TensorFlow's converter.

`tflc` (and so MLIR) is imported before TensorFlow on purpose: loading MLIR's libraries after
TensorFlow's crashes the process (both carry LLVM; TensorFlow's symbols win the lookup).

TensorFlow cannot share a process with the Vulkan driver either (lavapipe loads Mesa's LLVM):
once the GPU tests have opened a device, importing TensorFlow segfaults. The TensorFlow test
modules therefore skip themselves when the GPU stack is loaded (`skip_if_gpu_stack_loaded`),
and tests/test_tf_isolated.py runs them in a fresh process instead.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np
import tflc  # noqa: F401  (must precede TensorFlow, see above)

TF_TEST_MODULES = (
    "test_tf_convert.py",
    "test_tf_corpus.py",
    "test_tf_errors.py",
    "test_tf_importer.py",
    "test_tf_layers.py",
    "test_tf_big_models.py",
)


def gpu_stack_loaded() -> bool:
    return "wgpu" in sys.modules


def skip_if_gpu_stack_loaded() -> None:
    """Module-level skip before TensorFlow is imported (see the module docstring)."""
    import pytest

    if gpu_stack_loaded():
        pytest.skip(
            "TensorFlow cannot load next to the Vulkan driver; test_tf_isolated.py runs this "
            "module in a fresh process",
            allow_module_level=True,
        )


def count_ops(flatbuffer: bytes) -> int:
    """Operators in every subgraph (cond and body subgraphs included)."""
    import tflite

    model = tflite.Model.GetRootAsModel(flatbuffer, 0)
    return sum(model.Subgraphs(i).OperatorsLength() for i in range(model.SubgraphsLength()))


def run_litert(flatbuffer: bytes, inputs: list[np.ndarray]) -> list[np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=flatbuffer)
    interpreter.allocate_tensors()
    for detail, x in zip(interpreter.get_input_details(), inputs, strict=True):
        interpreter.set_tensor(detail["index"], x)
    interpreter.invoke()
    return [interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()]


def max_relative_error(outputs: list[np.ndarray], references: list[np.ndarray]) -> float:
    """max |ours - ref| / max |ref| over all outputs (exact match required for non-floats)."""
    worst = 0.0
    for ours, ref in zip(outputs, references, strict=True):
        ref = np.asarray(ref)
        assert ours.shape == ref.shape, (ours.shape, ref.shape)
        if ours.dtype.kind != "f":
            worst = max(worst, float(np.any(ours != ref)))
            continue
        scale = float(np.max(np.abs(ref))) or 1.0
        worst = max(worst, float(np.max(np.abs(ours - ref))) / scale)
    return worst


def tf_converter(model: Any) -> tuple[bytes, float]:
    """TensorFlow's own conversion of `model` (frozen first, as the corpus does) and its time."""
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )
    from tflc.dialects.tf_importer_sources import _concrete_functions

    start = time.perf_counter()
    concrete = next(iter(_concrete_functions(model, tf, 1, "model").values()))
    frozen = convert_variables_to_constants_v2(concrete)
    converted = tf.lite.TFLiteConverter.from_concrete_functions([frozen]).convert()
    return bytes(converted), time.perf_counter() - start


def tf_outputs(model: Any, inputs: list[np.ndarray]) -> list[np.ndarray]:
    import keras

    if isinstance(model, keras.Model):
        out = model(inputs if len(inputs) > 1 else inputs[0], training=False)
    else:
        out = model(*inputs)
    out = out if isinstance(out, list | tuple) else [out]
    return [np.asarray(y) for y in out]
