"""16x8 quantization (int16 activations, int8 weights), with TensorFlow's converter's 16x8
models (built by corpus.py on the same calibration samples) as the reference: the same tensor
types, an SQNR against the float model as good, LiteRT and tflc's interpreter giving the same
outputs, and ops without a 16x8 kernel left float as TensorFlow leaves them."""

from __future__ import annotations

import corpus
import numpy as np
import pytest
import tf_support
import tflc
from test_quantize_int8 import _tflc, mean_sqnr, same_calibration_set
from tflc.errors import TflcError

tf_support.skip_if_gpu_stack_loaded()

MODELS = ["mlp", "cnn", "upsample", "tensor_ops"]
WEIGHTED = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV"}


def quantize_16x8(name: str, io: str = "float32") -> bytes:
    float_path = corpus.tf_model_path(name, "float32")
    calibration = same_calibration_set(float_path, name)
    return tflc.to_flatbuffer(tflc.quantize(float_path, "int16x8", calibration, io=io))


def op_tensors(model) -> list[tuple[str, list[tuple[str, list[int], int]]]]:
    """Per op: its name and, for each input and output, (dtype, zero points, scale count)."""
    interpreter = corpus.litert_interpreter(model)
    tensors = {d["index"]: d for d in interpreter.get_tensor_details()}

    def describe(i: int) -> tuple[str, list[int], int]:
        q = tensors[i]["quantization_parameters"]
        return (
            tensors[i]["dtype"].__name__,
            sorted(set(q["zero_points"].tolist())),
            q["scales"].size,
        )

    return [
        (op["op_name"], [describe(i) for i in [*op["inputs"], *op["outputs"]] if i >= 0])
        for op in interpreter._get_ops_details()
    ]


def weighted_signature(model) -> list[tuple[str, str, str, str]]:
    """(op, input, weights, bias) dtypes of the conv-like ops, in model order."""
    out = []
    for name, ts in op_tensors(model):
        if name in WEIGHTED:
            x, w, b = (ts[2], ts[1], ts[3]) if name == "TRANSPOSE_CONV" else ts[:3]
            out.append((name, x[0], w[0], b[0]))
    return out


@pytest.mark.parametrize("name", MODELS)
def test_16x8_matches_tensorflow(name):
    float_path = corpus.tf_model_path(name, "float32")
    tf_path = corpus.tf_model_path(name, "int16x8")
    ours = quantize_16x8(name)
    assert sorted(corpus.op_names(ours)) == sorted(corpus.op_names(tf_path))
    assert weighted_signature(ours) == weighted_signature(tf_path)
    for op, ts in op_tensors(ours):
        for dtype, zero_points, count in ts:
            if dtype == "int16":  # symmetric activations
                assert zero_points == [0], op
            if op in WEIGHTED and dtype == "int8":  # per-channel weights
                assert zero_points == [0] and count > 1, op
    ours_sqnr, tf_sqnr = mean_sqnr(float_path, ours), mean_sqnr(float_path, tf_path)
    print(f"{name}: SQNR tflc {ours_sqnr:.2f} dB, TensorFlow {tf_sqnr:.2f} dB")
    # the same margin as int8's (test_quantize_int8): ranges chosen as tflc does, not bit for bit
    # as TensorFlow's converter
    assert ours_sqnr >= tf_sqnr - 0.5


@pytest.mark.parametrize("name", MODELS)
def test_16x8_runs_bit_exact_in_litert_and_tflc(name):
    ours = quantize_16x8(name)
    interpreter = tflc.Interpreter(ours)
    for seed in range(3):
        x = corpus.sample_inputs(corpus.tf_model_path(name, "float32"), seed=seed)
        for want, got in zip(corpus.litert_run(ours, x), interpreter(*x), strict=True):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("size", [7, 13, 1003])
