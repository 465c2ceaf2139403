"""Inputs, outputs and signature defs of converted models, next to TensorFlow's converter.

TensorFlow's SavedModel path (`from_saved_model`, `from_keras_model`, and `from_concrete_functions`
given the trackable object) writes the signature defs users call through signature runners;
its subgraph inputs and outputs come in a hash-map order once there are more than two. Its
concrete-function path keeps the function's order. tflc writes both: the function's order and
TensorFlow's signature defs.
"""

from __future__ import annotations

import numpy as np
import pytest
import tf_support
import tflc

tf_support.skip_if_gpu_stack_loaded()
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")
from ai_edge_litert.interpreter import Interpreter  # noqa: E402

RNG = np.random.default_rng(11)


class _Functions(tf.Module):
    @tf.function(
        input_signature=[tf.TensorSpec([None, 3], tf.float32), tf.TensorSpec([], tf.int32)]
    )
    def scaled(self, x, n):
        return x * tf.cast(n, tf.float32), x + 1.0

    @tf.function(
        input_signature=[
            tf.TensorSpec([2, 3], tf.float32, name="zed"),
            tf.TensorSpec([2, 3], tf.float32, name="alpha"),
        ]
    )
    def named(self, b, a):
        return {"z_out": b - a, "a_out": a * 2.0, "m_out": tf.reduce_max(a, axis=1)}

    @tf.function(input_signature=[tf.TensorSpec([2], tf.float32, name=f"in{i}") for i in range(11)])
    def many(self, *xs):
        return [xs[i] * float(i + 2) + xs[(i + 1) % 11] for i in range(11)]


def _keras_two_heads():
    keras.utils.set_random_seed(5)
    a, b = keras.Input((4,), name="img"), keras.Input((2,), name="aux")
    h = keras.layers.Dense(3)(keras.layers.Concatenate()([a, b]))
    return keras.Model([a, b], [keras.layers.Dense(2)(h), keras.layers.Dense(1)(h)])


def _sample(detail: dict) -> np.ndarray:
    shape = [max(int(d), 1) for d in detail["shape"]]
    if detail["dtype"] == np.int32:
        return RNG.integers(-3, 4, shape).astype(np.int32)
    return RNG.standard_normal(shape).astype(detail["dtype"])


def _layout(flatbuffer: bytes) -> dict:
    """Subgraph names, input names in order, and each signature's entries in order."""
    interp = Interpreter(model_content=flatbuffer)
    return {
        "inputs": [d["name"] for d in interp.get_input_details()],
        "signatures": interp.get_signature_list(),
        "subgraphs": _subgraph_names(flatbuffer),
    }


def _subgraph_names(flatbuffer: bytes) -> list[str]:
    import tflite

    model = tflite.Model.GetRootAsModel(flatbuffer, 0)
    return [model.Subgraphs(i).Name().decode() for i in range(model.SubgraphsLength())]


def _signature_outputs(flatbuffer: bytes, key: str, feeds: dict) -> dict:
    runner = Interpreter(model_content=flatbuffer).get_signature_runner(key)
    return runner(**feeds)


def _assert_same_signatures(ours: bytes, theirs: bytes) -> None:
    """Same keys, subgraph names, entries (sorted by name, as TF writes them) and, run through
    LiteRT's signature runners on the same feeds, the same value behind every output name."""
    mine, tfs = _layout(ours), _layout(theirs)
    assert mine["subgraphs"] == tfs["subgraphs"]
    assert mine["signatures"] == tfs["signatures"]
    for key in tfs["signatures"]:
        details = Interpreter(model_content=theirs).get_signature_runner(key).get_input_details()
        feeds = {name: _sample(d) for name, d in details.items()}
        got, want = _signature_outputs(ours, key, feeds), _signature_outputs(theirs, key, feeds)
        assert got.keys() == want.keys()
        for name in want:
            np.testing.assert_array_equal(got[name], want[name], err_msg=name)  # same ops


def _tf_function_order(cf) -> bytes:
    """TensorFlow's concrete-function converter, which keeps the function's input and output
    order (it writes no signature defs)."""
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    flatbuffer = tf.lite.TFLiteConverter.from_concrete_functions(
        [convert_variables_to_constants_v2(cf)]
    ).convert()
    return flatbuffer


@pytest.mark.parametrize("method", ["scaled", "named", "many"])
def test_tf_function_order_and_signature_match_tensorflow(method):
    module = _Functions()
    fn = getattr(module, method)
    ours = tflc.convert(fn, output="flatbuffer")
    cf = fn.get_concrete_function()
    theirs = tf.lite.TFLiteConverter.from_concrete_functions([cf], module).convert()
    _assert_same_signatures(ours, theirs)
    # Positions: the function's order, as TensorFlow's concrete-function converter keeps it.
    in_order = _tf_function_order(cf)
    assert _layout(ours)["inputs"] == _layout(in_order)["inputs"]
    inputs = [_sample(d) for d in Interpreter(model_content=in_order).get_input_details()]
    got = tf_support.run_litert(ours, inputs)
    want = tf_support.run_litert(in_order, inputs)
    assert tf_support.max_relative_error(got, want) == 0


def test_saved_model_signatures_match_tensorflow(tmp_path):
    module = _Functions()
    signatures = {"serving_default": module.scaled, "named": module.named, "many": module.many}
    tf.saved_model.save(module, str(tmp_path), signatures=signatures)
    ours = tflc.convert(str(tmp_path), output="flatbuffer")
    theirs = tf.lite.TFLiteConverter.from_saved_model(str(tmp_path)).convert()
    _assert_same_signatures(ours, theirs)
    # A signature's wrapper sorts arguments by name; tflc follows its call to keep the
    # function's order (subgraph 0 is "many": in0 .. in10, not in0, in1, in10, in2, ...).
    assert _layout(ours)["inputs"] == [f"in{i}" for i in range(11)]


def test_keras_model_order_and_signature_match_tensorflow():
    model = _keras_two_heads()
    ours = tflc.convert(model, output="flatbuffer")
    theirs = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    _assert_same_signatures(ours, theirs)
    assert _layout(ours)["inputs"] == ["img", "aux"]
    inputs = [RNG.standard_normal((1, 4), np.float32), RNG.standard_normal((1, 2), np.float32)]
    want = [np.asarray(y) for y in model([inputs[0], inputs[1]], training=False)]
    # TensorFlow's kernels vs LiteRT's: sums in another order
    assert tf_support.max_relative_error(tf_support.run_litert(ours, inputs), want) < 1e-5
