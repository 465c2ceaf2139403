"""Single-op cases for TFLite builtins that no other test ran against LiteRT: casts, shape and
index ops, comparisons and logic, reductions, segment ops, bit ops and complex parts.

Operands whose values decide the output's shape (ranges, unique, where) are constants, so the
declared output shape is known when the file is written.
"""

from __future__ import annotations

import numpy as np
from kernel_case import KernelCase as C
from test_interpreter_ops import i32, spec

F = spec


def I(shape, type_="INT32") -> dict:  # noqa: E743 - an integer graph input, read like F
    return spec(shape, type_)


def B(shape) -> dict:
    return spec(shape, "BOOL")


def scalar(value, type_="INT32") -> dict:
    return spec([], type_, data=np.array(value))


def reducer(op, x, axes, out, keep=False) -> C:
    return C(op, [x, i32(axes)], [out], {"keep_dims": keep}, "ReducerOptions")


def unsorted_segment(op) -> list[C]:
    ids = i32([1, 0, 1, 3, 0])  # segment 2 is empty: each op's identity fills it
    return [
        C(op, [F((5, 3)), ids, scalar(4)], [F((4, 3))]),
        C(op, [I((5, 2)), ids, scalar(4)], [I((4, 2))]),
    ]


def cast(src: str, dst: str, value_range=None) -> C:
    opts = {"in_data_type": src, "out_data_type": dst}
    ranges = {0: value_range} if value_range else {}
    return C("CAST", [spec((3, 5), src)], [spec((3, 5), dst)], opts, "CastOptions", ranges=ranges)


WEIGHTS_3D = np.random.default_rng(3).standard_normal((2, 3, 3, 4, 3)).astype(np.float32)
WEIGHTS_3D_T = np.random.default_rng(6).standard_normal((3, 3, 3, 5, 4)).astype(np.float32)

