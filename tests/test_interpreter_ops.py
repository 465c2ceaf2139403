"""Single-op models against LiteRT: every quantized kernel bit for bit, float kernels equal where
float32 gives the result exactly, else to 1e-5 (float_rtol).

Each case builds a one-operator .tflite (random shapes, scales and zero points) with the
flatbuffer writer and runs it in tflc's interpreter and in LiteRT's builtin kernels
(XNNPACK off: it requantizes in float, TFLite's kernels in fixed point).
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from corpus import litert_run
from tflc.backends.tflite.flatbuffer_writer import write_model
from tflc.runtime.interpreter import Interpreter
from tflc.runtime.op_traits import float32_class
from tflc.runtime.tflite_model import (
    TENSOR_DTYPES,
    Model,
    Operator,
    OperatorCode,
    Quantization,
    SubGraph,
    Tensor,
    read_model,
)
from tflc.runtime.tflite_schema import BUILTIN_OPERATOR_CODES

pytest.importorskip("ai_edge_litert")

INT_RANGES = {"INT8": (-128, 127), "UINT8": (0, 255), "INT16": (-1000, 1000), "INT32": (-50, 50)}


def seed_of(*parts) -> int:
    """A seed that is the same in every process (hash() of strings is not)."""
    return zlib.crc32(repr(parts).encode())


def spec(shape, type="FLOAT32", scale=None, zp=None, data=None, qdim=0, variable=False) -> dict:
    return {
        "shape": list(shape),
        "type": type,
        "scale": scale,
        "zp": zp,
        "data": data,
        "qdim": qdim,
        "variable": variable,
    }


def single_op_model(op, inputs, outputs, options=None, table=None, version=1) -> bytes:
    """A .tflite holding one operator; `inputs` with `data` become constants."""
    buffers: list[bytes] = [b""]
    tensors: list[Tensor] = []

    def add(s: dict, name: str) -> int:
        quant = None
        if s["scale"] is not None:
            scales = np.atleast_1d(s["scale"]).astype(np.float32).astype(float).tolist()
            zps = np.atleast_1d(s["zp"] if s["zp"] is not None else 0).astype(int).tolist()
            zps = zps * len(scales) if len(zps) < len(scales) else zps
            quant = Quantization(scale=scales, zero_point=zps, quantized_dimension=s["qdim"])
        buffer = 0
        if s["data"] is not None:
            data = np.ascontiguousarray(s["data"], dtype=TENSOR_DTYPES[s["type"]])
            buffers.append(data.tobytes())
            buffer = len(buffers) - 1
        tensors.append(Tensor(name, s["shape"], s["type"], buffer, quant, s["variable"]))
        return len(tensors) - 1

    ins = [add(s, f"input{i}") if s is not None else -1 for i, s in enumerate(inputs)]
    outs = [add(s, f"output{i}") for i, s in enumerate(outputs)]
    code = BUILTIN_OPERATOR_CODES[op]
    opcode = OperatorCode(code, None, version, min(code, 127))
    operator = Operator(0, ins, outs, builtin_options=(table, options or {}) if table else None)
    graph_inputs = [t for t, s in zip(ins, inputs, strict=True) if is_graph_input(s)]
    graph = SubGraph("main", tensors, graph_inputs, outs, [operator])
    return write_model(Model(3, "", [opcode], [graph], buffers, [], []))


def assert_close(actual: np.ndarray, expected: np.ndarray, rtol: float) -> None:
    """Max error relative to the largest magnitude; NaN and inf must sit at the same places."""
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(
        actual[~finite & ~np.isnan(expected)], expected[~finite & ~np.isnan(expected)]
    )
    a, e = actual[finite].astype(np.float64), expected[finite].astype(np.float64)
    scale = max(float(np.abs(e).max(initial=0.0)), 1e-30)
    assert float(np.abs(a - e).max(initial=0.0)) / scale <= rtol


# Float tolerance where float32 does not fix the result: transcendental functions from different
# math libraries (numpy vs LiteRT's libm / Eigen) a few ulp apart, sums in another order.
FLOAT_RTOL = 1e-5


def float_rtol(op: str) -> float:
    """The float tolerance of a one-op model of builtin `op`: 0 where float32 gives the result
    exactly whatever the implementation (op_traits.float32_class "exact" and "rounded": moves,
    comparisons, clamps, one correctly rounded add/sub/mul), else FLOAT_RTOL."""
    return 0.0 if float32_class(op) in ("exact", "rounded") else FLOAT_RTOL


def is_graph_input(s: dict | None) -> bool:
    return s is not None and s["data"] is None and not s["variable"]


def random_input(rng: np.random.Generator, s: dict) -> np.ndarray:
    if s["type"] == "FLOAT32":
        return rng.uniform(-2, 2, s["shape"]).astype(np.float32)
    lo, hi = INT_RANGES[s["type"]]
    return rng.integers(lo, hi, s["shape"], endpoint=True).astype(TENSOR_DTYPES[s["type"]])


def assert_matches_litert(model: bytes, inputs: list, seed: int = 0, trials: int = 2) -> None:
    rng = np.random.default_rng(seed)
    interp = Interpreter(model_content=model)
    rtol = max(float_rtol(code.name) for code in read_model(model).operator_codes)
    for _ in range(trials):
        xs = [random_input(rng, s) for s in inputs if is_graph_input(s)]
        expected = litert_run(model, xs, kernels="builtin")
        actual = interp(*xs)
        for a, e in zip(actual, expected, strict=True):
            assert a.shape == e.shape and a.dtype == e.dtype
            if e.dtype.kind == "f":
                assert_close(a, e, rtol)
            else:
                np.testing.assert_array_equal(a, e)


# --- case builders -------------------------------------------------------------------------


class Quant:
    """Random quantization parameters per tensor type, reproducible per case."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def __call__(self, shape, t="INT8", scale=None, zp=None, data=None, qdim=0) -> dict:
        if scale is None:
            scale = float(self.rng.uniform(0.005, 0.1))
        if zp is None:
            zp = {
                "INT8": int(self.rng.integers(-20, 20)),
                "UINT8": int(self.rng.integers(100, 150)),
            }
            zp = zp.get(t, 0)
        return spec(shape, t, scale, zp, data, qdim)

    def weights(self, shape, t, per_channel, axis=0) -> dict:
        if t == "UINT8":
            data = self.rng.integers(0, 256, shape)
            return spec(shape, t, float(self.rng.uniform(0.005, 0.02)), 130, data)
        scales = self.rng.uniform(0.002, 0.02, shape[axis] if per_channel else 1)
        data = self.rng.integers(-127, 128, shape)
        return spec(shape, "INT8", scales, [0] * len(scales), data, axis)

    def bias(self, n, t, in_scale, w_scales) -> dict:
        scales = (np.float32(in_scale) * np.asarray(w_scales, np.float32)).astype(float)
        kind, bound = ("INT64", 20000) if t == "INT16" else ("INT32", 2000)
        return spec([n], kind, scales, 0, self.rng.integers(-bound, bound, n))


