"""`tflc.compile` and the package root: what every target shares."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tflc
from corpus import litert_run
from tflc.backends.tflite.flatbuffer_writer import write_model
from tflc.runtime.tflite_model import read_model

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_compile_reads_dynamic_batch_as_tflite_default(tmp_path):
    """A .tflite whose batch is unknown (shape_signature -1) compiles at its concrete shape."""
    model = read_model(EXAMPLES / "tiny_cnn.tflite")
    for t in model.subgraphs[0].tensors:
        if t.shape and t.shape[0] == 1 and model.constant(t) is None:
            t.shape_signature = [-1, *t.shape[1:]]
    path = tmp_path / "dynamic_batch.tflite"
    path.write_bytes(write_model(model))
    assert "tensor<?x28x28x1xf32>" in tflc.to_text(tflc.load(path))
    compiled = tflc.compile(path, target="cpu")
    x = np.random.default_rng(3).uniform(0, 1, (1, 28, 28, 1)).astype(np.float32)
    (want,) = litert_run(path, [x], kernels="builtin")
    # fused multiply-adds and the cpu's expf against LiteRT's sums and exp: a few ulp
    np.testing.assert_allclose(compiled(x)[0], want, rtol=1e-5, atol=1e-6)


def test_unknown_target_is_one_line_error():
    try:
        tflc.compile(EXAMPLES / "tiny_cnn.tflite", target="fpga")
    except tflc.TflcError as e:
        assert str(e) == "--target: unknown target 'fpga' (choose from cpu, gpu, mcu, tflite)"
    else:
        raise AssertionError("no error")


def test_package_root_exports_the_api_and_it_round_trips_like_litert():
    """The root names are the implementations the API documents, and load -> to_flatbuffer ->
    Interpreter reproduces LiteRT's outputs on the original file."""
    from tflc import api, compiler, converter, quantizer
    from tflc.runtime import cpu_loader, interpreter, kernels

    assert tflc.load is api.load and tflc.to_flatbuffer is api.to_flatbuffer
    assert tflc.convert is converter.convert and tflc.quantize is quantizer.quantize
    assert tflc.compile is compiler.compile and tflc.load_compiled is cpu_loader.load_compiled
    assert tflc.Interpreter is interpreter.Interpreter
    assert tflc.register_kernel is kernels.register_kernel
    path = EXAMPLES / "tiny_cnn.tflite"
    x = np.random.default_rng(0).uniform(-1, 1, (1, 28, 28, 1)).astype(np.float32)
    data = tflc.to_flatbuffer(tflc.load(path))
    (ours,) = tflc.Interpreter(model_content=data)(x)
    (theirs,) = litert_run(path, [x], kernels="builtin")
    # the softmax's exp (numpy's vs LiteRT's) and BLAS sums: measured 1.5e-7 relative
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_tflite_target_runs_the_exported_flatbuffer(tmp_path):
    compiled = tflc.compile(EXAMPLES / "tiny_cnn_int8.tflite", target="tflite")
    x = np.arange(28 * 28, dtype=np.int64).reshape(1, 28, 28, 1).astype(np.int8)
    want = litert_run(EXAMPLES / "tiny_cnn_int8.tflite", [x], kernels="builtin")
    np.testing.assert_array_equal(compiled(x)[0], want[0])
    compiled.save(tmp_path)
    assert (tmp_path / "model.tflite").read_bytes() == compiled.flatbuffer
