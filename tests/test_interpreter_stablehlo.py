"""StableHLO builtins and REDUCE_WINDOW.

LiteRT 2.3 runs PAD, GATHER, SCATTER, REDUCE_WINDOW (both) and COMPOSITE: those are compared
with it bit for bit. It has no kernel for the others (SLICE, DYNAMIC_SLICE,
DYNAMIC_UPDATE_SLICE, CONCATENATE, BROADCAST_IN_DIM, IOTA, TRANSPOSE, COMPARE, DOT_GENERAL,
CONVOLUTION, REDUCE, SORT, WHILE; "Didn't find op for builtin opcode"): those are compared
with numpy written from the StableHLO specification, and CONVOLUTION / DOT_GENERAL with
LiteRT's CONV_2D / BATCH_MATMUL on the same numbers.
"""

from __future__ import annotations

import numpy as np
import pytest
import tflc
from corpus import litert_run
from flatbuffers import flexbuffers
from stablehlo_model_builder import GraphBuilder, binary_body
from test_interpreter_ops import single_op_model, spec
from tflc.runtime.interpreter import Interpreter

pytest.importorskip("ai_edge_litert")

RNG = np.random.default_rng(2026)


def single(op, inputs, out_shape, options2, out_type="FLOAT32", consts=None, body=None):
    """A model with one StableHLO op: `inputs` (shape, type) are graph inputs except where
    `consts` gives their value; `body(model)` may add subgraphs and return option updates."""
    model = GraphBuilder()
    main = model.subgraph()
    name, fields = options2 if options2 else (None, None)
    if body is not None:
        fields = {**fields, **body(model)}
    consts = consts or {}
    tensors, graph_inputs = [], []
    for i, (shape, type_) in enumerate(inputs):
        if i in consts:
            tensors.append(main.const(consts[i], type_))
        else:
            tensors.append(main.tensor(shape, type_))
            graph_inputs.append(tensors[-1])
    out = main.tensor(out_shape, out_type)
    main.op(op, tensors, [out], (name, fields) if name else None)
    main.io(graph_inputs, [out])
    return model.write()


def run_both(model: bytes, inputs) -> tuple[np.ndarray, np.ndarray]:
    (ours,) = Interpreter(model_content=model)(*inputs)
    (theirs,) = litert_run(model, inputs, kernels="builtin")
    return ours, theirs


# --- against LiteRT -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "low,high,interior",
    [([1, 0], [1, 1], [0, 2]), ([-1, 2], [0, -2], [1, 0]), ([0, 0], [0, 0], [0, 0])],
)
def test_pad_matches_litert(low, high, interior):
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    shape = [
        d + max(d - 1, 0) * i + lo + hi
        for d, lo, hi, i in zip(x.shape, low, high, interior, strict=True)
    ]
    model = single(
        "STABLEHLO_PAD",
        [(x.shape, "FLOAT32"), ([], "FLOAT32")],
        shape,
        (
            "StablehloPadOptions",
            {"edge_padding_low": low, "edge_padding_high": high, "interior_padding": interior},
        ),
        consts={1: np.float32(-5)},
    )
    ours, theirs = run_both(model, [x])
    np.testing.assert_array_equal(ours, theirs)


GATHERS = [
    # rows of a table (embedding lookup): indices (2, 1), index_vector_dim 1
    dict(
        operand=(5, 3),
        indices=np.array([[4], [1]]),
        out=(2, 3),
        offset_dims=[1],
        collapsed_slice_dims=[0],
        start_index_map=[0],
        index_vector_dim=1,
        slice_sizes=[1, 3],
    ),
    # 2x2 windows at 2-D starts, one clamped at the edge; index vector in dim 0
    dict(
        operand=(4, 5),
        indices=np.array([[0, 3, 2], [1, 4, 0]]),
        out=(3, 2, 2),
        offset_dims=[1, 2],
        collapsed_slice_dims=[],
        start_index_map=[0, 1],
        index_vector_dim=0,
        slice_sizes=[2, 2],
    ),
    # offset dims first in the result (LiteRT crashes now and then on scalar indices, with
    # index_vector_dim == rank: that form is checked against the spec below)
    dict(
        operand=(6, 2, 3),
        indices=np.array([[5], [0], [2], [3]]),
        out=(2, 3, 4),
        offset_dims=[0, 1],
        collapsed_slice_dims=[0],
        start_index_map=[0],
        index_vector_dim=1,
        slice_sizes=[1, 2, 3],
    ),
]