def i32(values, shape=None) -> dict:
    return spec(shape if shape is not None else [len(values)], "INT32", data=np.array(values))


QTYPES = ["INT8", "UINT8", "INT16"]
BINARY_SHAPES = [
    ((1, 8, 8, 16), (1, 8, 8, 16)),
    ((1, 7, 5, 3), (1, 7, 5, 3)),
    ((1, 8, 8, 16), (1, 1, 1, 16)),
    ((1, 8, 8, 16), (1, 8, 8, 1)),
    ((2, 3, 4, 5), (3, 1, 5)),
    ((1, 33), (1, 33)),
    ((4, 1, 3), (1, 5, 3)),
]


@pytest.mark.parametrize("t", QTYPES)
@pytest.mark.parametrize("op", ["ADD", "SUB", "MUL"])
@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=lambda s: f"{s[0]}+{s[1]}")
def test_quantized_binary(op, t, shapes):
    q = Quant(seed_of((op, t, shapes)))
    a, b = shapes
    out = np.broadcast_shapes(a, b)
    for act in ("NONE", "RELU6"):
        ins = [q(a, t), q(b, t)]
        table = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions"}[op]
        opts = {"fused_activation_function": act, "pot_scale_int16": False}
        model = single_op_model(op, ins, [q(out, t)], opts, table)
        assert_matches_litert(model, ins)


CONV_GEOMETRIES = [
    (9, 9, 8, 16, 3, 1, "SAME", "NONE"),
    (10, 10, 3, 5, 3, 2, "VALID", "RELU6"),
    (8, 8, 17, 33, 1, 1, "SAME", "RELU"),
    (7, 7, 16, 8, 5, 2, "SAME", "NONE"),
    (8, 8, 4, 8, 3, 2, "SAME", "RELU"),  # odd SAME padding: the extra row and column go after
]


def _out_size(size, k, s, pad):
    return (size + s - 1) // s if pad == "SAME" else (size - k + s) // s


@pytest.mark.parametrize(
    "t,per_channel", [("INT8", True), ("INT8", False), ("UINT8", False), ("INT16", True)]
)
@pytest.mark.parametrize("geometry", CONV_GEOMETRIES, ids=lambda g: "x".join(map(str, g)))
def test_quantized_conv_and_depthwise(t, per_channel, geometry):
    h, w, cin, cout, k, s, pad, act = geometry
    q = Quant(seed_of((t, per_channel, geometry)))
    x = q((1, h, w, cin), t)
    oh, ow = _out_size(h, k, s, pad), _out_size(w, k, s, pad)
    conv_opts = {"padding": pad, "stride_w": s, "stride_h": s, "fused_activation_function": act}
    weights = q.weights((cout, k, k, cin), t, per_channel)
    bias = q.bias(cout, t, x["scale"], weights["scale"])
    model = single_op_model(
        "CONV_2D", [x, weights, bias], [q((1, oh, ow, cout), t)], conv_opts, "Conv2DOptions", 3
    )
    assert_matches_litert(model, [x, weights, bias])
    mult = 1 if cin > 3 else 2
    dw = q.weights((1, k, k, cin * mult), t, per_channel, axis=3)
    dw_bias = q.bias(cin * mult, t, x["scale"], dw["scale"])
    opts = dict(conv_opts, depth_multiplier=mult)
    model = single_op_model(
        "DEPTHWISE_CONV_2D",
        [x, dw, dw_bias],
        [q((1, oh, ow, cin * mult), t)],
        opts,
        "DepthwiseConv2DOptions",
        3,
    )
    assert_matches_litert(model, [x, dw, dw_bias])


