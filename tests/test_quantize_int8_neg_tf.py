"""NEG under full int8 quantization, with TensorFlow's converter as the reference.

LiteRT's int8 NEG negates the stored values whatever the scales (-128 wraps), so no output
quantization makes it compute -x for every input; TensorFlow's converter keeps NEG in float
between a DEQUANTIZE and a QUANTIZE, and tfl-quantize-int8 does the same (op_traits.INT8_RULES
leaves NEG out). Both converted models run in LiteRT: the NEG keeps the same tensor types in
both, and tflc's int8 model computes the float model's outputs as closely as TensorFlow's.
"""

from __future__ import annotations

import corpus
import numpy as np
import pytest
import tf_support
import tflc
from test_quantize_int8 import run_dequantized, sqnr
from tflc.runtime.interpreter import Interpreter

tf_support.skip_if_gpu_stack_loaded()
tf = pytest.importorskip("tensorflow")

SHAPE = (1, 16)


def neg_function():
    """dense -> relu -> neg -> dense: the NEG's input is non-negative, its output non-positive,
    so a stored-value negation with any one output quantization would be wrong."""
    rng = np.random.default_rng(0)
    w1 = rng.normal(0, 0.4, (16, 12)).astype(np.float32)
    w2 = rng.normal(0, 0.4, (12, 8)).astype(np.float32)

    @tf.function(input_signature=[tf.TensorSpec(SHAPE, tf.float32)])
    def model(x):
        return tf.matmul(tf.negative(tf.nn.relu(tf.matmul(x, w1))), w2)

    return model


def samples(seed: int, count: int) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[rng.uniform(-1, 1, SHAPE).astype(np.float32)] for _ in range(count)]


def neg_tensor_types(flatbuffer: bytes) -> list[tuple[str, str]]:
    """(input dtype, output dtype) of every NEG, as LiteRT reads the model."""
    interpreter = corpus.litert_interpreter(flatbuffer)
    interpreter.allocate_tensors()
    dtypes = {d["index"]: d["dtype"].__name__ for d in interpreter.get_tensor_details()}
    ops = interpreter._get_ops_details()  # noqa: SLF001
    return [
        (dtypes[op["inputs"][0]], dtypes[op["outputs"][0]]) for op in ops if op["op_name"] == "NEG"
    ]


def test_int8_neg_is_kept_float_as_tensorflow_keeps_it():
    model = neg_function()
    calibration = samples(1, 32)
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [model.get_concrete_function()], model
    )
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: iter(calibration)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    tf_model = bytes(converter.convert())
    ours = tflc.to_flatbuffer(tflc.quantize(tflc.convert(model), "int8", calibration, io="int8"))

    assert neg_tensor_types(ours) == neg_tensor_types(tf_model) != []

    ours_sqnr, tf_sqnr = [], []
    for x in samples(2, 8):
        reference = [np.asarray(model(*x))]
        ours_sqnr.append(sqnr(reference, run_dequantized(ours, x)))
        tf_sqnr.append(sqnr(reference, run_dequantized(tf_model, x)))
    # Same quantization of the same graph: within 3 dB of TensorFlow's (~30 dB here).
    assert np.mean(ours_sqnr) > np.mean(tf_sqnr) - 3.0

    # tflc's interpreter runs the model bit for bit as LiteRT does.
    scale, zero_point = corpus.input_details(ours)[0]["quantization"]
    for x in samples(3, 4):
        q = np.clip(np.round(x[0] / scale) + zero_point, -128, 127).astype(np.int8)
        expected = corpus.litert_run(ours, [q], kernels="builtin")
        np.testing.assert_array_equal(Interpreter(model_content=ours)(q)[0], expected[0])
