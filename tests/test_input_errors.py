"""The same mistake in a call's inputs gets the same message from every target: the
interpreter, the tflite target, compiled cpu code, the mcu host build and the gpu runtime
(runtime/input_errors.py words them once)."""

from __future__ import annotations

import numpy as np
import pytest
import tflc
from corpus import tf_model_path
from test_gpu_support import vulkan_skip_reason
from tflc.compiler import compile as tflc_compile
from tflc.errors import TflcError

MLP = tf_model_path("mlp", "float32")


@pytest.fixture(scope="module")
def callables() -> dict[str, object]:
    models: dict[str, object] = {"interpreter": tflc.Interpreter(model_path=str(MLP))}
    for target in ("tflite", "cpu", "mcu"):
        models[target] = tflc_compile(str(MLP), target=target)
    return models


def _message(model, *arrays) -> str:
    with pytest.raises(TflcError) as e:
        model(*arrays)
    return str(e.value)


def _mistakes(model) -> dict[str, str]:
    details = tflc.Interpreter(model_path=str(MLP)).get_input_details()[0]
    shape, name = tuple(details["shape"]), details["name"]
    return {
        "count": _message(model),
        "dtype": _message(model, np.zeros(shape, np.float64)),
        "shape": _message(model, np.zeros((2, *shape), np.float32)),
        "name": name,
    }


def test_every_target_words_a_mistake_alike(callables) -> None:
    expected = _mistakes(callables["interpreter"])
    name = expected.pop("name")
    assert expected == {
        "count": "model call: the model takes 1 input(s), got 0",
        "dtype": f"input 0 '{name}': got dtype float64, expected float32",
        "shape": expected["shape"],
    }
    assert expected["shape"].startswith(f"input 0 '{name}': got shape [2, ")
    for target, model in callables.items():
        got = _mistakes(model)
        got.pop("name")
        assert got == expected, target


def test_the_gpu_runtime_words_a_mistake_alike(callables) -> None:
    if vulkan_skip_reason():
        pytest.skip(vulkan_skip_reason())
    expected = _mistakes(callables["interpreter"])
    assert _mistakes(tflc_compile(str(MLP), target="gpu")) == expected


def test_set_tensor_words_a_mistake_as_a_call_does(callables) -> None:
    interp = tflc.Interpreter(model_path=str(MLP))
    details = interp.get_input_details()[0]
    with pytest.raises(TflcError) as e:
        interp.set_tensor(details["index"], np.zeros(tuple(details["shape"]), np.float64))
    assert str(e.value) == _mistakes(callables["cpu"])["dtype"]
