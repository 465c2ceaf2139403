"""The interpreter's API (LiteRT-compatible), its errors, custom kernels, profiling and the
`tflc run` command line."""

from __future__ import annotations

import numpy as np
import pytest
import tflc
from corpus import sample_inputs, tf_model_path
from tflc.backends.tflite.flatbuffer_writer import write_model
from tflc.errors import TflcError
from tflc.runtime.interpreter import Interpreter
from tflc.runtime.kernels import unregister_kernel
from tflc.runtime.tflite_model import OperatorCode, read_model
from tflc.tools import run_cli


@pytest.fixture(scope="module")
def cnn():
    return tf_model_path("cnn", "float32")


@pytest.fixture(scope="module")
def cnn_int8():
    return tf_model_path("cnn", "int8")


def with_custom_op(path, op_index: int, name: str) -> bytes:
    """The model with operator `op_index` turned into custom op `name`."""
    model = read_model(path)
    model.operator_codes.append(OperatorCode(32, name, 1, 32))
    op = model.subgraphs[0].operators[op_index]
    op.opcode_index = len(model.operator_codes) - 1
    op.builtin_options = None
    return write_model(model)


def test_litert_style_api(cnn):
    interp = tflc.Interpreter(model_path=str(cnn))
    interp.allocate_tensors()
    (inp,) = interp.get_input_details()
    (out,) = interp.get_output_details()
    assert inp["dtype"] is np.float32 and list(inp["shape"]) == [1, 32, 32, 3]
    assert set(inp) >= {"name", "index", "shape", "shape_signature", "dtype", "quantization"}
    x = sample_inputs(cnn)[0]
    interp.set_tensor(inp["index"], x)
    interp.invoke()
    y = interp.get_tensor(out["index"])
    assert y.shape == tuple(out["shape"])
    np.testing.assert_array_equal(interp(x)[0], y)  # the call form gives the same result
    model_bytes = cnn.read_bytes()
    np.testing.assert_array_equal(Interpreter(model_content=model_bytes)(x)[0], y)


def test_quantized_details(cnn_int8):
    (inp,) = Interpreter(model_path=cnn_int8).get_input_details()
    scale, zero_point = inp["quantization"]
    assert inp["dtype"] is np.int8 and scale > 0
    assert inp["quantization_parameters"]["scales"].dtype == np.float32


def test_bad_inputs_are_reported_and_interpreter_stays_usable(cnn):
    interp = Interpreter(model_path=cnn)
    interp.allocate_tensors()
    index = interp.get_input_details()[0]["index"]
    x = sample_inputs(cnn)[0]
    with pytest.raises(TflcError, match="input was not set"):
        interp.invoke()
    with pytest.raises(TflcError, match="got dtype float64, expected float32") as e:
        interp.set_tensor(index, x.astype(np.float64))
    assert "input 0" in str(e.value)
    with pytest.raises(TflcError, match=r"got shape \[1, 32, 32\], expected \[1, 32, 32, 3\]"):
        interp.set_tensor(index, x[..., 0])
    with pytest.raises(TflcError, match="is not an input"):
        interp.set_tensor(interp.get_output_details()[0]["index"], x)
    with pytest.raises(TflcError, match="expected a numpy array"):
        interp.set_tensor(index, x.tolist())
    with pytest.raises(TflcError, match="takes 1 input"):
        interp(x, x)
    interp.set_tensor(index, x)
    interp.invoke()
    assert np.isfinite(interp.get_tensor(interp.get_output_details()[0]["index"])).all()


def test_intermediate_tensors(cnn):
    x = sample_inputs(cnn)[0]
    interp = Interpreter(model_path=cnn)
    interp(x)
    model = read_model(cnn)
    intermediate = model.subgraphs[0].operators[0].outputs[0]
    with pytest.raises(TflcError, match="experimental_preserve_all_tensors"):
        interp.get_tensor(intermediate)
    keep = Interpreter(model_path=cnn, experimental_preserve_all_tensors=True)
    keep(x)
    first = keep.get_tensor(intermediate)
    np.testing.assert_array_equal(keep.run_op(0, x)[0], first)


def test_resize_input(cnn):
    interp = Interpreter(model_path=cnn)
    index = interp.get_input_details()[0]["index"]
    interp.resize_tensor_input(index, [3, 32, 32, 3])
    interp.allocate_tensors()
    xs = np.concatenate([sample_inputs(cnn, seed=s)[0] for s in range(3)])
    interp.set_tensor(index, xs)
    interp.invoke()
    batched = interp.get_tensor(interp.get_output_details()[0]["index"])
    single = Interpreter(model_path=cnn)(xs[1:2])[0]
    # BLAS blocks a batch of 3 differently from one row: measured 1 ulp (1.0e-7 relative)
    np.testing.assert_allclose(batched[1:2], single, rtol=1e-6)