@pytest.mark.parametrize(
    "t,per_channel", [("INT8", True), ("INT8", False), ("UINT8", False), ("INT16", True)]
)
@pytest.mark.parametrize("dims", [(1, 64, 10), (3, 37, 21), (2, 256, 100)], ids=str)
def test_quantized_fully_connected(t, per_channel, dims):
    b, din, dout = dims
    q = Quant(seed_of((t, per_channel, dims)))
    x = q((b, din), t)
    weights = q.weights((dout, din), t, per_channel)
    bias = q.bias(dout, t, x["scale"], weights["scale"])
    opts = {"fused_activation_function": "NONE"}
    version = 5 if t == "INT16" else 4
    model = single_op_model(
        "FULLY_CONNECTED",
        [x, weights, bias],
        [q((b, dout), t)],
        opts,
        "FullyConnectedOptions",
        version,
    )
    assert_matches_litert(model, [x, weights, bias])


def test_quantized_transpose_conv_and_batch_matmul():
    q = Quant(7)
    for h, cin, cout, k, s in [(4, 8, 16, 3, 2), (5, 3, 10, 2, 2), (6, 16, 4, 3, 1)]:
        x = q((1, h, h, cin))
        weights = q.weights((cout, k, k, cin), "INT8", True)
        oh = h * s
        opts = {"padding": "SAME", "stride_w": s, "stride_h": s}
        ins = [i32([1, oh, oh, cout]), weights, x]
        model = single_op_model(
            "TRANSPOSE_CONV", ins, [q((1, oh, oh, cout))], opts, "TransposeConvOptions", 3
        )
        assert_matches_litert(model, ins)
    for sa, sb in [((2, 3, 4), (2, 4, 5)), ((1, 16, 32), (1, 32, 8))]:
        ins = [q(sa), q(sb)]
        out = q(sa[:-1] + (sb[-1],))
        model = single_op_model("BATCH_MATMUL", ins, [out], {}, "BatchMatMulOptions")
        assert_matches_litert(model, ins)


POOLS = [
    ((1, 9, 9, 16), 3, 2, "SAME"),
    ((1, 8, 8, 20), 2, 2, "VALID"),
    ((1, 10, 6, 17), 3, 1, "SAME"),
]


@pytest.mark.parametrize("t", QTYPES)
def test_quantized_pooling_and_reductions(t):
    q = Quant(seed_of(("pool", t)))
    for shape, k, s, pad in POOLS:
        oh, ow = _out_size(shape[1], k, s, pad), _out_size(shape[2], k, s, pad)
        for op in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
            x = q(shape, t)
            out = spec((1, oh, ow, shape[3]), t, x["scale"], x["zp"])
            opts = {
                "padding": pad,
                "stride_w": s,
                "stride_h": s,
                "filter_width": k,
                "filter_height": k,
            }
            assert_matches_litert(single_op_model(op, [x], [out], opts, "Pool2DOptions"), [x])
    for shape, axes, keep in [
        ((1, 7, 7, 32), [1, 2], True),
        ((1, 7, 7, 19), [1, 2], True),
        ((1, 7, 7, 32), [1, 2], False),
        ((3, 4, 5), [0, 2], True),
    ]:
        out_shape = (
            [1 if i in axes else d for i, d in enumerate(shape)]
            if keep
            else [d for i, d in enumerate(shape) if i not in axes]
        )
        for op in ("MEAN", "SUM") if t != "INT16" else ("MEAN",):
            ins = [q(shape, t), i32(axes)]
            model = single_op_model(
                op, ins, [q(out_shape, t)], {"keep_dims": keep}, "ReducerOptions"
            )
            assert_matches_litert(model, ins)


@pytest.mark.parametrize("t", ["INT8", "UINT8"])
def test_quantized_activations(t):
    q = Quant(seed_of(("act", t)))
    for shape in [(1, 10), (2, 3, 37), (1, 1001)]:
        x = q(shape, t)
        softmax_out = q(shape, t, 1 / 256, -128 if t == "INT8" else 0)
        model = single_op_model("SOFTMAX", [x], [softmax_out], {"beta": 1.0}, "SoftmaxOptions")
        assert_matches_litert(model, [x])
        outputs = {
            "LOGISTIC": (1 / 256, -128 if t == "INT8" else 0),
            "TANH": (1 / 128, 0 if t == "INT8" else 128),
            "HARD_SWISH": (None, None),
            "RELU": (None, None),
            "RELU6": (None, None),
            "RELU_N1_TO_1": (None, None),
        }
        if t == "INT8":
            outputs["ELU"] = (None, None)
        for op, (scale, zp) in outputs.items():
            x = q(shape, t)
            assert_matches_litert(single_op_model(op, [x], [q(shape, t, scale, zp)]), [x])
        x = q(shape, t)
        model = single_op_model("GELU", [x], [q(shape, t)], {"approximate": False}, "GeluOptions")
        assert_matches_litert(model, [x])
        model = single_op_model(
            "LEAKY_RELU", [x], [q(shape, t)], {"alpha": 0.1}, "LeakyReluOptions"
        )
        assert_matches_litert(model, [x])
    alpha = q((4,), t, data=np.arange(-40, 40, 20) + (128 if t == "UINT8" else 0))
    x = q((1, 8, 8, 4), t)
    assert_matches_litert(single_op_model("PRELU", [x, alpha], [q((1, 8, 8, 4), t)]), [x, alpha])