@pytest.mark.parametrize("case", range(len(GATHERS)))
def test_gather_matches_litert(case):
    g = dict(GATHERS[case])
    operand, indices, out = g.pop("operand"), g.pop("indices").astype(np.int64), g.pop("out")
    x = RNG.standard_normal(operand).astype(np.float32)
    model = single(
        "STABLEHLO_GATHER",
        [(operand, "FLOAT32"), (indices.shape, "INT64")],
        out,
        ("StablehloGatherOptions", {**g, "indices_are_sorted": False}),
    )
    ours, theirs = run_both(model, [x, indices])
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("body_op", ["STABLEHLO_ADD", "STABLEHLO_MAXIMUM", "STABLEHLO_MULTIPLY"])
def test_scatter_matches_litert(body_op):
    """Rows scattered into a (5, 3) operand; index 1 twice (combined in order), 7 outside."""
    x = RNG.standard_normal((5, 3)).astype(np.float32)
    indices = np.array([[1], [3], [1], [7]], dtype=np.int64)
    updates = RNG.standard_normal((4, 3)).astype(np.float32)
    model = single(
        "STABLEHLO_SCATTER",
        [((5, 3), "FLOAT32"), ((4, 1), "INT64"), ((4, 3), "FLOAT32")],
        (5, 3),
        (
            "StablehloScatterOptions",
            {
                "update_window_dims": [1],
                "inserted_window_dims": [0],
                "scatter_dims_to_operand_dims": [0],
                "index_vector_dim": 1,
                "indices_are_sorted": False,
                "unique_indices": False,
            },
        ),
        body=lambda m: {"update_computation_subgraph_index": binary_body(m, body_op)},
    )
    ours, theirs = run_both(model, [x, indices, updates])
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize(
    "body_op,init,window,strides,base,dilation,padding",
    [
        ("STABLEHLO_ADD", 0.0, [1, 2, 2, 1], [1, 2, 2, 1], [1] * 4, [1] * 4, [0] * 8),
        (
            "STABLEHLO_MAXIMUM",
            -np.inf,
            [1, 3, 3, 1],
            [1, 2, 1, 1],
            [1] * 4,
            [1, 1, 2, 1],
            [0, 0, 1, 1, 2, 0, 0, 0],
        ),
        (
            "STABLEHLO_ADD",
            0.0,
            [1, 2, 2, 1],
            [1, 1, 1, 1],
            [1, 2, 1, 1],
            [1] * 4,
            [0, 0, 0, 1, 1, 1, 0, 0],
        ),
    ],
)
def test_stablehlo_reduce_window_matches_litert(
    body_op, init, window, strides, base, dilation, padding
):
    x = RNG.standard_normal((1, 6, 7, 2)).astype(np.float32)
    pads = list(zip(padding[0::2], padding[1::2], strict=True))
    shape = []
    for d, w, s, b, dl, (lo, hi) in zip(
        x.shape, window, strides, base, dilation, pads, strict=True
    ):
        spread = d + (d - 1) * (b - 1) + lo + hi
        shape.append((spread - ((w - 1) * dl + 1)) // s + 1)
    model = single(
        "STABLEHLO_REDUCE_WINDOW",
        [(x.shape, "FLOAT32"), ([], "FLOAT32")],
        shape,
        (
            "StablehloReduceWindowOptions",
            {
                "window_dimensions": window,
                "window_strides": strides,
                "base_dilations": base,
                "window_dilations": dilation,
                "padding": padding,
            },
        ),
        consts={1: np.float32(init)},
        body=lambda m: {"body_subgraph_index": binary_body(m, body_op)},
    )
    ours, theirs = run_both(model, [x])
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("function", ["ADD", "MAXIMUM", "MUL", "MINIMUM"])
def test_reduce_window_matches_litert(function):
    x = RNG.uniform(0.5, 1.5, (1, 7, 8, 3)).astype(np.float32)
    window, strides, dilations = [1, 3, 2, 1], [1, 2, 3, 1], [1, 1, 2, 1]
    shape = [
        (d - ((w - 1) * dl + 1)) // s + 1
        for d, w, s, dl in zip(x.shape, window, strides, dilations, strict=True)
    ]
    init = {"ADD": 0.0, "MUL": 1.0, "MAXIMUM": -np.inf, "MINIMUM": np.inf}[function]
    model = GraphBuilder()
    main = model.subgraph()
    xi = main.tensor(x.shape)
    ins = [xi, main.const(np.float32(init), "FLOAT32")] + [
        main.const(np.array(v, np.int64), "INT64") for v in (window, strides, dilations)
    ]
    out = main.tensor(shape)
    main.op("REDUCE_WINDOW", ins, [out], ("ReduceWindowOptions", {"reduce_function": function}))
    main.io([xi], [out])
    ours, theirs = run_both(model.write(), [x])
    np.testing.assert_array_equal(ours, theirs)
    # its options live in the second options union: through tflc's dialect and back they stay
    exported = tflc.to_flatbuffer(tflc.load(model.write()))
    np.testing.assert_array_equal(run_both(exported, [x])[1], theirs)


def test_composite_runs_its_decomposition_like_litert():
    model = GraphBuilder()
    main = model.subgraph()
    decomposition = model.subgraph()
    a, b, o = (
        decomposition.tensor([2, 3]),
        decomposition.tensor([2, 3]),
        decomposition.tensor([2, 3]),
    )
    decomposition.op("SQUARED_DIFFERENCE", [a, b], [o])
    decomposition.io([a, b], [o])
    x, y, out = main.tensor([2, 3]), main.tensor([2, 3]), main.tensor([2, 3])
    main.op(
        "STABLEHLO_COMPOSITE",
        [x, y],
        [out],
        (
            "StableHLOCompositeOptions",
            {
                "name": "odml.sqdiff",
                "composite_attributes": list(flexbuffers.Dumps({})),
                "composite_attributes_format": 1,  # FLEXBUFFERS
                "version": 1,
                "decomposition_subgraph_index": decomposition.index,
            },
        ),
    )
    main.io([x, y], [out])
    xs = [RNG.standard_normal((2, 3)).astype(np.float32) for _ in range(2)]
    ours, theirs = run_both(model.write(), xs)
    np.testing.assert_array_equal(ours, theirs)


# --- ops LiteRT lacks: against the StableHLO specification ---------------------------------


def run_ours(model: bytes, inputs) -> np.ndarray:
    (out,) = Interpreter(model_content=model)(*inputs)
    return out


def test_slice_transpose_concatenate_iota():
    x = RNG.standard_normal((5, 6)).astype(np.float32)
    sliced = single(
        "STABLEHLO_SLICE",
        [(x.shape, "FLOAT32")],
        [2, 2],
        (
            "StablehloSliceOptions",
            {"start_indices": [1, 0], "limit_indices": [5, 5], "strides": [2, 3]},
        ),
    )
    np.testing.assert_array_equal(run_ours(sliced, [x]), x[1:5:2, 0:5:3])
    t = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    transposed = single(
        "STABLEHLO_TRANSPOSE",
        [(t.shape, "FLOAT32")],
        [4, 2, 3],
        ("StablehloTransposeOptions", {"permutation": [2, 0, 1]}),
    )
    np.testing.assert_array_equal(run_ours(transposed, [t]), t.transpose(2, 0, 1))
    a, b = x[:2], x[2:]
    concat = single(
        "STABLEHLO_CONCATENATE",
        [(a.shape, "FLOAT32"), (b.shape, "FLOAT32")],
        [5, 6],
        ("StablehloConcatenateOptions", {"dimension": 0}),
    )
    np.testing.assert_array_equal(run_ours(concat, [a, b]), x)
    iota = single(
        "STABLEHLO_IOTA",
        [],
        [3, 4],
        ("StablehloIotaOptions", {"iota_dimension": 1}),
        out_type="INT32",
    )
    np.testing.assert_array_equal(run_ours(iota, []), np.tile(np.arange(4, dtype=np.int32), (3, 1)))


def test_dynamic_slice_and_update_clamp_their_starts():
    x = RNG.standard_normal((5, 6)).astype(np.float32)
    starts = [np.array(4, np.int32), np.array(-3, np.int32)]  # clamped to (3, 0)
    model = single(
        "STABLEHLO_DYNAMIC_SLICE",
        [(x.shape, "FLOAT32"), ([], "INT32"), ([], "INT32")],
        [2, 3],
        ("StablehloDynamicSliceOptions", {"slice_sizes": [2, 3]}),
    )
    np.testing.assert_array_equal(run_ours(model, [x, *starts]), x[3:5, 0:3])
    update = RNG.standard_normal((2, 3)).astype(np.float32)
    model = single(
        "STABLEHLO_DYNAMIC_UPDATE_SLICE",
        [(x.shape, "FLOAT32"), (update.shape, "FLOAT32"), ([], "INT32"), ([], "INT32")],
        [5, 6],
        None,
    )
    expected = x.copy()
    expected[3:5, 0:3] = update
    np.testing.assert_array_equal(run_ours(model, [x, update, *starts]), expected)


def test_broadcast_in_dim_places_and_reorders_dims():
    x = RNG.standard_normal((3, 2)).astype(np.float32)
    model = single(
        "STABLEHLO_BROADCAST_IN_DIM",
        [(x.shape, "FLOAT32")],
        [2, 4, 3],
        ("StablehloBroadcastInDimOptions", {"broadcast_dimensions": [2, 0]}),
    )
    expected = np.broadcast_to(x.T[:, None, :], (2, 4, 3))  # result[i, j, k] = x[k, i]
    np.testing.assert_array_equal(run_ours(model, [x]), expected)


@pytest.mark.parametrize(
    "direction,kind,a,b,expected",
    [
        ("LT", "FLOAT", [1.0, np.nan, -0.0, 2.0], [2.0, 1.0, 0.0, 2.0], [1, 0, 0, 0]),
        (
            "LT",
            "FLOAT_TOTAL_ORDER",
            [1.0, np.nan, -0.0, -np.nan],
            [2.0, 1.0, 0.0, -np.inf],
            [1, 0, 1, 1],
        ),
        ("GE", "SIGNED", [-3, 5, 7, 0], [-3, 6, 1, -1], [1, 0, 1, 1]),
        ("GT", "UNSIGNED", [-1, 5, 7, 0], [1, 6, 1, -1], [1, 0, 1, 0]),
    ],
)
def test_compare(direction, kind, a, b, expected):
    type_ = "FLOAT32" if "FLOAT" in kind else "INT32"
    dtype = np.float32 if type_ == "FLOAT32" else np.int32
    model = single(
        "STABLEHLO_COMPARE",
        [([4], type_), ([4], type_)],
        [4],
        (
            "StablehloCompareOptions",
            {
                "comparison_direction": f"STABLEHLO_COMPARISON_DIRECTION_{direction}",
                "compare_type": f"STABLEHLO_COMPARISON_TYPE_{kind}",
            },
        ),
        out_type="BOOL",
    )
    out = run_ours(model, [np.array(a, dtype), np.array(b, dtype)])
    np.testing.assert_array_equal(out, np.array(expected, bool))


def test_dot_general_matches_litert_batch_matmul():
    a = RNG.standard_normal((2, 4, 3)).astype(np.float32)  # batch 0, contract 1, free 2
    b = RNG.standard_normal((5, 2, 4)).astype(np.float32)  # free 0, batch 1, contract 2
    model = single(
        "STABLEHLO_DOT_GENERAL",
        [(a.shape, "FLOAT32"), (b.shape, "FLOAT32")],
        [2, 3, 5],
        (
            "StablehloDotGeneralOptions",
            {
                "lhs_batching_dimensions": [0],
                "rhs_batching_dimensions": [1],
                "lhs_contracting_dimensions": [1],
                "rhs_contracting_dimensions": [2],
            },
        ),
    )
    at, bt = np.ascontiguousarray(a.transpose(0, 2, 1)), np.ascontiguousarray(b.transpose(1, 2, 0))
    bmm = single_op_model(
        "BATCH_MATMUL",
        [spec(at.shape), spec(bt.shape)],
        [spec([2, 3, 5])],
        {"adj_x": False, "adj_y": False},
        "BatchMatMulOptions",
    )
    (expected,) = litert_run(bmm, [at, bt], kernels="builtin")
    # the products summed in another order than LiteRT's: measured 3.6e-7 apart
    np.testing.assert_allclose(run_ours(model, [a, b]), expected, rtol=1e-6, atol=1e-6)


CONV_DIMS_NHWC = {
    "input_batch_dimension": 0,
    "input_feature_dimension": 3,
    "input_spatial_dimensions": [1, 2],
    "kernel_output_feature_dimension": 0,
    "kernel_input_feature_dimension": 3,
    "kernel_spatial_dimensions": [1, 2],
    "output_batch_dimension": 0,
    "output_feature_dimension": 3,
    "output_spatial_dimensions": [1, 2],
}


def test_convolution_matches_litert_conv_2d():
    x = RNG.standard_normal((1, 9, 9, 4)).astype(np.float32)
    w = RNG.standard_normal((6, 3, 3, 4)).astype(np.float32)
    model = single(
        "STABLEHLO_CONVOLUTION",
        [(x.shape, "FLOAT32"), (w.shape, "FLOAT32")],
        [1, 5, 5, 6],
        (
            "StablehloConvolutionOptions",
            {
                **CONV_DIMS_NHWC,
                "window_strides": [2, 2],
                "padding": [1, 1, 1, 1],
                "feature_group_count": 1,
                "batch_group_count": 1,
            },
        ),
    )
    conv = single_op_model(
        "CONV_2D",
        [spec(x.shape), spec(w.shape, data=w), spec([6], data=np.zeros(6, np.float32))],
        [spec([1, 5, 5, 6])],
        {
            "padding": "SAME",
            "stride_h": 2,
            "stride_w": 2,
            "fused_activation_function": "NONE",
            "dilation_h_factor": 1,
            "dilation_w_factor": 1,
        },
        "Conv2DOptions",
    )
    (expected,) = litert_run(conv, [x], kernels="builtin")
    # the products summed in another order than LiteRT's: measured 1.9e-6 apart
    np.testing.assert_allclose(run_ours(model, [x, w]), expected, rtol=1e-5, atol=1e-5)


def naive_convolution(x, w, strides, padding, lhs_dil, rhs_dil, groups, reversal):
    """Direct loops over the spec's definition, NCHW input and OIHW kernel, one spatial pass."""
    n, c, h, wd = x.shape
    o, ci, kh, kw = w.shape
    if reversal[0]:
        w = w[:, :, ::-1]
    if reversal[1]:
        w = w[:, :, :, ::-1]
    dh, dw = (h - 1) * lhs_dil[0] + 1, (wd - 1) * lhs_dil[1] + 1
    xd = np.zeros((n, c, dh, dw), x.dtype)
    xd[:, :, :: lhs_dil[0], :: lhs_dil[1]] = x
    xp = np.pad(xd, [(0, 0), (0, 0), tuple(padding[0:2]), tuple(padding[2:4])])
    eh, ew = (kh - 1) * rhs_dil[0] + 1, (kw - 1) * rhs_dil[1] + 1
    oh = (xp.shape[2] - eh) // strides[0] + 1
    ow = (xp.shape[3] - ew) // strides[1] + 1
    out = np.zeros((n, o, oh, ow), np.float64)
    per_group = o // groups
    for b in range(n):
        for oc in range(o):
            g = oc // per_group
            for y in range(oh):
                for z in range(ow):
                    patch = xp[
                        b,
                        g * ci : (g + 1) * ci,
                        y * strides[0] : y * strides[0] + eh : rhs_dil[0],
                        z * strides[1] : z * strides[1] + ew : rhs_dil[1],
                    ]
                    out[b, oc, y, z] = np.sum(patch.astype(np.float64) * w[oc])
    return out


def test_convolution_with_dilations_groups_and_reversal():
    x = RNG.standard_normal((2, 4, 5, 6)).astype(np.float32)  # NCHW
    w = RNG.standard_normal((6, 2, 2, 3)).astype(np.float32)  # OIHW, 2 feature groups
    options = {
        "input_batch_dimension": 0,
        "input_feature_dimension": 1,
        "input_spatial_dimensions": [2, 3],
        "kernel_output_feature_dimension": 0,
        "kernel_input_feature_dimension": 1,
        "kernel_spatial_dimensions": [2, 3],
        "output_batch_dimension": 0,
        "output_feature_dimension": 1,
        "output_spatial_dimensions": [2, 3],
        "window_strides": [1, 2],
        "padding": [1, 0, 2, 1],
        "lhs_dilation": [2, 1],
        "rhs_dilation": [1, 2],
        "window_reversal": [True, False],
        "feature_group_count": 2,
        "batch_group_count": 1,
    }
    expected = naive_convolution(x, w, [1, 2], [1, 0, 2, 1], [2, 1], [1, 2], 2, [True, False])
    model = single(
        "STABLEHLO_CONVOLUTION",
        [(x.shape, "FLOAT32"), (w.shape, "FLOAT32")],
        list(expected.shape),
        ("StablehloConvolutionOptions", options),
    )
    # the naive loops sum in another order: measured 3.8e-7 apart
    np.testing.assert_allclose(run_ours(model, [x, w]), expected, rtol=1e-5, atol=1e-5)


def max_body_with_two_ops(model: GraphBuilder) -> int:
    """max(a, b) as select(a > b, a, b): a body numpy cannot apply as one ufunc."""
    sg = model.subgraph()
    a, b, gt, out = sg.tensor([]), sg.tensor([]), sg.tensor([], "BOOL"), sg.tensor([])
    sg.op(
        "STABLEHLO_COMPARE",
        [a, b],
        [gt],
        (
            "StablehloCompareOptions",
            {
                "comparison_direction": "STABLEHLO_COMPARISON_DIRECTION_GT",
                "compare_type": "STABLEHLO_COMPARISON_TYPE_FLOAT",
            },
        ),
    )
    sg.op("STABLEHLO_SELECT", [gt, a, b], [out])
    sg.io([a, b], [out])
    return sg.index


@pytest.mark.parametrize("body", ["add", "two-op max"])
def test_reduce(body):
    x = RNG.standard_normal((3, 4, 5)).astype(np.float32)
    make_body = (
        (lambda m: binary_body(m, "STABLEHLO_ADD")) if body == "add" else max_body_with_two_ops
    )
    init = np.float32(0 if body == "add" else -np.inf)
    model = single(
        "STABLEHLO_REDUCE",
        [(x.shape, "FLOAT32"), ([], "FLOAT32")],
        [4],
        ("StablehloReduceOptions", {"dimensions": [0, 2]}),
        consts={1: init},
        body=lambda m: {"body_subgraph_index": make_body(m)},
    )
    out = run_ours(model, [x])
    if body == "add":
        # numpy's pairwise sum vs the body applied in order: measured 1.4e-6 apart
        np.testing.assert_allclose(out, x.sum(axis=(0, 2)), rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_array_equal(out, x.max(axis=(0, 2)))


def comparator(model: GraphBuilder, direction: str, type_: str, operands: int) -> int:
    sg = model.subgraph()
    args = [sg.tensor([], t) for t in [type_, type_] + ["FLOAT32"] * (2 * operands - 2)]
    out = sg.tensor([], "BOOL")
    sg.op(
        "STABLEHLO_COMPARE",
        args[:2],
        [out],
        (
            "StablehloCompareOptions",
            {
                "comparison_direction": f"STABLEHLO_COMPARISON_DIRECTION_{direction}",
                "compare_type": "STABLEHLO_COMPARISON_TYPE_"
                + ("FLOAT" if "FLOAT" in type_ else "SIGNED"),
            },
        ),
    )
    sg.io(args, [out])
    return sg.index


@pytest.mark.parametrize("keys_type,direction", [("FLOAT32", "LT"), ("INT32", "GT")])
def test_sort_carries_values_along_stably(keys_type, direction):
    keys = np.array([[3, 1, 2, 1, 3], [0, 0, -1, 5, 2]]).astype(
        np.float32 if keys_type == "FLOAT32" else np.int32
    )
    values = RNG.standard_normal(keys.shape).astype(np.float32)
    model = GraphBuilder()
    main = model.subgraph()
    k_in, v_in = main.tensor(keys.shape, keys_type), main.tensor(values.shape)
    k_out, v_out = main.tensor(keys.shape, keys_type), main.tensor(values.shape)
    cmp = comparator(model, direction, keys_type, 2)
    main.op(
        "STABLEHLO_SORT",
        [k_in, v_in],
        [k_out, v_out],
        (
            "StablehloSortOptions",
            {"dimension": 1, "is_stable": True, "comparator_subgraph_index": cmp},
        ),
    )
    main.io([k_in, v_in], [k_out, v_out])
    sorted_keys, sorted_values = Interpreter(model_content=model.write())(keys, values)
    order = np.argsort(keys if direction == "LT" else -keys, axis=1, kind="stable")
    np.testing.assert_array_equal(sorted_keys, np.take_along_axis(keys, order, 1))
    np.testing.assert_array_equal(sorted_values, np.take_along_axis(values, order, 1))


def test_while_loops_until_its_condition_fails():
    model = GraphBuilder()
    main, cond, body = model.subgraph(), model.subgraph(), model.subgraph()
    ci, cx, limit, flag = (
        cond.tensor([], "INT32"),
        cond.tensor([2]),
        cond.const(np.int32(5), "INT32"),
        cond.tensor([], "BOOL"),
    )
    cond.op("LESS", [ci, limit], [flag])
    cond.io([ci, cx], [flag])
    bi, bx, one, two = (
        body.tensor([], "INT32"),
        body.tensor([2]),
        body.const(np.int32(1), "INT32"),
        body.const(np.float32(2), "FLOAT32"),
    )
    bi2, bx2 = body.tensor([], "INT32"), body.tensor([2])
    body.op("ADD", [bi, one], [bi2])
    body.op("MUL", [bx, two], [bx2])
    body.io([bi, bx], [bi2, bx2])
    i, x, i_out, x_out = (
        main.tensor([], "INT32"),
        main.tensor([2]),
        main.tensor([], "INT32"),
        main.tensor([2]),
    )
    main.op(
        "STABLEHLO_WHILE",
        [i, x],
        [i_out, x_out],
        (
            "StablehloWhileOptions",
            {"cond_subgraph_index": cond.index, "body_subgraph_index": body.index},
        ),
    )
    main.io([i, x], [i_out, x_out])
    count, doubled = Interpreter(model_content=model.write())(
        np.array(1, np.int32), np.array([1.5, -2], np.float32)
    )
    assert int(count) == 5
    np.testing.assert_array_equal(doubled, np.array([24, -32], np.float32))


def test_gather_clamps_out_of_range_scalar_indices():
    """The spec clamps each start so the slice fits (LiteRT is not asked: see GATHERS)."""
    x = RNG.standard_normal((6, 2, 3)).astype(np.float32)
    indices = np.array([9, -4], dtype=np.int64)
    model = single(
        "STABLEHLO_GATHER",
        [(x.shape, "FLOAT32"), (indices.shape, "INT64")],
        [2, 3, 2],
        (
            "StablehloGatherOptions",
            {
                "offset_dims": [0, 1],
                "collapsed_slice_dims": [0],
                "start_index_map": [0],
                "index_vector_dim": 1,
                "slice_sizes": [1, 2, 3],
            },
        ),
    )
    np.testing.assert_array_equal(run_ours(model, [x, indices]), np.stack([x[5], x[0]], axis=-1))


@pytest.mark.parametrize("bits_type", ["UINT32", "UINT64"])
def test_rng_bit_generator_is_a_deterministic_function_of_the_state(bits_type):
    """The spec fixes no bit pattern (LiteRT has no kernel): check determinism, that the state
    advances, that a new state gives new bits, and that the bits look uniform."""
    model = GraphBuilder()
    main = model.subgraph()
    state, new_state, bits = (
        main.tensor([2], "UINT64"),
        main.tensor([2], "UINT64"),
        main.tensor([64, 64], bits_type),
    )
    main.op(
        "STABLEHLO_RNG_BIT_GENERATOR",
        [state],
        [new_state, bits],
        ("StablehloRngBitGeneratorOptions", {"algorithm": "PHILOX"}),
    )
    main.io([state], [new_state, bits])
    interp = Interpreter(model_content=model.write())
    start = np.array([42, 7], np.uint64)
    s1, b1 = interp(start)
    s1_again, b1_again = interp(start)
    np.testing.assert_array_equal(b1, b1_again)
    np.testing.assert_array_equal(s1, s1_again)
    assert s1[0] == 42 and s1[1] > 7
    _, b2 = interp(s1)
    assert not np.array_equal(b1, b2)
    ones = np.unpackbits(b1.view(np.uint8)).mean()
    assert abs(ones - 0.5) < 0.01