def test_unsupported_op_is_named_before_any_work_and_custom_kernels(cnn):
    model = with_custom_op(cnn, 4, "MyAdd")  # node 4: the residual ADD with a fused RELU
    with pytest.raises(TflcError, match=r"node 4 \(MyAdd\): no kernel for op 'MyAdd'"):
        Interpreter(model_content=model)
    calls = []

    def my_add(node, a, b):
        calls.append(node.index)
        return np.maximum(a + b, 0)

    tflc.register_kernel("MyAdd", my_add)
    try:
        x = sample_inputs(cnn)[0]
        y = Interpreter(model_content=model)(x)[0]
        # max(a + b, 0): one rounding, as the builtin ADD with a fused RELU
        np.testing.assert_array_equal(y, Interpreter(model_path=cnn)(x)[0])
        assert calls == [4]
    finally:
        unregister_kernel("MyAdd")


def test_unsupported_type_is_reported_at_construction(tmp_path):
    from test_interpreter_ops import single_op_model, spec

    model = single_op_model(
        "TANH", [spec((4,), "INT16", 0.01, 0)], [spec((4,), "INT16", 1 / 32768, 0)]
    )
    with pytest.raises(TflcError, match=r"node 0 \(TANH\): INT16 input is not supported"):
        Interpreter(model_content=model)


def test_kernel_failure_names_the_node_and_interpreter_recovers():
    from test_interpreter_ops import single_op_model, spec

    model = single_op_model(
        "GATHER", [spec((4, 3)), spec((2,), "INT32")], [spec((2, 3))], {"axis": 0}, "GatherOptions"
    )
    interp = Interpreter(model_content=model)
    params = np.arange(12, dtype=np.float32).reshape(4, 3)
    with pytest.raises(TflcError, match=r"node 0 \(GATHER\): gather index out of range"):
        interp(params, np.array([1, 7], np.int32))
    np.testing.assert_array_equal(interp(params, np.array([3, 0], np.int32))[0], params[[3, 0]])


def test_bad_model_files(tmp_path):
    with pytest.raises(TflcError, match="cannot read file"):
        Interpreter(model_path=tmp_path / "missing.tflite")
    (tmp_path / "junk.tflite").write_bytes(b"not a model at all")
    with pytest.raises(TflcError, match="not a TFLite flatbuffer"):
        Interpreter(model_path=tmp_path / "junk.tflite")
    with pytest.raises(TflcError, match="exactly one of"):
        Interpreter()


def test_profile_report(cnn):
    interp = Interpreter(model_path=cnn)
    profile = interp.enable_profiling()
    x = sample_inputs(cnn)[0]
    for _ in range(3):
        interp(x)
    report = profile.report()
    assert "Run Order" in report and "Summary by node type" in report
    assert "CONV_2D" in report and "DEPTHWISE_CONV_2D" in report
    assert all(len(t.times) == 3 for t in profile.nodes.values())
    by_type = profile.by_op_type()
    assert sum(count for _, count, _ in by_type) == len(read_model(cnn).subgraphs[0].operators)


def test_run_cli(cnn, tmp_path, capsys):
    x = sample_inputs(cnn)[0]
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "out.npz"
    assert run_cli.main([str(cnn), "--input", str(tmp_path / "x.npy"), "--output", str(out)]) == 0
    saved = np.load(out)
    (name,) = saved.files
    np.testing.assert_array_equal(saved[name], Interpreter(model_path=cnn)(x)[0])

    assert run_cli.main([str(cnn), "-i", str(tmp_path / "x.npy"), "--profile", "--runs", "2"]) == 0
    printed = capsys.readouterr().out
    assert "Summary by node type" in printed and name in printed

    np.save(tmp_path / "x64.npy", x.astype(np.float64))
    assert run_cli.main([str(cnn), "-i", str(tmp_path / "x64.npy")]) == 1
    assert "error: input 0" in capsys.readouterr().err
    assert run_cli.main([str(cnn)]) == 1
    assert "takes 1 input(s)" in capsys.readouterr().err
    assert run_cli.main([str(tmp_path / "none.tflite"), "--random-inputs"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
