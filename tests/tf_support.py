"""Shared by the TensorFlow converter tests: run LiteRT, count ops, TensorFlow's converter.

`tflc` (and so MLIR) is imported before TensorFlow on purpose: loading MLIR's libraries after
TensorFlow's crashes the process (both carry LLVM; TensorFlow's symbols win the lookup).

TensorFlow cannot load next to the Vulkan driver's LLVM either (lavapipe links Mesa's): once
the GPU tests have opened a device, a plain `import tensorflow` segfaults. Importing this module
loads TensorFlow the way tflc does (`import_tensorflow_module`, with RTLD_DEEPBIND), so that
any later `import tensorflow` in the session finds it loaded. Where even that is not possible,
`skip_if_gpu_stack_loaded` skips a module and tests/test_tf_isolated.py runs it in a fresh
process.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np
import tflc  # noqa: F401  (must precede TensorFlow, see above)

# Their names sort after the GPU tests' (test_gpu_*, test_fallback_option): collected first, a
# module would not see the GPU stack loaded and would run in the shared process before the GPU
# tests (test_tf_isolated.py checks).
TF_TEST_MODULES = (
    "test_tf_convert.py",
    "test_tf_corpus.py",
    "test_tf_errors.py",
    "test_tf_importer.py",
    "test_tf_layers.py",
    "test_tf_big_models.py",
    "test_quantize_qat_tf.py",
    "test_quantize_int8_neg_tf.py",
    "test_quantize_int16x8.py",
    "test_quantize_recurrent_tf.py",
    "test_tf_classifier_targets.py",
    "test_tf_cpu_models.py",
    "test_tf_signatures.py",
    "test_tf_dynamic_shapes.py",
    "test_tf_indexing_ops.py",
    "test_tf_op_parity.py",
    "test_tf_stateful.py",
    "test_tf_compiled_control_flow.py",
)


def _preload_tensorflow() -> bool:
    from tflc.dialects.tf_importer_sources import import_tensorflow_module
    from tflc.errors import TflcError

    try:
        import_tensorflow_module()
    except TflcError:
        return False
    return True


TENSORFLOW_LOADED = _preload_tensorflow()


def gpu_stack_loaded() -> bool:
    """True when the GPU tests share this process: TensorFlow may load next to wgpu (its
    libraries bind their own symbols), but running its models after a Vulkan device was opened
    crashed in wgpu-native, so the TensorFlow modules then run in fresh processes."""
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
