"""GPU backend, op by op: one-op (and small fused) models against LiteRT on a Vulkan device.

Skipped, with the reason, when `wgpu` or a Vulkan adapter is missing (CI installs Debian's
mesa-vulkan-drivers: lavapipe, a CPU Vulkan device).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_gpu_support import (
    FLOAT_CLASS_RTOL,
    MODEL_RTOL,
    SMALL_MODEL_RTOL,
    assert_close,
    litert_outputs,
    make_model,
    op_rtol,
    require_vulkan,
)

pytestmark = require_vulkan()

rng = np.random.default_rng(7)


def rand(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def check(
    model: bytes, inputs: list[np.ndarray], rtol: float, dispatches: int | None = None, **options
):
    """Compiles for the gpu target and compares with LiteRT within `rtol` (op_rtol of the
    model's ops), on every kernel variant (those for discrete GPUs and those for CPU Vulkan
    devices), whatever the adapter here."""
    from tflc.compiler import compile
    from tflc.runtime.gpu_runtime import GpuModel

    cm = compile(model, target="gpu", **options)
    expected = litert_outputs(model, inputs)
    assert_close(expected, cm(*inputs), rtol)
    a = cm.artifacts
    if any("variants" in s for s in a.manifest["steps"]):
        for device_class in ("gpu", "cpu"):
            runtime = GpuModel(a.manifest, a.shaders, a.weights, a.hosts, device_class=device_class)
            assert_close(expected, runtime(*inputs), rtol)
    if dispatches is not None:
        assert cm.report["dispatch_count"] == dispatches, cm.report
    return cm


WINDOW_DEFAULTS = dict(stride_h=1, stride_w=1, dilation_h_factor=1, dilation_w_factor=1)


def one_op(op, operands, out_shape, **options) -> bytes:
    """A model of one op; tuple operands are model inputs, arrays are constants."""
    if op in ("conv_2d", "depthwise_conv_2d"):
        options = {**WINDOW_DEFAULTS, **options}
    return make_model(
        [o for o in operands if isinstance(o, tuple)],
        lambda b, args: b.op(
            op, [next(args) if isinstance(o, tuple) else o for o in operands], out_shape, **options
        ),  # fmt: skip
    )


CASES = {
    "conv_same_s2_relu6": (
        "conv_2d",
        [(1, 9, 9, 3), rand(5, 3, 3, 3), rand(5)],
        (1, 5, 5, 5),
        dict(stride_h=2, stride_w=2, padding="SAME", fused_activation_function="RELU6"),
    ),
    "conv_lanes_relu": (
        "conv_2d",
        [(1, 6, 5, 3), rand(8, 3, 3, 3), rand(8)],
        (1, 6, 5, 8),
        dict(padding="SAME", fused_activation_function="RELU"),
    ),
    "conv_valid_dilated": (
        "conv_2d",
        [(1, 8, 8, 4), rand(3, 3, 3, 4), rand(3)],
        (1, 4, 4, 3),
        dict(padding="VALID", dilation_h_factor=2, dilation_w_factor=2),
    ),
    "depthwise_multiplier": (
        "depthwise_conv_2d",
        [(1, 7, 7, 3), rand(1, 3, 3, 6), rand(6)],
        (1, 7, 7, 6),
        dict(padding="SAME", depth_multiplier=2),
    ),
    "depthwise_s2": (
        "depthwise_conv_2d",
        [(1, 8, 8, 4), rand(1, 3, 3, 4), rand(4)],
        (1, 4, 4, 4),
        dict(
            padding="SAME",
            stride_h=2,
            stride_w=2,
            depth_multiplier=1,
            fused_activation_function="RELU",
        ),
    ),  # fmt: skip
    "fully_connected": (
        "fully_connected",
        [(2, 16), rand(8, 16), rand(8)],
        (2, 8),
        dict(fused_activation_function="RELU"),
    ),
    "fully_connected_split_k": (
        "fully_connected",
        [(1, 512), rand(10, 512), rand(10)],
        (1, 10),
        dict(fused_activation_function="RELU6"),
    ),  # fmt: skip
    "conv_1x1_split_k": (
        "conv_2d",
        [(1, 3, 3, 256), rand(24, 1, 1, 256), rand(24)],
        (1, 3, 3, 24),
        dict(padding="VALID"),
    ),  # fmt: skip
    "conv_3x3_split_k": (
        "conv_2d",
        [(1, 4, 4, 128), rand(8, 3, 3, 128), rand(8)],
        (1, 4, 4, 8),
        dict(padding="SAME"),
    ),  # fmt: skip
    "mean_split_k": (
        "mean",
        [(1, 16, 16, 8), np.array([1, 2], np.int32)],
        (1, 8),
        dict(keep_dims=False),
    ),  # fmt: skip
    "add_broadcast_const": (
        "add",
        [(1, 4, 4, 3), rand(3)],
        (1, 4, 4, 3),
        dict(fused_activation_function="RELU"),
    ),  # fmt: skip
    "mul_broadcast": ("mul", [(1, 4, 4, 3), (1, 1, 1, 3)], (1, 4, 4, 3), {}),
    "sub": ("sub", [(2, 5), (2, 5)], (2, 5), {}),
    "average_pool_same": (
        "average_pool_2d",
        [(1, 7, 7, 2)],
        (1, 4, 4, 2),
        dict(filter_height=3, filter_width=3, stride_h=2, stride_w=2, padding="SAME"),
    ),
    "max_pool_valid": (
        "max_pool_2d",
        [(1, 8, 8, 3)],
        (1, 4, 4, 3),
        dict(filter_height=2, filter_width=2, stride_h=2, stride_w=2, padding="VALID"),
    ),
    "mean_hw": ("mean", [(1, 5, 5, 4), np.array([1, 2], np.int32)], (1, 4), dict(keep_dims=False)),
    "mean_keep": (
        "mean",
        [(1, 5, 5, 4), np.array([1, 2], np.int32)],
        (1, 1, 1, 4),
        dict(keep_dims=True),
    ),  # fmt: skip
    "concatenation": ("concatenation", [(1, 3, 3, 2), (1, 3, 3, 5)], (1, 3, 3, 7), dict(axis=3)),
    "concatenation_axis1": (
        "concatenation",
        [(1, 2, 4), (1, 3, 4), (1, 1, 4)],
        (1, 6, 4),
        dict(axis=1),
    ),  # fmt: skip
    "pad": (
        "pad",
        [(1, 3, 3, 2), np.array([[0, 0], [1, 2], [2, 1], [0, 0]], np.int32)],
        (1, 6, 6, 2),
        {},
    ),  # fmt: skip
    "resize_bilinear_half_pixel": (
        "resize_bilinear",
        [(1, 4, 5, 2), np.array([7, 9], np.int32)],
        (1, 7, 9, 2),
        dict(half_pixel_centers=True),
    ),
    "resize_bilinear_align": (
        "resize_bilinear",
        [(1, 4, 5, 2), np.array([8, 10], np.int32)],
        (1, 8, 10, 2),
        dict(align_corners=True),
    ),
    "resize_bilinear_plain": (
        "resize_bilinear",
        [(1, 3, 3, 2), np.array([6, 6], np.int32)],
        (1, 6, 6, 2),
        {},
    ),  # fmt: skip
    "logistic": ("logistic", [(1, 4, 4, 3)], (1, 4, 4, 3), {}),
    "hard_swish": ("hard_swish", [(1, 4, 4, 3)], (1, 4, 4, 3), {}),
    "relu": ("relu", [(1, 4, 4, 3)], (1, 4, 4, 3), {}),
    "relu6": ("relu6", [(1, 4, 4, 3)], (1, 4, 4, 3), {}),
    "tanh": ("tanh", [(1, 4, 4, 3)], (1, 4, 4, 3), {}),
    "leaky_relu": ("leaky_relu", [(1, 4, 4, 3)], (1, 4, 4, 3), dict(alpha=0.1)),
    "prelu": ("prelu", [(1, 4, 4, 3), rand(1, 1, 3)], (1, 4, 4, 3), {}),
    "softmax": ("softmax", [(2, 10)], (2, 10), dict(beta=1.0)),
    "transpose": ("transpose", [(2, 3, 4), np.array([2, 0, 1], np.int32)], (4, 2, 3), {}),
    "strided_slice": (
        "strided_slice",
        [
            (1, 6, 6, 4),
            np.array([0, 1, 0, 1], np.int32),
            np.array([1, 6, 6, 3], np.int32),
            np.array([1, 2, 1, 1], np.int32),
        ],
        (1, 3, 6, 2),
        {},
    ),  # fmt: skip
    "transpose_conv_same": (
        "transpose_conv",
        [np.array([1, 8, 8, 3], np.int32), rand(3, 3, 3, 2), (1, 4, 4, 2), rand(3)],
        (1, 8, 8, 3),
        dict(padding="SAME", stride_h=2, stride_w=2),
    ),
    "transpose_conv_valid": (
        "transpose_conv",
        [np.array([1, 9, 7, 2], np.int32), rand(2, 3, 3, 4), (1, 4, 3, 4)],
        (1, 9, 7, 2),
        dict(padding="VALID", stride_h=2, stride_w=2),
    ),
    "tile": ("tile", [(2, 3), np.array([2, 2], np.int32)], (4, 6), {}),
    "gather_const_indices": (
        "gather",
        [(2, 5, 3), np.array([4, 0, 2, 2], np.int32)],
        (2, 4, 3),
        dict(axis=1),
    ),  # fmt: skip
    "gelu": ("gelu", [(2, 33)], (2, 33), dict(approximate=False)),
    "gelu_tanh": ("gelu", [(2, 33)], (2, 33), dict(approximate=True)),
    "batch_matmul": ("batch_matmul", [(2, 3, 5), (2, 5, 4)], (2, 3, 4), {}),
    "batch_matmul_adj_broadcast": (
        "batch_matmul",
        [(2, 5, 3), (1, 4, 5)],
        (2, 3, 4),
        dict(adj_x=True, adj_y=True),
    ),  # fmt: skip
    "depth_to_space": ("depth_to_space", [(1, 2, 3, 8)], (1, 4, 6, 2), dict(block_size=2)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_op_matches_litert(case):
    op, operands, out_shape, options = CASES[case]
    model = one_op(op, operands, out_shape, **options)
    inputs = [rand(*o) for o in operands if isinstance(o, tuple)]
    check(model, inputs, op_rtol(op), dispatches=1)


@pytest.mark.parametrize("case", sorted(c for c in CASES if c.endswith("split_k")))
def test_split_k_kernels_share_outputs_between_invocations(case):
    from tflc.runtime.gpu_runtime import GpuModel

    op, operands, out_shape, options = CASES[case]
    model, x = one_op(op, operands, out_shape, **options), rand(*operands[0])
    cm = check(model, [x], op_rtol(op))
    (step,) = cm.artifacts.manifest["steps"]
    assert step["split_k"] > 1
    assert "workgroupBarrier" in cm.artifacts.shaders[step["shader"]]
    assert "workgroupBarrier" not in cm.artifacts.shaders[step["variants"]["cpu"]["shader"]]
    a = cm.artifacts
    for device_class in ("gpu", "cpu"):  # both kernels, whatever the adapter
        runtime = GpuModel(a.manifest, a.shaders, a.weights, device_class=device_class)
        assert_close(litert_outputs(model, [x]), runtime(x), op_rtol(op))


def test_conv_residual_and_activation_fuse_into_one_dispatch():
    w, bias = rand(4, 1, 1, 4, scale=0.5), rand(4)

    def body(b, args):
        x = next(args)
        y = b.op("conv_2d", [x, w, bias], (1, 6, 6, 4), padding="SAME", **WINDOW_DEFAULTS)
        y = b.op("add", [y, x], (1, 6, 6, 4))
        return b.op("hard_swish", [y], (1, 6, 6, 4))

    rtol = op_rtol("conv_2d", "add", "hard_swish")
    check(make_model([(1, 6, 6, 4)], body), [rand(1, 6, 6, 4)], rtol, dispatches=1)


def test_float16_weights_are_dequantized_at_compile_time():
    w16, b16 = rand(3, 3, 3, 2).astype(np.float16), rand(3).astype(np.float16)

    def body(b, args):
        w = b.op("dequantize", [w16], (3, 3, 3, 2))
        bias = b.op("dequantize", [b16], (3,))
        x = next(args)
        return b.op("conv_2d", [x, w, bias], (1, 5, 5, 3), padding="SAME", **WINDOW_DEFAULTS)

    rtol = op_rtol("dequantize", "conv_2d")
    check(make_model([(1, 5, 5, 2)], body), [rand(1, 5, 5, 2)], rtol, dispatches=1)


def test_reshape_is_an_alias_not_a_dispatch():
    def body(b, args):
        y = b.op("reshape", [next(args), np.array([2, 12], np.int32)], (2, 12))
        return b.op("relu", [y], (2, 12))

    check(make_model([(2, 3, 4)], body), [rand(2, 3, 4)], op_rtol("reshape", "relu"), dispatches=1)


def test_tolerances_are_the_stated_ones():
    """The figures test_gpu_support grounds (changing one changes this too)."""
    assert FLOAT_CLASS_RTOL == {
        "exact": 0.0,
        "rounded": 0.0,
        "accumulated": 1e-5,
        "math_library": 1e-5,
    }
    assert (MODEL_RTOL, SMALL_MODEL_RTOL) == (1e-3, 1e-5)


def test_integer_and_bool_tensors_are_exact_floats_converted_at_the_boundary():
    """int32 in, bool out through a fused comparison (runtime/gpu_arena.py); an input past
    2**24, which the float32 arena would round, is refused by name."""
    from test_interpreter_ops import single_op_model, spec
    from tflc.compiler import compile
    from tflc.errors import TflcError

    model = single_op_model(
        "GREATER", [spec((3, 4), "INT32"), spec((3, 4), "INT32")], [spec((3, 4), "BOOL")]
    )
    cm = compile(model, target="gpu", optimize=False)
    a = np.arange(12, dtype=np.int32).reshape(3, 4) - 6
    b = np.full((3, 4), -(1 << 24), np.int32)
    b[0, 0] = 3
    (got,) = cm(a, b)
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got, litert_outputs(model, [a, b])[0])
    b[1, 1] = (1 << 24) + 1
    with pytest.raises(TflcError, match=r"input 1 .*16777217 is past 2\*\*24") as e:
        cm(a, b)
    assert "\n" not in str(e.value)
    big = spec((4,), "INT32", data=np.array([1, 2, 3, (1 << 24) + 3]))
    model = single_op_model("ADD", [spec((3, 4), "INT32"), big], [spec((3, 4), "INT32")])
    with pytest.raises(TflcError, match=r"constant .*16777219 is past 2\*\*24") as e:
        compile(model, target="gpu", optimize=False)
    assert "\n" not in str(e.value)


@pytest.mark.filterwarnings("ignore:every op falls back")
def test_split_with_a_computed_axis_runs_on_the_host_with_fallback():
    """Data movement needs its axes as constants; a split whose axis is an input runs on
    the CPU under fallback="runtime" (one host step for all its results)."""
    from test_interpreter_ops import single_op_model, spec

    model = single_op_model(
        "SPLIT",
        [spec((), "INT32"), spec((2, 3, 6))],
        [spec((2, 3, 3)), spec((2, 3, 3))],
        {"num_splits": 2},
        "SplitOptions",
    )
    axis, x = np.array(2, np.int32), rand(2, 3, 6)
    cm = check(model, [axis, x], op_rtol("split"), fallback="runtime")
    assert cm.report["fallback_ops"] == ["split"]


def _recurrent_case(op: str, time_major: bool):
    from test_interpreter_ops import single_op_model, spec

    w = np.random.default_rng(4)
    weight = lambda *s: spec(s, data=w.standard_normal(s) * 0.4)  # noqa: E731
    b, t, i, c = 2, 5, 6, 8
    x = (t, b, i) if time_major else (b, t, i)
    direction = [weight(c, i), weight(c, c), weight(c), spec((b, c), variable=True)]
    outs = [spec(x[:2] + (c,))]
    if op == "RNN":
        x, outs, table, opts = (b, i), [spec((b, c))], "RNNOptions", {}
    elif op == "UNIDIRECTIONAL_SEQUENCE_RNN":
        table, opts = "SequenceRNNOptions", {"time_major": time_major}
    else:  # bidirectional: merged when time-major, two outputs when not
        table, opts = "BidirectionalSequenceRNNOptions", {"time_major": time_major}
        opts["merge_outputs"] = time_major
        backward = [weight(c, i), weight(c, c), weight(c), spec((b, c), variable=True)]
        direction += backward + [None] * 3
        outs = [spec(x[:2] + (2 * c,))] if time_major else outs * 2
    ins = [spec(x), *direction]
    opts = {**opts, "fused_activation_function": "TANH"}
    return single_op_model(op, ins, outs, opts, table), x


@pytest.mark.parametrize(
    ("op", "time_major"),
    [
        ("RNN", False),
        ("UNIDIRECTIONAL_SEQUENCE_RNN", False),
        ("UNIDIRECTIONAL_SEQUENCE_RNN", True),
        ("BIDIRECTIONAL_SEQUENCE_RNN", False),
        ("BIDIRECTIONAL_SEQUENCE_RNN", True),
    ],
)
def test_recurrent_state_lives_on_between_calls_as_in_litert(op, time_major):
    """One dispatch per time step; the `tfl.variable` state keeps its arena storage, so a
    second call continues from the first's state as LiteRT's second invoke does."""
    from ai_edge_litert.interpreter import Interpreter
    from tflc.compiler import compile

    model, shape = _recurrent_case(op, time_major)
    cm = compile(model, target="gpu", optimize=False)
    litert = Interpreter(model_content=model)
    litert.allocate_tensors()
    (detail,) = litert.get_input_details()
    for _ in range(2):
        x = rand(*shape)
        litert.set_tensor(detail["index"], x)
        litert.invoke()
        expected = [litert.get_tensor(d["index"]) for d in litert.get_output_details()]
        assert_close(expected, cm(x), op_rtol(op))


def _float_lstm_cases():
    from test_interpreter_ops import RECURRENT_CASES, one_step_lstm_case

    cases = [c for c in RECURRENT_CASES if c[1].endswith("SEQUENCE_LSTM") or c[1] == "SVDF"]
    cases = [c for c in cases if "hybrid0" in c[0] or "hybrid" not in c[0]]
    cases.append(one_step_lstm_case())
    return [pytest.param(c, id=c[0]) for c in cases]


@pytest.mark.parametrize("case", _float_lstm_cases())
def test_lstm_steps_match_litert_over_two_calls(case):
    """test_interpreter_ops' float LSTM variants (plain, CIFG, peephole, projection with
    clips, layer normalization; bidirectional, merged or not), the one-step LSTM op, and
    its float SVDF."""
    from ai_edge_litert.interpreter import Interpreter
    from test_interpreter_ops import single_op_model
    from tflc.compiler import compile

    name, op, ins, outs, opts, table, version = case
    model = single_op_model(op, ins, outs, opts, table, version)
    cm = compile(model, target="gpu", optimize=False)
    litert = Interpreter(model_content=model)
    litert.allocate_tensors()
    (detail,) = litert.get_input_details()
    for _ in range(2):
        x = rand(*ins[0]["shape"])
        litert.set_tensor(detail["index"], x)
        litert.invoke()
        expected = [litert.get_tensor(d["index"]) for d in litert.get_output_details()]
        assert_close(expected, cm(x), op_rtol(op))


@pytest.mark.parametrize(
    ("function", "type_"),
    [("ADD", "FLOAT32"), ("MUL", "FLOAT32"), ("MINIMUM", "FLOAT32"), ("MAXIMUM", "FLOAT32")]
    + [("ADD", "INT32"), ("MAXIMUM", "INT32")],
)
def test_reduce_window_matches_litert(function, type_):
    """The dilated, strided windows of test_interpreter_stablehlo's REDUCE_WINDOW case, one
    invocation per output element folding its window from the init value."""
    from stablehlo_model_builder import reduce_window_model

    init = {"ADD": 0, "MUL": 1, "MAXIMUM": -np.inf, "MINIMUM": np.inf}[function]
    if type_ == "INT32":
        init = {"ADD": 0, "MAXIMUM": -(2**24)}[function]  # the float32 arena's exact range
        x = rng.integers(-1000, 1000, (1, 7, 8, 3)).astype(np.int32)
    else:
        x = rng.uniform(0.5, 1.5, (1, 7, 8, 3)).astype(np.float32)
    model = reduce_window_model(
        x.shape, type_, function, init, [1, 3, 2, 1], [1, 2, 3, 1], [1, 1, 2, 1]
    )
    cm = check(model, [x], op_rtol("REDUCE_WINDOW", function), dispatches=1)
    if type_ == "INT32":
        np.testing.assert_array_equal(cm(x)[0], litert_outputs(model, [x])[0])