def test_float_to_int16_quantize_rounds_as_litert(size):
    """LiteRT rounds ties to even in blocks of 8 and away from zero in the tail."""
    qtype = f"tensor<1x{size}x!quant.uniform<i16:f32, 3.0517578125E-5>>"
    model = tflc.to_flatbuffer(
        tflc.parse(
            f"func.func @main(%x: tensor<1x{size}xf32>) -> {qtype} {{\n"
            f'  %q = "tfl.quantize"(%x) {{qtype = {qtype}}} : (tensor<1x{size}xf32>) -> {qtype}\n'
            f"  return %q : {qtype}\n}}"
        )
    )
    rng = np.random.default_rng(size)
    x = rng.uniform(-1, 1, (1, size)).astype(np.float32)
    x[0, ::2] = np.round(x[0, ::2] * 32768 - 0.5) / 32768 + np.float32(0.5 / 32768)  # ties
    np.testing.assert_array_equal(tflc.Interpreter(model)(x)[0], corpus.litert_run(model, [x])[0])


def test_16x8_int16_io():
    ours = quantize_16x8("cnn", io="int16")
    interpreter = corpus.litert_interpreter(ours)
    details = interpreter.get_input_details() + interpreter.get_output_details()
    assert [d["dtype"] for d in details] == [np.int16, np.int16]
    assert all(d["quantization"][1] == 0 for d in details)
    x = corpus.sample_inputs(ours, seed=5)
    want = corpus.litert_run(ours, x)
    np.testing.assert_array_equal(tflc.Interpreter(ours)(*x)[0], want[0])


def test_ops_without_16x8_kernels_stay_float_as_in_tensorflow():
    """The activations model holds HARD_SWISH, PRELU and ELU, which TensorFlow's converter
    refuses in 16x8 and leaves float when float ops are allowed; tflc leaves them float too
    (and TANH, LOGISTIC, GELU, whose int16 kernels tflc's interpreter lacks)."""
    tf_path = corpus.tf_model_path("activations", "int16x8-float")
    ours = quantize_16x8("activations")

    def float_ops(model) -> set[str]:
        return {op for op, ts in op_tensors(model) if ts[-1][0] == "float32"} - {"DEQUANTIZE"}

    assert {"HARD_SWISH", "PRELU", "ELU"} <= float_ops(tf_path)
    assert float_ops(tf_path) <= float_ops(ours)
    assert float_ops(ours) - float_ops(tf_path) == {"TANH", "LOGISTIC", "GELU"}
    x = corpus.sample_inputs(ours, seed=1)
    np.testing.assert_array_equal(tflc.Interpreter(ours)(*x)[0], corpus.litert_run(ours, x)[0])


@pytest.mark.parametrize(
    "options, problem",
    [
        ({"io": "uint8"}, "--io uint8 needs --mode int8"),
        ({"io": "int16", "calibration": None}, "needs a representative dataset"),
        ({"calibration_method": "mse"}, "int16x8 takes minmax or moving-average"),
    ],
)
def test_16x8_bad_options(options, problem):
    float_path = corpus.tf_model_path("mlp", "float32")
    kwargs = {"calibration": same_calibration_set(float_path, "mlp"), **options}
    with pytest.raises(TflcError, match=problem):
        tflc.quantize(float_path, "int16x8", **kwargs)
    with pytest.raises(TflcError, match="--io int16 needs --mode int16x8"):
        tflc.quantize(float_path, "int8", kwargs["calibration"], io="int16")


def test_cli_int16x8(tmp_path):
    float_path = corpus.tf_model_path("mlp", "float32")
    samples = same_calibration_set(float_path, "mlp")
    npz = tmp_path / "calibration.npz"
    np.savez(npz, np.concatenate([s[0] for s in samples]))
    out = tmp_path / "mlp_16x8.tflite"
    argv = ["quantize", str(float_path), "--mode", "int16x8", "--calibration", str(npz)]
    result = _tflc(*argv, "--io", "int16", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == quantize_16x8("mlp", io="int16")
    bad = _tflc(*argv, "--io", "uint8", "-o", str(tmp_path / "bad.tflite"))
    assert bad.returncode == 1 and bad.stderr.startswith("error: io: --io uint8 needs --mode int8")
    assert "Traceback" not in bad.stderr and not (tmp_path / "bad.tflite").exists()
