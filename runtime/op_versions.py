"""The builtin operator version a TFLite runtime expects for an operator's types and options.

A runtime registers each kernel for a range of versions and refuses an operator whose version is
outside it (BROADCAST_TO has no version 1: "Didn't find op for builtin opcode 'BROADCAST_TO'
version '1'"); the newer versions mark the types and options the kernel gained later. The facts
are TFLite's versioning rules (`tensorflow/lite/tools/versioning/op_version.cc`), as TensorFlow's
converter applies them when it writes a model: the first rule of an op that holds gives the
version, else 1. The exporter asks only for operators tflc made: a version read from a .tflite
is written back as it was.

Each rule is `(version, condition)`; a condition reads an `OpSignature` of the operator as it is
written: input and output TensorType names ("" for an absent optional input), ranks, options.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tflc.runtime.tflite_model import Tensor


@dataclass
class OpSignature:
    inputs: list[Tensor | None]
    outputs: list[Tensor]
    options: dict[str, Any] = field(default_factory=dict)

    def input_type(self, i: int) -> str:
        t = self.inputs[i] if i < len(self.inputs) else None
        return t.type if t is not None else ""

    def output_type(self, i: int) -> str:
        return self.outputs[i].type if i < len(self.outputs) else ""

    def rank(self, i: int) -> int:
        t = self.inputs[i] if i < len(self.inputs) else None
        return len(t.shape) if t is not None else 0

    def per_channel(self, i: int) -> bool:
        t = self.inputs[i] if i < len(self.inputs) else None
        return t is not None and t.quantization is not None and len(t.quantization.scale) > 1

    def option(self, name: str) -> Any:
        return self.options.get(name)


Condition = Callable[[OpSignature], bool]


def _in(*types: str, at: int = 0) -> Condition:
    return lambda s: s.input_type(at) in types


def _io(first: str, second: str, out: str) -> Condition:
    """Input 0, input 1 and output 0 of these types (quantized kernels, hybrid ones)."""
    return lambda s: (s.input_type(0), s.input_type(1), s.output_type(0)) == (first, second, out)


def _int16_io(s: OpSignature) -> bool:
    return s.input_type(0) == "INT16" and s.output_type(0) == "INT16"


def _set(name: str) -> Condition:
    """A bool option that is on, or an activation other than NONE."""
    return lambda s: s.option(name) not in (None, False, 0, "NONE")


def _rank_over(n: int, at: int = 0) -> Condition:
    return lambda s: s.rank(at) > n


def _broadcast_over_4d(s: OpSignature) -> bool:
    shapes = [t.shape for t in s.inputs[:2] if t is not None]
    return len(shapes) == 2 and shapes[0] != shapes[1] and max(map(len, shapes)) > 4


def _hybrid(s: OpSignature) -> bool:
    return (s.input_type(0), s.input_type(1), s.output_type(0)) == ("FLOAT32", "INT8", "FLOAT32")


def _int8_or_16(at: int = 0) -> Condition:
    return _in("INT8", "INT16", at=at)


_INT8 = _in("INT8")
_INT16 = _in("INT16")
_INT8_PLAIN = ((3, _INT16), (2, _INT8))  # the common int16 = 3 / int8 = 2 rule

RULES: dict[str, tuple[tuple[int, Condition], ...]] = {
    "CONV_2D": (
        (6, lambda s: s.rank(0) == 4 and s.rank(1) == 4 and _channels(s, 0) != _channels(s, 1)),
        (4, lambda s: _int16_io(s) and s.input_type(1) == "INT16"),
        (3, _io("INT8", "INT8", "INT8")),
        (7, _io("INT8", "INT4", "INT8")),
        (5, lambda s: _hybrid(s) and s.per_channel(1)),
        (2, _hybrid),
    ),
    "DEPTHWISE_CONV_2D": (
        (5, lambda s: _int16_io(s) and s.input_type(1) == "INT16"),
        (6, lambda s: _hybrid(s) and s.per_channel(1)),
        (4, _hybrid),
        (3, _io("INT8", "INT8", "INT8")),
        (7, _io("INT8", "INT4", "INT8")),
        (
            2,
            lambda s: (
                s.option("dilation_w_factor") not in (None, 1)
                or s.option("dilation_h_factor") not in (None, 1)
            ),
        ),
    ),
    "FULLY_CONNECTED": (
        (12, lambda s: _hybrid(s) and s.per_channel(1)),
        (8, lambda s: len(s.inputs) > 1 and s.inputs[1] is not None and bool(s.inputs[1].sparsity)),
        (7, lambda s: _int16_io(s) and s.input_type(1) == "INT16"),
        (6, lambda s: len(s.inputs) == 2),
        (5, _set("keep_num_dims")),
        (4, _io("INT8", "INT8", "INT8")),
        (10, _io("INT8", "INT4", "INT8")),
        (9, lambda s: _hybrid(s) and bool(s.option("asymmetric_quantize_inputs"))),
        (3, _hybrid),
        (2, lambda s: s.option("weights_format") not in (None, 0, "DEFAULT")),
    ),
    "TRANSPOSE_CONV": (
        (4, _set("fused_activation_function")),
        (3, lambda s: len(s.inputs) == 4 and s.input_type(3) != ""),
        (2, _in("INT8", at=1)),
    ),
    "GATHER": (
        (7, _in("INT4")),
        (6, _in("INT16", at=1)),
        (5, _set("batch_dims")),
        (4, _INT16),
        (3, _in("BOOL")),
        (2, _INT8),
    ),
    "MUL": (
        (7, lambda s: _in("UINT32")(s) or (_INT16(s) and not _quantized(s, 0))),
        (6, _in("COMPLEX64")),
        (5, _in("INT64")),
        (4, _INT16),
        (3, lambda s: _rescale(s) >= 1.0),
        (2, _INT8),
    ),
    "ADD": (
        (5, lambda s: _INT16(s) and not _quantized(s, 0)),
        (4, _in("INT64")),
        (3, lambda s: _int16_io(s) and s.option("pot_scale_int16") is False),
        (2, _INT8),
    ),
    "SUB": (
        (5, lambda s: _int16_io(s) and s.option("pot_scale_int16") is False),
        (4, _in("INT64")),
        (3, _broadcast_over_4d),
        (2, _INT8),
    ),
    "DIV": ((2, _broadcast_over_4d),),
    "MAXIMUM": ((4, _int16_io), (3, _broadcast_over_4d), (2, _INT8)),
    "MINIMUM": ((4, _int16_io), (3, _broadcast_over_4d), (2, _INT8)),
    "MAX_POOL_2D": ((3, _int16_io), (2, _INT8)),
    "AVERAGE_POOL_2D": ((3, _int16_io), (2, _INT8)),
    "TRANSPOSE": (
        (6, _rank_over(5)),
        (5, _INT16),
        (4, _rank_over(4)),
        (3, _in("BOOL")),
        (2, _INT8),
    ),
    "SPLIT": ((4, _in("INT16", at=1)), (3, _in("INT32", at=1)), (2, _in("INT8", at=1))),
    "SLICE": ((6, _in("UINT32")), (5, _rank_over(4)), (4, _INT16), (3, _in("STRING")), (2, _INT8)),
    "STRIDED_SLICE": (
        (8, _set("offset")),
        (7, _in("UINT32")),
        (6, lambda s: bool(s.option("ellipsis_mask")) or bool(s.option("new_axis_mask"))),
        (5, _in("STRING")),
        (4, _rank_over(4)),
        (3, _in("BOOL")),
        (2, _INT8),
    ),
    "UNPACK": ((2, _in("INT8", "UINT8")), (3, _in("BOOL")), (4, _int16_io)),
    "PACK": ((2, _INT8), (3, _int16_io), (4, _in("UINT32"))),
    "DEQUANTIZE": (
        (6, _in("INT4")),
        (3, _in("INT16", "FLOAT16")),
        (5, lambda s: s.input_type(0) == "INT8" and s.per_channel(0)),
        (2, _INT8),
    ),
    "QUANTIZE": (
        (4, lambda s: "INT4" in (s.input_type(0), s.output_type(0))),
        (3, lambda s: bool(s.outputs) and _quantized_per_channel(s.outputs[0])),
        (2, lambda s: s.output_type(0) == "INT16"),
    ),
    "FLOOR_DIV": ((3, _int8_or_16()), (2, _in("FLOAT32"))),
    "FLOOR_MOD": ((2, _int8_or_16()),),
    "ABS": (
        (5, _in("INT32")),
        (3, lambda s: _INT16(s) and _quantized(s, 0)),
        (4, _INT16),
        (2, _in("INT8", "UINT8")),
    ),
    "RELU": ((3, _INT16), (2, _in("INT8", "UINT8"))),
    "REVERSE_V2": ((3, _INT8), (2, _in("BOOL"))),
    "RESIZE_BILINEAR": ((4, _INT16), (3, _set("half_pixel_centers")), (2, _INT8)),
    "RESIZE_NEAREST_NEIGHBOR": (
        (4, _INT16),
        (3, lambda s: bool(s.option("half_pixel_centers")) or bool(s.option("align_corners"))),
        (2, _INT8),
    ),
    "TILE": ((3, _INT8), (2, _in("STRING"))),
    "SQUEEZE": ((2, _in("STRING")),),
    "SPACE_TO_BATCH_ND": ((4, _INT16), (3, lambda s: s.rank(0) != 4), (2, _INT8)),
    "BATCH_TO_SPACE_ND": ((4, _INT16), (3, lambda s: s.rank(0) != 4), (2, _INT8)),
    "GATHER_ND": ((5, _in("BOOL")), (4, _in("INT16", at=1)), (3, _INT16), (2, _in("STRING"))),
    "TANH": ((3, _int16_io), (2, _INT8)),
    "LOGISTIC": ((3, _int16_io), (2, _INT8)),
    "FILL": ((4, _in("FLOAT16", at=1)), (3, _int8_or_16(1)), (2, _in("BOOL", "STRING", at=1))),
    "EQUAL": ((4, _INT16), (3, _in("STRING")), (2, _INT8)),
    "NOT_EQUAL": ((3, _in("STRING")), (2, _INT8)),
    "LEAKY_RELU": ((2, _INT16),),
    "RANGE": ((2, _in("INT64")),),
    "BATCH_MATMUL": (
        (3, _INT16),
        (2, _INT8),
        (4, lambda s: _hybrid(s) and bool(s.option("asymmetric_quantize_inputs"))),
    ),
    "PAD": ((4, _rank_over(4)), *_INT8_PLAIN),
    "PADV2": ((4, _rank_over(4)), *_INT8_PLAIN),
    "CONCATENATION": ((4, _in("UINT32")), *_INT8_PLAIN),
    "SOFTMAX": _INT8_PLAIN,
    "MEAN": _INT8_PLAIN,
    "MIRROR_PAD": _INT8_PLAIN,
    "REDUCE_MAX": _INT8_PLAIN,
    "REDUCE_MIN": _INT8_PLAIN,
    "RELU6": _INT8_PLAIN,
    "RSQRT": _INT8_PLAIN,
    "LESS": _INT8_PLAIN,
    "GREATER_EQUAL": _INT8_PLAIN,
    "ARG_MAX": ((3, _in("BOOL")), (2, _INT8)),
    "ARG_MIN": ((3, _in("BOOL")), (2, _INT8)),
    "SELECT": (
        (4, _in("UINT32")),
        (3, lambda s: any(s.rank(i) == 5 for i in range(3))),
        (2, _INT8),
    ),
    "SELECT_V2": ((2, _in("UINT32")),),
    **{
        op: ((2, _INT8),)
        for op in (
            "SPACE_TO_DEPTH",
            "SPLIT_V",
            "SUM",
            "LOG_SOFTMAX",
            "GREATER",
            "LESS_EQUAL",
            "SQUARED_DIFFERENCE",
            "DEPTH_TO_SPACE",
        )
    },
    "TOPK_V2": (
        (3, lambda s: "INT16" in (s.input_type(0), s.input_type(1), s.output_type(1))),
        (2, _INT8),
    ),
    "EXP": ((2, _int8_or_16()),),
    "LOG": ((2, _int8_or_16()),),
    "REDUCE_PROD": ((2, _int8_or_16()),),
    # Version 1 was withdrawn: no runtime registers it.
    "BROADCAST_TO": ((3, _int8_or_16()), (2, lambda s: True)),
    "CAST": (
        (7, lambda s: "BFLOAT16" in (s.input_type(0), s.output_type(0))),
        (6, lambda s: (s.input_type(0), s.output_type(0)) == ("INT4", "FLOAT32")),
        (5, lambda s: {s.input_type(0), s.output_type(0)} & {"FLOAT64", "FLOAT16"} != set()),
        (4, lambda s: "UINT16" in (s.input_type(0), s.output_type(0))),
        (3, lambda s: "INT8" in (s.input_type(0), s.output_type(0))),
        (2, lambda s: "UINT32" in (s.input_type(0), s.output_type(0))),
    ),
    "WHERE": ((1, _in("BOOL")), (2, lambda s: True)),
    "GELU": ((2, _in("INT8", "UINT8")),),
    "SIGN": ((2, _in("INT32")),),
    "SPARSE_TO_DENSE": ((3, _in("INT8", "UINT8", at=2)), (2, _in("INT64", at=2))),
}


def _channels(s: OpSignature, i: int) -> int:
    t = s.inputs[i]
    return t.shape[-1] if t is not None and t.shape else 0


def _quantized(s: OpSignature, i: int) -> bool:
    t = s.inputs[i] if i < len(s.inputs) else None
    return t is not None and t.quantization is not None and bool(t.quantization.scale)


def _rescale(s: OpSignature) -> float:
    """input1 scale * input2 scale / output scale of a quantized binary op (0 when float)."""
    tensors = [*(s.inputs[:2]), *s.outputs[:1]]
    scales = [
        t.quantization.scale[0]
        for t in tensors
        if t is not None and t.quantization and t.quantization.scale
    ]
    if len(scales) != 3 or not scales[2]:
        return 0.0
    return scales[0] * scales[1] / scales[2]


def _quantized_per_channel(t: Tensor) -> bool:
    return t.quantization is not None and len(t.quantization.scale) > 1


def builtin_version(opcode: str, signature: OpSignature) -> int:
    """The version of a builtin `opcode` operator with this signature."""
    for version, holds in RULES.get(opcode, ()):
        if holds(signature):
            return version
    return 1
