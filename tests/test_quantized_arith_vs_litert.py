"""Quantized DIV, SQRT, LOG_SOFTMAX and NEG against LiteRT's builtin kernels, bit for bit, on
many random scales, zero points, shapes and inputs (the kernel case tables run one each).

Each trial builds a one-operator model with seeded random parameters; the inputs span the whole
integer range the kernel accepts, so every rounding path of the fixed-point and float
arithmetic is exercised.
"""

from __future__ import annotations

import numpy as np
import pytest
from corpus import litert_run
from test_interpreter_ops import seed_of, single_op_model, spec
from tflc.errors import TflcError
from tflc.runtime.interpreter import Interpreter
from tflc.runtime.kernels.quant_math import QUANT_RANGES
from tflc.runtime.tflite_model import TENSOR_DTYPES

pytest.importorskip("ai_edge_litert")

TRIALS = 12


def _scale(rng: np.random.Generator, lo: float = 1e-3, hi: float = 0.5) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _zero_point(rng: np.random.Generator, t: str) -> int:
    return {"INT8": int(rng.integers(-128, 128)), "UINT8": int(rng.integers(0, 256))}.get(t, 0)


def _values(rng: np.random.Generator, t: str, shape, lo=None) -> np.ndarray:
    t_lo, t_hi = QUANT_RANGES[t]
    return rng.integers(t_lo if lo is None else lo, t_hi, shape, endpoint=True).astype(
        TENSOR_DTYPES[t]
    )


def _assert_same_as_litert(model: bytes, inputs: list[np.ndarray]) -> None:
    expected = litert_run(model, inputs, kernels="builtin")[0]
    actual = Interpreter(model_content=model)(*inputs)[0]
    assert actual.dtype == expected.dtype
    np.testing.assert_array_equal(actual, expected)


DIV_SHAPES = [((2, 3, 5), (2, 3, 5)), ((4, 6), (1, 6)), ((3, 1, 4), (5, 1)), ((7,), (1,))]


@pytest.mark.parametrize("type_name", ["INT8", "UINT8", "INT16"])
def test_div(type_name):
    rng = np.random.default_rng(seed_of("div", type_name))
    for trial in range(TRIALS):
        shape1, shape2 = DIV_SHAPES[trial % len(DIV_SHAPES)]
        out_shape = np.broadcast_shapes(shape1, shape2)
        s1, s2 = _scale(rng), _scale(rng)
        so = s1 / s2 * _scale(rng, 1e-3, 4.0)
        z1, z2, zo = (_zero_point(rng, type_name) for _ in range(3))
        activation = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"][trial % 4]
        model = single_op_model(
            "DIV",
            [spec(shape1, type_name, s1, z1), spec(shape2, type_name, s2, z2)],
            [spec(out_shape, type_name, so, zo)],
            {"fused_activation_function": activation},
            "DivOptions",
        )
        a = _values(rng, type_name, shape1)
        b = _values(rng, type_name, shape2)
        # A divisor equal to its zero point (real 0) is an error (test below).
        b[b.astype(np.int64) == z2] = z2 + 1 if z2 < QUANT_RANGES[type_name][1] else z2 - 1
        _assert_same_as_litert(model, [a, b])


def test_div_by_zero_is_an_error_like_litert():
    """A divisor equal to its zero point is refused; a stored 0 is an ordinary value."""
    model = single_op_model(
        "DIV",
        [spec((3,), "INT8", 0.1, 0), spec((3,), "INT8", 0.1, 5)],
        [spec((3,), "INT8", 0.1, 0)],
        {},
        "DivOptions",
    )
    a = np.array([1, 2, 3], np.int8)
    _assert_same_as_litert(model, [a, np.array([7, 0, 9], np.int8)])
    b = np.array([7, 5, 9], np.int8)
    with pytest.raises(RuntimeError):
        litert_run(model, [a, b], kernels="builtin")
    with pytest.raises(TflcError, match="DIV.*division by zero"):
        Interpreter(model_content=model)(a, b)