CASES: list[C] = [
    C("ADD_N", [F((3, 4)), F((3, 4)), F((3, 4))], [F((3, 4))]),
    C("ADD_N", [I((2, 5)), I((2, 5))], [I((2, 5))]),
    C("ARG_MIN", [F((3, 5, 4)), i32([1])], [I((3, 4))], {"output_type": "INT32"}, "ArgMinOptions"),
    C(
        "ARG_MIN",
        [I((4, 6)), i32([0])],
        [I((6,), "INT64")],
        {"output_type": "INT64"},
        "ArgMinOptions",
        ranges={0: (-3, 3)},  # ties: the first index wins on both sides
    ),
    C("ATAN2", [F((3, 4)), F((3, 4))], [F((3, 4))]),
    C("BITCAST", [F((3, 4))], [I((3, 4))]),
    C("BITCAST", [F((3, 4))], [I((3, 4, 2), "INT16")], name="narrower"),
    C("BITCAST", [I((3, 2), "INT16")], [F((3,))], name="wider"),
    C("BITWISE_XOR", [I((3, 4)), I((3, 4))], [I((3, 4))], ranges={0: (-9999, 9999)}),
    C("BROADCAST_ARGS", [i32([2, 1, 3]), i32([4, 1])], [I((3,))]),
    # shapes known only at run time (constant ones fold at compile time on compiled targets)
    C("BROADCAST_ARGS", [I((3,)), i32([4, 5])], [I((3,))], name="ones", ranges={0: (1, 1)}),
    C("BROADCAST_ARGS", [i32([2, 1, 3]), I((2,))], [I((3,))], name="rt", ranges={1: (1, 1)}),
    C("BROADCAST_TO", [F((1, 3)), i32([2, 4, 3])], [F((2, 4, 3))], version=2),
    C("BROADCAST_TO", [I((2, 1)), i32([2, 5])], [I((2, 5))], version=2),
    cast("FLOAT32", "INT32", (-100.0, 100.0)),  # truncates toward zero
    cast("INT32", "FLOAT32"),
    cast("BOOL", "INT32"),
    cast("INT32", "BOOL", (-2, 2)),
    cast("FLOAT32", "UINT8", (0.0, 255.0)),
    C("COMPLEX_ABS", [spec((3, 4), "COMPLEX64")], [F((3, 4))]),
    C("REAL", [spec((3, 4), "COMPLEX64")], [F((3, 4))]),
    C("IMAG", [spec((3, 4), "COMPLEX64")], [F((3, 4))]),
    C("DYNAMIC_UPDATE_SLICE", [F((4, 5)), F((2, 3)), I((2,))], [F((4, 5))], ranges={2: (-2, 5)}),
    C("EMBEDDING_LOOKUP", [i32([2, 0, 1, 2]), F((3, 4))], [F((4, 4))]),
    C(  # keys sorted; lookups that miss give a zero row and a 0 hit
        "HASHTABLE_LOOKUP",
        [I((7,)), i32([-7, 0, 3, 11, 42]), F((5, 3), data=np.arange(15.0).reshape(5, 3))],
        [F((7, 3)), spec((7,), "UINT8")],
        ranges={0: (-8, 43)},
    ),
    C("EMBEDDING_LOOKUP", [I((5,)), F((3, 4))], [F((5, 4))], name="rt", ranges={0: (0, 2)}),
    C("EXPAND_DIMS", [F((3, 4)), i32([1])], [F((3, 1, 4))]),
    C("EXPAND_DIMS", [I((3, 4)), i32([-1])], [I((3, 4, 1))]),
    C(
        "ARG_MAX",
        [I((4, 6)), i32([1])],
        [I((4,))],
        {"output_type": "INT32"},
        "ArgMaxOptions",
        ranges={0: (-3, 3)},
    ),
    C(
        "CUMSUM",
        [I((3, 5)), scalar(0)],
        [I((3, 5))],
        {"exclusive": False, "reverse": False},
        "CumsumOptions",
    ),
    C("FLOOR_DIV", [I((3, 4)), i32([3, -4, 5, -7])], [I((3, 4))]),
    C("FLOOR_MOD", [I((3, 4)), i32([3, -4, 5, -7])], [I((3, 4))]),
    C("FLOOR_MOD", [F((3, 4)), spec((4,), data=np.array([1.5, -0.75, 2.0, -3.0]))], [F((3, 4))]),
    C("MUL", [I((3, 4)), I((1, 4))], [I((3, 4))]),
    C("SUB", [I((3, 4)), I((3, 4))], [I((3, 4))]),
    C("MAXIMUM", [I((2, 3)), I((2, 3))], [I((2, 3))]),
    C(
        "ONE_HOT",
        [I((2, 3)), scalar(4), spec([], data=np.array(5.0)), spec([], data=np.array(-1.0))],
        [F((4, 2, 3))],
        {"axis": 0},
        "OneHotOptions",
        ranges={0: (-1, 4)},
    ),
    C(
        "PACK",
        [I((2, 3)), I((2, 3)), I((2, 3))],
        [I((2, 3, 3))],
        {"values_count": 3, "axis": -1},
        "PackOptions",
    ),
    C("FILL", [i32([2, 3]), F([])], [F((2, 3))]),
    C("FILL", [i32([4]), I([])], [I((4,))]),
    C("GREATER", [F((3, 4)), F((1, 4))], [B((3, 4))]),
    C("GREATER", [I((3, 4)), I((3, 4))], [B((3, 4))], ranges={0: (0, 2), 1: (0, 2)}),
    C("LESS_EQUAL", [I((3, 4)), I((3, 4))], [B((3, 4))], ranges={0: (0, 2), 1: (0, 2)}),
    C("LESS_EQUAL", [F((3, 4)), F((3, 1))], [B((3, 4))]),
    C("NOT_EQUAL", [I((3, 4)), I((3, 4))], [B((3, 4))], ranges={0: (0, 2), 1: (0, 2)}),
    C("NOT_EQUAL", [B((3, 4)), B((3, 4))], [B((3, 4))]),
    C("EQUAL", [F((3, 4)), F((3, 4))], [B((3, 4))], ranges={0: (-1.0, 1.0), 1: (-1.0, 1.0)}),
    C("EQUAL", [I((3, 4)), I((1, 4))], [B((3, 4))], ranges={0: (0, 2), 1: (0, 2)}),
    C("LESS", [I((2, 3, 4)), I((4,))], [B((2, 3, 4))], ranges={0: (0, 2), 1: (0, 2)}),
    C("GREATER_EQUAL", [F((3, 1)), F((3, 4))], [B((3, 4))]),
    C("LOGICAL_AND", [B((3, 4)), B((3, 4))], [B((3, 4))]),
    C("LOGICAL_OR", [B((3, 4)), B((1, 4))], [B((3, 4))]),
    C("LOGICAL_NOT", [B((3, 4))], [B((3, 4))]),
    C("MATRIX_DIAG", [F((2, 3))], [F((2, 3, 3))]),
    C("MATRIX_SET_DIAG", [F((2, 3, 4)), F((2, 3))], [F((2, 3, 4))]),
    C("ZEROS_LIKE", [F((3, 4))], [F((3, 4))]),
    C("ZEROS_LIKE", [I((2, 5), "INT64")], [I((2, 5), "INT64")]),
    C("RANGE", [scalar(2), scalar(11), scalar(3)], [I((3,))]),
    C(
        "RANGE",
        [scalar(0.5, "FLOAT32"), scalar(-1.0, "FLOAT32"), scalar(-0.25, "FLOAT32")],
        [F((6,))],
    ),
    C("RANK", [F((2, 3, 4))], [I([])]),
    C("BUCKETIZE", [F((3, 7))], [I((3, 7))], {"boundaries": [-1.0, 0.0, 1.5]}, "BucketizeOptions"),
    C(
        "SPARSE_TO_DENSE",
        [i32([1, 4, 0, 2, 3, 0], [3, 2]), i32([5, 6]), F((3,)), scalar(-1.0, "FLOAT32")],
        [F((5, 6))],
    ),
    C("DILATE", [F((2, 3, 4)), i32([2, 1, 3]), scalar(-1.0, "FLOAT32")], [F((3, 3, 10))]),
    C(
        "CONV_3D",
        [F((1, 5, 6, 6, 4)), F((2, 3, 3, 4, 3), data=WEIGHTS_3D), None],
        [F((1, 2, 2, 2, 3))],
        {"padding": "VALID", "stride_d": 2, "stride_h": 2, "stride_w": 1, "dilation_w_factor": 2},
        "Conv3DOptions",
    ),
    C(  # SAME padding and a bias (the case above is VALID without one)
        "CONV_3D",
        [
            F((1, 4, 5, 5, 3)),
            F((3, 3, 3, 3, 4), data=np.random.default_rng(9).standard_normal((3, 3, 3, 3, 4))),
            F((4,), data=np.arange(4.0) - 1.5),
        ],
        [F((1, 2, 3, 3, 4))],
        {"padding": "SAME", "stride_d": 2, "stride_h": 2, "stride_w": 2},
        "Conv3DOptions",
        name="same-bias",
    ),
    C(
        "CONV_3D",
        [F((1, 6, 6, 6, 4)), F((3, 3, 3, 4, 5), data=WEIGHTS_3D_T.transpose(0, 1, 2, 4, 3))],
        [F((1, 6, 6, 6, 5))],
        {
            "padding": "SAME",
            "stride_d": 1,
            "stride_h": 1,
            "stride_w": 1,
            "fused_activation_function": "RELU",
        },
        "Conv3DOptions",
        name="same-relu",
    ),
    C(
        "CONV_3D_TRANSPOSE",
        [
            i32([1, 8, 8, 8, 5]),
            F((3, 3, 3, 5, 4), data=WEIGHTS_3D_T),
            F((1, 4, 4, 4, 4)),
            F((5,), data=WEIGHTS_3D_T[0, 0, 0, :, 0]),
        ],
        [F((1, 8, 8, 8, 5))],
        {"padding": "SAME", "stride_d": 2, "stride_h": 2, "stride_w": 2},
        "Conv3DOptions",
    ),
    C(
        "CONV_3D_TRANSPOSE",
        [
            i32([1, 7, 6, 6, 2]),
            F((3, 3, 3, 2, 4), data=np.random.default_rng(8).standard_normal((3, 3, 3, 2, 4))),
            F((1, 3, 4, 4, 4)),
            F((2,), data=np.array([0.5, -1.0])),
        ],
        [F((1, 7, 6, 6, 2))],
        {
            "padding": "VALID",
            "stride_d": 2,
            "stride_h": 1,
            "stride_w": 1,
            "fused_activation_function": "RELU6",  # LiteRT clamps the transpose's output too
        },
        "Conv3DOptions",
        name="valid-bias-relu6",
    ),
    C("SHAPE", [F((2, 3, 4))], [I((3,))], {"out_type": "INT32"}, "ShapeOptions"),
    C("SHAPE", [I((5, 1))], [I((2,), "INT64")], {"out_type": "INT64"}, "ShapeOptions"),
    reducer("REDUCE_ALL", B((3, 4)), [1], B((3,))),
    reducer("REDUCE_ANY", B((3, 4, 2)), [0, 2], B((1, 4, 1)), keep=True),
    reducer("REDUCE_MIN", F((3, 4, 5)), [1], F((3, 5))),
    reducer("REDUCE_MAX", F((3, 4, 5)), [0, 2], F((1, 4, 1)), keep=True),
    reducer("REDUCE_MIN", I((3, 4)), [0], I((4,))),
    C(
        "REDUCE_PROD",
        [F((3, 4, 5)), i32([1])],
        [F((3, 5))],
        {"keep_dims": False},
        "ReducerOptions",
        ranges={0: (0.5, 1.5)},
    ),
    C("RELU_0_TO_1", [F((3, 7))], [F((3, 7))]),
    C("RESHAPE", [F((2, 6)), i32([3, 4])], [F((3, 4))], {"new_shape": [3, 4]}, "ReshapeOptions"),
    C("RESHAPE", [I((2, 6)), i32([-1, 3])], [I((4, 3))]),
    C(
        "REVERSE_SEQUENCE",
        [F((3, 5, 2)), i32([5, 2, 0])],
        [F((3, 5, 2))],
        {"seq_dim": 1, "batch_dim": 0},
        "ReverseSequenceOptions",
    ),
    C(
        "REVERSE_SEQUENCE",
        [I((4, 3)), i32([1, 4, 3])],
        [I((4, 3))],
        {"seq_dim": 0, "batch_dim": 1},
        "ReverseSequenceOptions",
    ),
    C("REVERSE_V2", [F((3, 4, 5)), i32([1])], [F((3, 4, 5))], version=2),
    C("REVERSE_V2", [I((3, 4)), i32([0, 1])], [I((3, 4))], version=3),
    C("RIGHT_SHIFT", [I((3, 4)), I((3, 4))], [I((3, 4))], ranges={0: (-9999, 9999), 1: (0, 31)}),
    C("SEGMENT_SUM", [F((5, 3)), i32([0, 0, 1, 2, 2])], [F((3, 3))]),
    C("SEGMENT_SUM", [I((4,)), i32([0, 1, 1, 2])], [I((3,))]),
    # segment ids known only at run time, each in [0, 3] (segments may stay empty)
    C(
        "UNSORTED_SEGMENT_MAX",
        [F((6, 2)), I((6,)), scalar(4)],
        [F((4, 2))],
        name="rt",
        ranges={1: (0, 3)},
    ),
    C(
        "UNSORTED_SEGMENT_SUM",
        [I((6,)), I((6,)), scalar(4)],
        [I((4,))],
        name="rt",
        ranges={1: (0, 3)},
    ),
    C("SELECT_V2", [B((3, 1)), I((3, 4)), I((1, 4))], [I((3, 4))]),
    C("SELECT", [B((3, 4)), F((3, 4)), F((3, 4))], [F((3, 4))]),
    C("SELECT", [B((3,)), I((3, 2)), I((3, 2))], [I((3, 2))]),  # a rank-1 condition picks rows
    C("SQRT", [F((3, 7))], [F((3, 7))], ranges={0: (0.0, 4.0)}),
    C("SQUEEZE", [F((1, 3, 1, 4))], [F((3, 4))], {"squeeze_dims": [0, 2]}, "SqueezeOptions"),
    C("SQUEEZE", [I((1, 3, 1))], [I((3,))], {"squeeze_dims": []}, "SqueezeOptions"),
    C(
        "UNIQUE",
        [i32([3, 1, 3, 0, 1, 1, 7, 0])],
        [I((4,)), I((8,))],
        {"idx_out_type": "INT32"},
        "UniqueOptions",
    ),
    C(
        "UNIQUE",
        [spec((5,), data=np.array([0.5, -1.0, 0.5, 2.0, -1.0]))],
        [F((3,)), I((5,), "INT64")],
        {"idx_out_type": "INT64"},
        "UniqueOptions",
    ),
    *unsorted_segment("UNSORTED_SEGMENT_MAX"),
    *unsorted_segment("UNSORTED_SEGMENT_MIN"),
    *unsorted_segment("UNSORTED_SEGMENT_PROD"),
    *unsorted_segment("UNSORTED_SEGMENT_SUM"),
    C(
        "WHERE",
        [spec((3, 4), "BOOL", data=np.eye(3, 4, 1, bool) | np.eye(3, 4, -1, bool))],
        [I((5, 2), "INT64")],
    ),
    C(
        "FAKE_QUANT",
        [F((3, 7))],
        [F((3, 7))],
        {"min": -1.5, "max": 1.0, "num_bits": 8, "narrow_range": False},
        "FakeQuantOptions",
    ),
    C("RFFT2D", [F((2, 4, 8)), i32([4, 8])], [spec((2, 4, 5), "COMPLEX64")]),
    # rows zero-padded to the fft length, columns cropped to it
    C("RFFT2D", [F((3, 6, 10)), i32([8, 8])], [spec((3, 8, 5), "COMPLEX64")], name="pad-crop"),
    # a window past 16 taps, clipped at the edges (SAME): the mean counts the taps inside
    C(
        "L2_POOL_2D",
        [F((1, 7, 6, 20))],
        [F((1, 4, 3, 20))],
        {
            "padding": "SAME",
            "stride_w": 2,
            "stride_h": 2,
            "filter_width": 5,
            "filter_height": 5,
            "fused_activation_function": "RELU6",
        },
        "Pool2DOptions",
        name="wide",
    ),
    # few distinct values: ties come out in index order
    C("TOPK_V2", [I((3, 10)), scalar(4)], [I((3, 4)), I((3, 4))], ranges={0: (-3, 3)}),
    # indices known only at run time (repeats add up)
    C(
        "SCATTER_ND",
        [I((4, 2)), F((4, 4)), i32([3, 5, 4])],
        [F((3, 5, 4))],
        name="rt",
        ranges={0: (0, 2)},
    ),
    C("DEQUANTIZE", [spec((3, 5), "FLOAT16")], [F((3, 5))], name="float16"),
]