@pytest.mark.parametrize("t", QTYPES)
def test_quantized_data_movement(t):
    q = Quant(seed_of(("move", t)))
    for (ih, iw), (oh, ow) in [((4, 4), (8, 8)), ((5, 7), (13, 9)), ((8, 8), (3, 5))]:
        for align, half in [(False, False), (True, False), (False, True)]:
            x = q((1, ih, iw, 3), t)
            out = spec((1, oh, ow, 3), t, x["scale"], x["zp"])
            opts = {"align_corners": align, "half_pixel_centers": half}
            for op, table in [
                ("RESIZE_BILINEAR", "ResizeBilinearOptions"),
                ("RESIZE_NEAREST_NEIGHBOR", "ResizeNearestNeighborOptions"),
            ]:
                ins = [x, i32([oh, ow])]
                assert_matches_litert(single_op_model(op, ins, [out], opts, table), ins)
    for shape in [(1, 37), (2, 16), (5,)]:
        x = spec(shape)
        assert_matches_litert(single_op_model("QUANTIZE", [x], [q(shape, t)]), [x])
        x = q(shape, t)
        assert_matches_litert(single_op_model("DEQUANTIZE", [x], [spec(shape)]), [x])
        for t2 in ("INT8", "UINT8", "INT16") if t != "INT16" else ("INT8", "INT16"):
            x = q(shape, t)
            assert_matches_litert(single_op_model("QUANTIZE", [x], [q(shape, t2)]), [x])
    x = q((1, 5, 5, 3), t)
    ins = [x, i32([0, 0, 1, 2, 2, 1, 0, 0], [4, 2])]
    out = spec((1, 8, 8, 3), t, x["scale"], x["zp"])
    assert_matches_litert(single_op_model("PAD", ins, [out]), ins)
    for op in ("EQUAL", "LESS", "GREATER_EQUAL"):
        ins = [q((2, 5), t), q((2, 5), t)]
        assert_matches_litert(single_op_model(op, ins, [spec((2, 5), "BOOL")]), ins)
    if t == "UINT8":  # int8 concatenation requires equal scales; uint8 rescales
        ins = [q((1, 4, 4, 3), t), q((1, 4, 4, 5), t)]
        opts = {"axis": 3}
        model = single_op_model(
            "CONCATENATION", ins, [q((1, 4, 4, 8), t)], opts, "ConcatenationOptions"
        )
        assert_matches_litert(model, ins)


@pytest.mark.parametrize("asymmetric", [True, False])
@pytest.mark.parametrize("per_channel", [True, False])
def test_hybrid_kernels(asymmetric, per_channel):
    """Dynamic-range kernels quantize float inputs per row exactly as LiteRT does."""
    q = Quant(seed_of(("hybrid", asymmetric, per_channel)))
    rng = q.rng
    x = spec((3, 40))
    weights = q.weights((12, 40), "INT8", per_channel)
    bias = spec((12,), data=rng.standard_normal(12))
    opts = {"asymmetric_quantize_inputs": asymmetric}
    model = single_op_model(
        "FULLY_CONNECTED", [x, weights, bias], [spec((3, 12))], opts, "FullyConnectedOptions", 3
    )
    assert_matches_litert(model, [x, weights, bias])
    if asymmetric:
        x = spec((1, 9, 9, 8))
        weights = q.weights((6, 3, 3, 8), "INT8", per_channel)
        bias = spec((6,), data=rng.standard_normal(6))
        opts = {"padding": "SAME", "stride_w": 1, "stride_h": 1}
        model = single_op_model(
            "CONV_2D", [x, weights, bias], [spec((1, 9, 9, 6))], opts, "Conv2DOptions", 2
        )
        assert_matches_litert(model, [x, weights, bias])


F = spec


