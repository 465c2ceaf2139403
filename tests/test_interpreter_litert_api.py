"""`tflc.Interpreter` where a LiteRT user reaches for LiteRT's API: raw tensor views,
variable reset, subgraph count, input resizing and signature runners, each compared with
`ai_edge_litert.interpreter.Interpreter` on the same model and the same calls."""

from __future__ import annotations

import copy
from pathlib import Path

import corpus
import numpy as np
import pytest
import tflc
from test_interpreter_ops import random_input, single_op_model, spec
from tflc.backends.tflite.flatbuffer_writer import write_model
from tflc.errors import TflcError
from tflc.runtime.tflite_model import read_model

# A TensorFlow-converted CNN with a serving signature and fixed input shape [1, 28, 28, 1].
TINY_CNN = Path(tflc.__file__).resolve().parent / "examples" / "tiny_cnn.tflite"


def both(model: Path | bytes):
    ours = (
        tflc.Interpreter(model_content=model)
        if isinstance(model, bytes)
        else tflc.Interpreter(model_path=str(model))
    )
    return corpus.litert_interpreter(model), ours


def assert_close(ours: np.ndarray, litert: np.ndarray) -> None:
    assert ours.shape == litert.shape and ours.dtype == litert.dtype
    # BLAS vs XNNPACK sums, numpy's exp vs LiteRT's: a few ulp (measured 1.5e-7 on tiny_cnn)
    np.testing.assert_allclose(ours, litert, rtol=1e-5, atol=1e-6)


def image(seed: int, batch: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).random((batch, 28, 28, 1), np.float32)


def test_tensor_views_read_and_write_like_litert():
    views = []
    for interp in both(TINY_CNN):
        interp.allocate_tensors()
        inp = interp.tensor(interp.get_input_details()[0]["index"])
        out = interp.tensor(interp.get_output_details()[0]["index"])
        results = []
        for seed in range(2):
            inp()[...] = image(seed)  # written in place: no set_tensor
            interp.invoke()
            results.append(out().copy())
        inp().fill(0.5)
        interp.invoke()
        results.append(out().copy())
        views.append(results)
    litert, ours = views
    for a, b in zip(ours, litert, strict=True):
        assert_close(a, b)
    assert not np.allclose(ours[0], ours[1])  # the writes reached the model


def test_tensor_view_is_the_buffer_and_errors_name_the_tensor():
    interp = tflc.Interpreter(model_path=str(TINY_CNN))
    index = interp.get_input_details()[0]["index"]
    interp.set_tensor(index, image(3))
    view = interp.tensor(index)
    assert np.shares_memory(view(), view())
    np.testing.assert_array_equal(view(), image(3))
    with pytest.raises(TflcError, match="no tensor 9999"):
        interp.tensor(9999)
    intermediate = read_model(TINY_CNN).subgraphs[0].operators[0].outputs[0]
    interp.invoke()
    with pytest.raises(TflcError, match="experimental_preserve_all_tensors"):
        interp.tensor(intermediate)()


def recurrent_model() -> tuple[bytes, dict]:
    """An RNN whose hidden state is a variable tensor carried from one invoke to the next."""
    rng = np.random.default_rng(7)
    b, i, c = 2, 3, 4

    def weights(shape):
        return spec(shape, data=rng.uniform(-0.5, 0.5, shape).astype(np.float32))

    x = spec((b, i))
    ins = [x, weights((c, i)), weights((c, c)), weights((c,)), spec((b, c), variable=True)]
    model = single_op_model(
        "RNN", ins, [spec((b, c))], {"fused_activation_function": "TANH"}, "RNNOptions"
    )
    return model, x


def test_reset_all_variables_like_litert():
    model, x_spec = recurrent_model()
    rng = np.random.default_rng(0)
    xs = [random_input(rng, x_spec)] * 3
    runs = []
    for interp in both(model):
        interp.allocate_tensors()
        (inp,), (out,) = interp.get_input_details(), interp.get_output_details()
        results = []
        for k, x in enumerate(xs):
            if k == 2:
                interp.reset_all_variables()
            interp.set_tensor(inp["index"], x)
            interp.invoke()
            results.append(interp.get_tensor(out["index"]))
        runs.append(results)
    litert, ours = runs
    for a, b in zip(ours, litert, strict=True):
        assert_close(a, b)
    assert not np.allclose(ours[1], ours[0])  # the state carried over ...
    np.testing.assert_array_equal(ours[2], ours[0])  # ... until the reset


def test_num_subgraphs_like_litert():
    model = read_model(TINY_CNN)
    model.subgraphs.append(copy.deepcopy(model.subgraphs[0]))
    two = write_model(model)
    for source in (TINY_CNN, two):
        litert, ours = both(source)
        assert ours.num_subgraphs() == litert.num_subgraphs()
    assert ours.num_subgraphs() == 2


def details_that_litert_reports(details: dict) -> dict:
    return {
        "name": details["name"],
        "index": details["index"],
        "shape": details["shape"].tolist(),
        "dtype": details["dtype"],
        "keys": sorted(details),
    }


def test_resize_tensor_input_like_litert():
    seen = []
    x = image(5, batch=3)
    for interp in both(TINY_CNN):
        index = interp.get_input_details()[0]["index"]
        interp.resize_tensor_input(index, [3, 28, 28, 1])
        interp.allocate_tensors()
        ins = [details_that_litert_reports(d) for d in interp.get_input_details()]
        outs = [details_that_litert_reports(d) for d in interp.get_output_details()]
        interp.set_tensor(index, x)
        interp.invoke()
        seen.append((ins, outs, interp.get_tensor(interp.get_output_details()[0]["index"])))
    (l_ins, l_outs, l_y), (ins, outs, y) = seen
    assert ins == l_ins and outs == l_outs  # output shapes follow the resize before invoke
    assert_close(y, l_y)


def test_strict_resize_is_refused_like_litert():
    litert, ours = both(TINY_CNN)
    index = ours.get_input_details()[0]["index"]
    with pytest.raises(Exception, match="only allows mutating unknown dimensions"):
        litert.resize_tensor_input(index, [2, 28, 28, 1], strict=True)
    with pytest.raises(TflcError, match="only dimensions marked -1"):
        ours.resize_tensor_input(index, [2, 28, 28, 1], strict=True)


def test_signature_runner_like_litert():
    seen = []
    for interp in both(TINY_CNN):
        assert list(interp.get_signature_list()) == ["serving_default"]
        runner = interp.get_signature_runner()
        before = {k: details_that_litert_reports(v) for k, v in runner.get_input_details().items()}
        outs = {k: details_that_litert_reports(v) for k, v in runner.get_output_details().items()}
        (name,) = before
        batch1 = runner(**{name: image(1)})
        batch2 = runner(**{name: image(2, batch=2)})  # resized on the fly, as LiteRT does
        after = {k: v["shape"].tolist() for k, v in runner.get_input_details().items()}
        seen.append((before, outs, batch1, batch2, after))
    litert, ours = seen
    assert ours[0] == litert[0] and ours[1] == litert[1] and ours[4] == litert[4]
    for mine, theirs in zip(ours[2:4], litert[2:4], strict=True):
        assert mine.keys() == theirs.keys()
        for key in mine:
            assert_close(mine[key], theirs[key])