@pytest.mark.parametrize("type_name", ["INT8", "INT16"])
def test_sqrt(type_name):
    rng = np.random.default_rng(seed_of("sqrt", type_name))
    for _ in range(TRIALS):
        si, so = _scale(rng), _scale(rng, 1e-3, 0.1)
        zi, zo = _zero_point(rng, type_name), _zero_point(rng, type_name)
        model = single_op_model(
            "SQRT", [spec((4, 64), type_name, si, zi)], [spec((4, 64), type_name, so, zo)]
        )
        _assert_same_as_litert(model, [_values(rng, type_name, (4, 64), lo=zi)])


def test_sqrt_of_a_negative_value_is_an_error_like_litert():
    model = single_op_model("SQRT", [spec((3,), "INT8", 0.1, 4)], [spec((3,), "INT8", 0.1, 0)])
    x = np.array([9, 3, 5], np.int8)  # 3 is below the zero point: a negative real value
    with pytest.raises(RuntimeError):
        litert_run(model, [x], kernels="builtin")
    with pytest.raises(TflcError, match="SQRT.*non-negative"):
        Interpreter(model_content=model)(x)


@pytest.mark.parametrize("type_name,zero_point", [("INT8", 127), ("UINT8", 255)])
def test_log_softmax(type_name, zero_point):
    rng = np.random.default_rng(seed_of("log_softmax", type_name))
    for trial in range(TRIALS):
        shape = [(1, 1), (3, 10), (2, 5, 37), (2, 300)][trial % 4]
        model = single_op_model(
            "LOG_SOFTMAX",
            [spec(shape, type_name, _scale(rng, 1e-3, 2.0), _zero_point(rng, type_name))],
            [spec(shape, type_name, 16 / 256, zero_point)],
            {},
            "LogSoftmaxOptions",
        )
        _assert_same_as_litert(model, [_values(rng, type_name, shape)])


@pytest.mark.parametrize("type_name", ["INT8", "INT16"])
def test_neg_negates_stored_values_like_litert(type_name):
    """LiteRT ignores the quantization of an integer NEG: -q, with the lowest value wrapping."""
    rng = np.random.default_rng(seed_of("neg", type_name))
    lo, hi = QUANT_RANGES[type_name]
    x = np.concatenate([[lo, lo + 1, 0, hi], _values(rng, type_name, (60,))])
    x = x.astype(TENSOR_DTYPES[type_name])
    model = single_op_model(
        "NEG",
        [spec(x.shape, type_name, 0.05, _zero_point(rng, type_name))],
        [spec(x.shape, type_name, 0.03, _zero_point(rng, type_name))],
    )
    _assert_same_as_litert(model, [x])


@pytest.mark.parametrize("out_scale", [1e-9, 3e-9, 1e-10, 1e-38])
@pytest.mark.parametrize("op", ["RELU", "RELU6", "RELU_N1_TO_1"])
def test_relu_bounds_past_int32_run_like_litert_on_every_target(op, out_scale):
    """An output scale so small that bound / scale passes int32 (an OverflowError once). C
    leaves LiteRT's cast of the bound undefined (x86 gives INT32_MIN) and its int32 left shift
    by a multiplier's exponent too (it wraps): tflc computes what LiteRT's x86 build does, up
    to multipliers past 2^61 (scale 1e-38: compared across tflc's targets only). The cpu and
    mcu targets store the interpreter's table of the op."""
    import tflc

    x = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    for zero_point in (-128, -1, 0, 5):
        model = single_op_model(
            op,
            [spec(x.shape, "INT8", [0.05], [-3])],
            [spec(x.shape, "INT8", [out_scale], [zero_point])],
        )
        if out_scale > 1e-20:
            _assert_same_as_litert(model, [x])
        expected = Interpreter(model_content=model)(x)[0]
        module = tflc.load(model)
        for target in ("cpu", "mcu"):
            actual = tflc.compile(module, target=target)(x)[0]
            np.testing.assert_array_equal(actual, expected, err_msg=target)