def _float_cases():
    rng = np.random.default_rng(3)

    def w(shape):
        return spec(shape, data=rng.standard_normal(shape))

    scalar = {"INT32": lambda v: spec([], "INT32", data=np.array(v))}
    cases = [
        (
            "STRIDED_SLICE",
            [F((2, 5, 4)), i32([0, 1, 0]), i32([2, 5, 4]), i32([1, 2, 1])],
            [F((2, 2, 4))],
            {},
            "StridedSliceOptions",
            4,
        ),
        (
            "STRIDED_SLICE",
            [F((2, 5, 4)), i32([0, -1]), i32([0, 0]), i32([1, 1])],
            [F((2,))],
            {"begin_mask": 1, "shrink_axis_mask": 2},
            "StridedSliceOptions",
            4,
        ),
        (
            "STRIDED_SLICE",
            [F((2, 5, 4)), i32([0, 0, 0]), i32([2, 5, 4]), i32([1, 1, 1])],
            [F((2, 1, 5, 4))],
            {"new_axis_mask": 2},
            "StridedSliceOptions",
            4,
        ),
        (
            "GATHER",
            [F((3, 5, 4)), i32([4, 0, 2, 2], [2, 2])],
            [F((3, 2, 2, 4))],
            {"axis": 1},
            "GatherOptions",
            1,
        ),
        (
            "GATHER",
            [F((2, 5, 4)), i32([4, 0, 1, 3, 3, 3], [2, 3])],
            [F((2, 3, 4))],
            {"axis": 1, "batch_dims": 1},
            "GatherOptions",
            4,
        ),
        ("GATHER_ND", [F((3, 5, 4)), i32([2, 1, 0, 4], [2, 2])], [F((2, 4))], None, None, 1),
        (
            "SCATTER_ND",
            [i32([2, 1, 0, 4, 2, 1], [3, 2]), F((3, 4)), i32([3, 5, 4])],
            [F((3, 5, 4))],
            None,
            None,
            1,
        ),
        ("SLICE", [F((3, 5, 4)), i32([1, 0, 2]), i32([2, -1, 2])], [F((2, 5, 2))], None, None, 1),
        ("TRANSPOSE", [F((2, 3, 4, 5)), i32([0, 3, 1, 2])], [F((2, 5, 3, 4))], None, None, 1),
        (
            "PACK",
            [F((3, 4)), F((3, 4))],
            [F((3, 2, 4))],
            {"values_count": 2, "axis": 1},
            "PackOptions",
            1,
        ),
        (
            "UNPACK",
            [F((3, 2, 4))],
            [F((3, 4)), F((3, 4))],
            {"num": 2, "axis": 1},
            "UnpackOptions",
            1,
        ),
        (
            "SPLIT",
            [scalar["INT32"](2), F((2, 3, 6))],
            [F((2, 3, 2))] * 3,
            {"num_splits": 3},
            "SplitOptions",
            1,
        ),
        (
            "SPLIT_V",
            [F((2, 7, 3)), i32([2, -1, 1]), scalar["INT32"](1)],
            [F((2, 2, 3)), F((2, 4, 3)), F((2, 1, 3))],
            {"num_splits": 3},
            "SplitVOptions",
            1,
        ),
        ("TILE", [F((2, 3)), i32([2, 3])], [F((4, 9))], None, None, 1),
        (
            "MIRROR_PAD",
            [F((1, 4, 5, 2)), i32([0, 0, 2, 1, 1, 2, 0, 0], [4, 2])],
            [F((1, 7, 8, 2))],
            {"mode": "REFLECT"},
            "MirrorPadOptions",
            1,
        ),
        (
            "MIRROR_PAD",
            [F((1, 4, 5, 2)), i32([0, 0, 2, 1, 1, 2, 0, 0], [4, 2])],
            [F((1, 7, 8, 2))],
            {"mode": "SYMMETRIC"},
            "MirrorPadOptions",
            1,
        ),
        (
            "PADV2",
            [F((2, 3)), i32([1, 0, 0, 2], [2, 2]), spec([], data=np.array(1.5))],
            [F((3, 5))],
            None,
            None,
            1,
        ),
        (
            "DEPTH_TO_SPACE",
            [F((1, 3, 4, 8))],
            [F((1, 6, 8, 2))],
            {"block_size": 2},
            "DepthToSpaceOptions",
            1,
        ),
        (
            "SPACE_TO_DEPTH",
            [F((1, 6, 8, 2))],
            [F((1, 3, 4, 8))],
            {"block_size": 2},
            "SpaceToDepthOptions",
            1,
        ),
        (
            "SPACE_TO_BATCH_ND",
            [F((1, 5, 6, 2)), i32([2, 3]), i32([1, 0, 0, 0], [2, 2])],
            [F((6, 3, 2, 2))],
            None,
            None,
            1,
        ),
        (
            "BATCH_TO_SPACE_ND",
            [F((6, 3, 2, 2)), i32([2, 3]), i32([1, 0, 0, 0], [2, 2])],
            [F((1, 5, 6, 2))],
            None,
            None,
            1,
        ),
        (
            "ARG_MAX",
            [F((3, 5, 4)), i32([1])],
            [spec((3, 4), "INT64")],
            {"output_type": "INT64"},
            "ArgMaxOptions",
            1,
        ),
        (
            "CUMSUM",
            [F((3, 5)), scalar["INT32"](1)],
            [F((3, 5))],
            {"exclusive": True, "reverse": True},
            "CumsumOptions",
            1,
        ),
        (
            "TOPK_V2",
            [F((3, 10)), scalar["INT32"](4)],
            [F((3, 4)), spec((3, 4), "INT32")],
            None,
            None,
            1,
        ),
        (
            "SELECT_V2",
            [spec((3, 1), "BOOL", data=np.array([[1], [0], [1]], bool)), F((3, 4)), F((1, 4))],
            [F((3, 4))],
            None,
            None,
            1,
        ),
        ("L2_NORMALIZATION", [F((2, 3, 40))], [F((2, 3, 40))], {}, "L2NormOptions", 1),
        (
            "LOCAL_RESPONSE_NORMALIZATION",
            [F((1, 3, 4, 20))],
            [F((1, 3, 4, 20))],
            {"radius": 2, "bias": 1.0, "alpha": 0.5, "beta": 0.75},
            "LocalResponseNormalizationOptions",
            1,
        ),
        ("GELU", [F((2, 50))], [F((2, 50))], {"approximate": False}, "GeluOptions", 1),
        ("GELU", [F((2, 50))], [F((2, 50))], {"approximate": True}, "GeluOptions", 1),
        (
            "CONV_2D",
            [F((1, 10, 10, 4)), w((6, 3, 3, 4)), w((6,))],
            [F((1, 10, 10, 6))],
            {
                "padding": "SAME",
                "stride_w": 1,
                "stride_h": 1,
                "dilation_w_factor": 2,
                "dilation_h_factor": 2,
                "fused_activation_function": "RELU",
            },
            "Conv2DOptions",
            1,
        ),
        (
            "DEPTHWISE_CONV_2D",
            [F((1, 10, 10, 4)), w((1, 3, 3, 8)), w((8,))],
            [F((1, 10, 10, 8))],
            {
                "padding": "SAME",
                "stride_w": 1,
                "stride_h": 1,
                "depth_multiplier": 2,
                "dilation_w_factor": 2,
                "dilation_h_factor": 2,
            },
            "DepthwiseConv2DOptions",
            2,
        ),
        (
            "TRANSPOSE_CONV",
            [i32([1, 11, 11, 5]), w((5, 3, 3, 4)), F((1, 5, 5, 4)), w((5,))],
            [F((1, 11, 11, 5))],
            {"padding": "VALID", "stride_w": 2, "stride_h": 2},
            "TransposeConvOptions",
            3,
        ),
        (
            "L2_POOL_2D",
            [F((1, 6, 6, 3))],
            [F((1, 3, 3, 3))],
            {
                "padding": "VALID",
                "stride_w": 2,
                "stride_h": 2,
                "filter_width": 2,
                "filter_height": 2,
            },
            "Pool2DOptions",
            1,
        ),
        (
            "BATCH_MATMUL",
            [F((2, 4, 3)), F((1, 5, 4))],
            [F((2, 3, 5))],
            {"adj_x": True, "adj_y": True},
            "BatchMatMulOptions",
            1,
        ),
        (
            "FULLY_CONNECTED",
            [F((2, 3, 8)), w((5, 8)), w((5,))],
            [F((2, 3, 5))],
            {"keep_num_dims": True},
            "FullyConnectedOptions",
            5,
        ),
        (
            "ONE_HOT",
            [
                i32([1, 3, 0]),
                scalar["INT32"](4),
                spec([], data=np.array(2.0)),
                spec([], data=np.array(-1.0)),
            ],
            [F((3, 4))],
            {"axis": -1},
            "OneHotOptions",
            1,
        ),
        (
            "AVERAGE_POOL_2D",
            [F((1, 7, 7, 3))],
            [F((1, 4, 4, 3))],
            {
                "padding": "SAME",
                "stride_w": 2,
                "stride_h": 2,
                "filter_width": 3,
                "filter_height": 3,
            },
            "Pool2DOptions",
            1,
        ),
    ]
    for op in [
        "ADD",
        "SUB",
        "MUL",
        "DIV",
        "FLOOR_DIV",
        "FLOOR_MOD",
        "MAXIMUM",
        "MINIMUM",
        "SQUARED_DIFFERENCE",
        "POW",
    ]:
        cases.append((op, [F((2, 3, 4)), F((3, 1))], [F((2, 3, 4))], None, None, 1))
    for op in [
        "ABS",
        "NEG",
        "EXP",
        "SIN",
        "COS",
        "FLOOR",
        "CEIL",
        "ROUND",
        "SQUARE",
        "SIGN",
        "TANH",
        "LOGISTIC",
        "RELU",
        "RELU6",
        "RELU_N1_TO_1",
        "HARD_SWISH",
        "ELU",
        "LOG_SOFTMAX",
    ]:
        cases.append((op, [F((2, 3, 40))], [F((2, 3, 40))], None, None, 1))
    for (ih, iw), (oh, ow) in [((4, 4), (8, 8)), ((5, 7), (13, 9)), ((16, 16), (32, 32))]:
        for align, half in [(False, False), (True, False), (False, True)]:
            opts = {"align_corners": align, "half_pixel_centers": half}
            for op, table in [
                ("RESIZE_BILINEAR", "ResizeBilinearOptions"),
                ("RESIZE_NEAREST_NEIGHBOR", "ResizeNearestNeighborOptions"),
            ]:
                cases.append(
                    (op, [F((1, ih, iw, 3)), i32([oh, ow])], [F((1, oh, ow, 3))], opts, table, 3)
                )
    return cases


