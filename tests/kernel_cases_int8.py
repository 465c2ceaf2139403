"""Int8 cases for ops the int8 quantizer emits (op_traits.INT8_RULES) whose int8 kernel no
other test ran against LiteRT. Output parameters follow each op's rule: data movement keeps
the input's, "same_all_operands" ops share one pair, "own" ops get their own, "fixed" ops the
kernel's."""

from __future__ import annotations

from kernel_case import KernelCase as C
from test_interpreter_ops import Quant, i32, seed_of, spec

q = Quant(seed_of("kernel_cases_int8"))


def same(x: dict, shape) -> dict:
    """An int8 tensor of `shape` quantized like `x`."""
    return spec(shape, "INT8", x["scale"], x["zp"])


def moved(op, shape, out_shape, extra=(), options=None, table=None, version=1) -> C:
    x = q(shape)
    return C(op, [x, *extra], [same(x, out_shape)], options, table, version)


def own(op, *shapes, ranges=None) -> C:
    """An op whose int8 output has its own parameters (`shapes`: inputs..., output)."""
    *ins, out = shapes
    return C(op, [q(s) for s in ins], [q(out)], ranges=ranges or {})


def shared(op, shapes, out_shape, options=None, table=None) -> C:
    x = q(shapes[0])
    return C(op, [same(x, s) for s in shapes], [same(x, out_shape)], options, table)


def reducer(op, shape, axes, out_shape) -> C:
    extra = [i32(axes)]
    return moved(op, shape, out_shape, extra, {"keep_dims": False}, "ReducerOptions")


def split_outputs(x, shapes) -> list[dict]:
    return [same(x, s) for s in shapes]


_split_x = q((2, 6))
_split_v_x = q((2, 6))
_unpack_x = q((3, 4))
_nonnegative = q((3, 7), zp=-128)  # SQRT's domain: the lowest int8 is 0.0

CASES: list[C] = [
    # LiteRT's int8 kernel: output scale 1/128, zero point 0
    C(
        "L2_NORMALIZATION",
        [q((2, 3, 40))],
        [spec((2, 3, 40), "INT8", 1 / 128, 0)],
        {},
        "L2NormOptions",
    ),
    # A rescale by exactly 1/4: MultiplyByQuantizedMultiplier(x, 2^30, -1) meets a tie at every
    # x = 2 (mod 4) and an odd product at every odd x, so both of its roundings are exercised.
    C("QUANTIZE", [spec((4, 21))], [q((4, 21))], name="from-float"),
    C("DEQUANTIZE", [q((3, 7))], [spec((3, 7))], name="to-float"),
    C(
        "QUANTIZE",
        [spec((4, 64), "INT16", 1.0, 0)],
        [spec((4, 64), "INT8", 4.0, 0)],
        name="ties",
        ranges={0: (-400, 400)},
    ),
    own("ABS", (3, 7), (3, 7)),
    own("EXP", (3, 7), (3, 7)),
    own("LOG", (3, 7), (3, 7)),
    own("NEG", (3, 7), (3, 7)),  # the quantizer keeps NEG float; other converters may not
    own("DIV", (2, 6), (2, 6), (2, 6), ranges={1: (25, 127)}),
    own("SQUARED_DIFFERENCE", (2, 6), (1, 6), (2, 6)),
    C("SQRT", [_nonnegative], [q((3, 7))]),
    C(
        "LOG_SOFTMAX",
        [q((2, 9))],
        [spec((2, 9), "INT8", 16 / 256, 127)],
        {},
        "LogSoftmaxOptions",
    ),
    C(  # long rows: sums over many exp-table values
        "LOG_SOFTMAX",
        [q((3, 300))],
        [spec((3, 300), "INT8", 16 / 256, 127)],
        {},
        "LogSoftmaxOptions",
        name="wide",
    ),
    shared("MAXIMUM", [(2, 5), (2, 5)], (2, 5)),
    shared("MINIMUM", [(2, 5), (1, 5)], (2, 5)),
    shared("PACK", [(3, 4), (3, 4)], (2, 3, 4), {"values_count": 2, "axis": 0}, "PackOptions"),
    shared("CONCATENATION", [(2, 3), (2, 5)], (2, 8), {"axis": 1}, "ConcatenationOptions"),
    reducer("REDUCE_MAX", (3, 4, 5), [1], (3, 5)),
    reducer("REDUCE_MIN", (3, 4, 5), [0, 2], (4,)),
    moved("RESHAPE", (2, 6), (3, 4), [i32([3, 4])]),
    moved("EXPAND_DIMS", (3, 4), (3, 4, 1), [i32([2])]),
    moved("SQUEEZE", (1, 3, 1), (3,), (), {"squeeze_dims": [0, 2]}, "SqueezeOptions"),
    moved("TILE", (2, 3), (4, 3), [i32([2, 1])]),
    moved("TRANSPOSE", (2, 3, 4), (4, 2, 3), [i32([2, 0, 1])]),
    moved("GATHER", (5, 4), (3, 4), [i32([3, 0, 3])], {"axis": 0}, "GatherOptions"),
    moved("SLICE", (3, 5, 4), (2, 5, 2), [i32([1, 0, 2]), i32([2, -1, 2])]),
    moved(
        "STRIDED_SLICE",
        (2, 5, 4),
        (2, 2, 4),
        [i32([0, 1, 0]), i32([2, 5, 4]), i32([1, 2, 1])],
        {},
        "StridedSliceOptions",
        4,
    ),
    moved("BATCH_TO_SPACE_ND", (4, 2, 2, 3), (1, 4, 4, 3), [i32([2, 2]), i32([0] * 4, [2, 2])]),
    moved("SPACE_TO_BATCH_ND", (1, 4, 4, 3), (4, 2, 2, 3), [i32([2, 2]), i32([0] * 4, [2, 2])]),
    moved(
        "DEPTH_TO_SPACE", (1, 2, 2, 8), (1, 4, 4, 2), (), {"block_size": 2}, "DepthToSpaceOptions"
    ),
    moved(
        "SPACE_TO_DEPTH", (1, 4, 4, 2), (1, 2, 2, 8), (), {"block_size": 2}, "SpaceToDepthOptions"
    ),
    C(
        "SPLIT",
        [spec([], "INT32", data=1), _split_x],
        split_outputs(_split_x, [(2, 2)] * 3),
        {"num_splits": 3},
        "SplitOptions",
    ),
    C(
        "SPLIT_V",
        [_split_v_x, i32([1, 2, 3]), spec([], "INT32", data=1)],
        split_outputs(_split_v_x, [(2, 1), (2, 2), (2, 3)]),
        {"num_splits": 3},
        "SplitVOptions",
    ),
    C(
        "UNPACK",
        [_unpack_x],
        split_outputs(_unpack_x, [(4,)] * 3),
        {"num": 3, "axis": 0},
        "UnpackOptions",
    ),
]