FLOAT_CASES = _float_cases()


@pytest.mark.parametrize(
    "case", FLOAT_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(FLOAT_CASES)]
)
def test_float_ops(case):
    op, ins, outs, opts, table, version = case
    assert_matches_litert(single_op_model(op, ins, outs, opts, table, version), ins)


def _recurrent_cases():
    rng = np.random.default_rng(4)

    def fw(shape):
        return spec(shape, data=rng.standard_normal(shape) * 0.4)

    def qw(shape):
        scale = float(rng.uniform(0.002, 0.01))
        return spec(shape, "INT8", scale, 0, rng.integers(-127, 128, shape))

    b, t, i, c = 2, 5, 6, 8
    cases = []
    for hybrid in (False, True):
        w = qw if hybrid else fw
        for variant in ("plain", "cifg", "peephole", "projection", "layer_norm"):
            o = 4 if variant == "projection" else c
            cifg, peep = variant == "cifg", variant == "peephole"
            ins = [spec((b, t, i))]
            ins += [None if cifg else w((c, i))] + [w((c, i)) for _ in range(3)]
            ins += [None if cifg else w((c, o))] + [w((c, o)) for _ in range(3)]
            ins += [w((c,)) if peep else None for _ in range(3)]
            ins += [None if cifg else fw((c,))] + [fw((c,)) for _ in range(3)]
            proj = variant == "projection"
            ins += [w((o, c)) if proj else None, fw((o,)) if proj else None]
            ins += [spec((b, o), variable=True), spec((b, c), variable=True)]
            norm = variant == "layer_norm"
            ins += [fw((c,)) if norm and not (cifg and k == 0) else None for k in range(4)]
            opts = {"fused_activation_function": "TANH", "cell_clip": 3.0, "proj_clip": 2.0}
            for asymmetric in (True, False) if hybrid else (False,):
                opts = dict(opts, asymmetric_quantize_inputs=asymmetric)
                cases.append(
                    (
                        f"lstm-{variant}-hybrid{int(hybrid)}-asym{int(asymmetric)}",
                        "UNIDIRECTIONAL_SEQUENCE_LSTM",
                        ins,
                        [spec((b, t, o))],
                        opts,
                        "UnidirectionalSequenceLSTMOptions",
                        3 if hybrid else 1,
                    )
                )
        ins = [spec((b, t, i)), w((c, i)), w((c, c)), fw((c,)), spec((b, c), variable=True)]
        cases.append(
            (
                f"seq-rnn-hybrid{int(hybrid)}",
                "UNIDIRECTIONAL_SEQUENCE_RNN",
                ins,
                [spec((b, t, c))],
                {"fused_activation_function": "TANH"},
                "SequenceRNNOptions",
                2 if hybrid else 1,
            )
        )
        ins = [spec((b, i)), w((c, i)), w((c, c)), fw((c,)), spec((b, c), variable=True)]
        cases.append(
            (
                f"rnn-hybrid{int(hybrid)}",
                "RNN",
                ins,
                [spec((b, c))],
                {"fused_activation_function": "RELU"},
                "RNNOptions",
                2 if hybrid else 1,
            )
        )
        cases += _bidirectional_cases(w, fw, hybrid, b, t, i, c)
    return cases


def _bidirectional_cases(w, fw, hybrid: bool, b: int, t: int, i: int, c: int) -> list:
    def lstm_direction():
        return (
            [w((c, i)) for _ in range(4)]
            + [w((c, c)) for _ in range(4)]
            + [None] * 3
            + [fw((c,)) for _ in range(4)]
            + [None, None]
        )

    cases = []
    for merge in (False, True):
        states = [spec((b, c), variable=True) for _ in range(4)]
        ins = [spec((t, b, i))] + lstm_direction() + lstm_direction() + states + [None] * 9
        outs = [spec((t, b, 2 * c))] if merge else [spec((t, b, c)), spec((t, b, c))]
        opts = {"fused_activation_function": "TANH", "merge_outputs": merge, "time_major": True}
        cases.append(
            (
                f"bilstm-merge{int(merge)}-hybrid{int(hybrid)}",
                "BIDIRECTIONAL_SEQUENCE_LSTM",
                ins,
                outs,
                opts,
                "BidirectionalSequenceLSTMOptions",
                3 if hybrid else 1,
            )
        )
    ins = [
        spec((b, t, i)),
        w((c, i)),
        w((c, c)),
        fw((c,)),
        spec((b, c), variable=True),
        w((c, i)),
        w((c, c)),
        fw((c,)),
        spec((b, c), variable=True),
        None,
        None,
        None,
    ]
    cases.append(
        (
            f"birnn-hybrid{int(hybrid)}",
            "BIDIRECTIONAL_SEQUENCE_RNN",
            ins,
            [spec((b, t, c)), spec((b, t, c))],
            {"fused_activation_function": "TANH"},
            "BidirectionalSequenceRNNOptions",
            2 if hybrid else 1,
        )
    )
    filters, memory, rank = 6, 4, 2
    ins = [
        spec((b, i)),
        w((filters, i)),
        w((filters, memory)),
        fw((filters // rank,)),
        spec((b, filters * memory), variable=True),
    ]
    cases.append(
        (
            f"svdf-hybrid{int(hybrid)}",
            "SVDF",
            ins,
            [spec((b, filters // rank))],
            {"rank": rank, "fused_activation_function": "RELU"},
            "SVDFOptions",
            2 if hybrid else 1,
        )
    )
    return cases


RECURRENT_CASES = _recurrent_cases()


def one_step_lstm_case() -> tuple:
    """The one-step LSTM op on the float projection variant's operands: x [batch, input]."""
    _, _, ins, outs, opts, _, _ = next(
        c for c in RECURRENT_CASES if c[0] == "lstm-projection-hybrid0-asym0"
    )
    b, _, i = ins[0]["shape"]
    one_step = [{**ins[0], "shape": [b, i]}, *ins[1:]]
    out = [{**outs[0], "shape": [b, outs[0]["shape"][2]]}]
    return ("lstm-one-step", "LSTM", one_step, out, opts, "LSTMOptions", 1)


@pytest.mark.parametrize("case", RECURRENT_CASES, ids=[c[0] for c in RECURRENT_CASES])
def test_recurrent_ops_carry_state_like_litert(case):
    """Float and hybrid LSTM/RNN kernels; the state variables persist across invokes."""
    from ai_edge_litert.interpreter import Interpreter as LiteRT
    from ai_edge_litert.interpreter import OpResolverType

    _, op, ins, outs, opts, table, version = case
    model = single_op_model(op, ins, outs, opts, table, version)
    lite = LiteRT(
        model_content=model,
        num_threads=1,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    lite.allocate_tensors()
    ours = Interpreter(model_content=model)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = random_input(rng, ins[0])
        lite.set_tensor(lite.get_input_details()[0]["index"], x)
        lite.invoke()
        for actual, detail in zip(ours(x), lite.get_output_details(), strict=True):
            assert_close(actual, lite.get_tensor(detail["index"]), FLOAT_RTOL)


def test_non_max_suppression():
    rng = np.random.default_rng(5)

    def scalar(v, t="FLOAT32"):
        return spec([], t, data=np.array(v))

    for _ in range(3):
        boxes = spec((20, 4), data=rng.uniform(0, 1, (20, 4)))
        scores = spec((20,), data=rng.uniform(0, 1, 20))
        ins = [boxes, scores, scalar(7, "INT32"), scalar(0.3), scalar(0.2)]
        outs = [spec((7,), "INT32"), spec([], "INT32")]
        assert_matches_litert(single_op_model("NON_MAX_SUPPRESSION_V4", ins, outs), ins, trials=1)
        ins = [*ins, scalar(0.5)]
        outs = [spec((7,), "INT32"), spec((7,)), spec([], "INT32")]
        assert_matches_litert(single_op_model("NON_MAX_SUPPRESSION_V5", ins, outs), ins, trials=1)


def test_misc_and_3d_ops():
    rng = np.random.default_rng(6)
    model = single_op_model(
        "BUCKETIZE",
        [F((3, 7))],
        [spec((3, 7), "INT32")],
        {"boundaries": [-1.0, 0.0, 1.5]},
        "BucketizeOptions",
    )
    assert_matches_litert(model, [F((3, 7))])
    ins = [i32([1, 4, 0, 2, 3, 0], [3, 2]), i32([5, 6]), F((3,)), spec([], data=np.array(-1.0))]
    assert_matches_litert(single_op_model("SPARSE_TO_DENSE", ins, [F((5, 6))]), ins)
    ins = [F((2, 3, 4)), i32([1, 2, 3]), spec([], data=np.array(0.5))]
    assert_matches_litert(single_op_model("DILATE", ins, [F((2, 5, 10))]), ins)
    weights = spec((3, 3, 3, 4, 5), data=rng.standard_normal((3, 3, 3, 4, 5)))
    for pad, s in (("SAME", 1), ("VALID", 2)):
        od = _out_size(6, 3, s, pad)
        ins = [F((1, 6, 6, 6, 4)), weights, spec((5,), data=rng.standard_normal(5))]
        opts = {"padding": pad, "stride_d": s, "stride_h": s, "stride_w": s}
        model = single_op_model("CONV_3D", ins, [F((1, od, od, od, 5))], opts, "Conv3DOptions")
        assert_matches_litert(model, ins)
    weights = spec((3, 3, 3, 5, 4), data=rng.standard_normal((3, 3, 3, 5, 4)))
    ins = [i32([1, 8, 8, 8, 5]), weights, F((1, 4, 4, 4, 4))]
    opts = {"padding": "SAME", "stride_d": 2, "stride_h": 2, "stride_w": 2}
    model = single_op_model("CONV_3D_TRANSPOSE", ins, [F((1, 8, 8, 8, 5))], opts, "Conv3DOptions")
    assert_matches_litert(model, ins)
    for op in ("STABLEHLO_ADD", "STABLEHLO_MULTIPLY", "STABLEHLO_MAXIMUM"):
        ins = [F((3, 4)), F((3, 4))]
        assert_matches_litert(single_op_model(op, ins, [F((3, 4))]), ins)


def test_int16_softmax():
    for shape in [(1, 10), (2, 3, 37), (1, 1001)]:
        for scale in (0.001, 0.0003, 0.01):
            ins = [spec(shape, "INT16", scale, 0)]
            out = spec(shape, "INT16", 1 / 32768, 0)
            model = single_op_model("SOFTMAX", ins, [out], {"beta": 1.0}, "SoftmaxOptions")
            assert_matches_litert(model, ins)


@pytest.mark.parametrize("t,out_zp", [("INT8", 0), ("UINT8", 128)])
def test_quantized_l2_normalization(t, out_zp):
    q = Quant(seed_of("l2", t))
    for shape in [(1, 10), (2, 3, 37), (4, 128)]:
        x = q(shape, t)
        out = spec(shape, t, 1 / 128, out_zp)
        model = single_op_model("L2_NORMALIZATION", [x], [out], {}, "L2NormOptions")
        assert_matches_litert(model, [x], trials=3)


@pytest.mark.parametrize("op", ["EXP", "LOG", "RSQRT"])
def test_int8_unary_tables(op):
    q = Quant(seed_of("unary", op))
    for _ in range(3):
        x = q((3, 50), zp=-128 if op == "RSQRT" else None)  # RSQRT needs inputs >= 0
        out = q((3, 50))
        assert_matches_litert(single_op_model(op, [x], [out]), [x])


def test_constant_without_elements_is_an_empty_value():
    # A zero-element constant has no data to write (TensorFlow's converter writes the shape []
    # of a reshape to a scalar so): the interpreter read it as a tensor without a value.
    inputs = [spec([1]), spec([0], "INT32", data=np.zeros(0, np.int32))]
    model = single_op_model("RESHAPE", inputs, [spec([])])
    assert_matches_litert(model, inputs)
