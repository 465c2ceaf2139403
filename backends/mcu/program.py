"""The MCU program: tensors, kernel calls with resolved parameters, and the kernel registry."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tflc.backends.mcu.float_formulas_c import FORMULAS_HEADER

C_TYPES = {
    "int8": "int8_t",
    "int32": "int32_t",
    "float32": "float",
    "int64": "int64_t",
    "uint8": "uint8_t",
    "bool": "uint8_t",  # 0 or 1, as numpy's bool
    "float16": "uint16_t",  # IEEE binary16 bits (float16 weights only), widened by DEQUANTIZE
}
ALIAS_OPS = ("tfl.reshape", "tfl.squeeze", "tfl.expand_dims")
CONSTANT_OPS = ("tfl.pseudo_const", "tfl.pseudo_qconst")


@dataclass
class Tensor:
    """A value the generated code holds: a model input or output, an arena buffer or a weight."""

    id: int
    name: str
    shape: tuple[int, ...]
    dtype: str  # a key of C_TYPES
    scale: float | list[float] | None = None
    zero_point: int | list[int] | None = None
    data: np.ndarray | None = None  # constants only
    origin: str = ""  # where the value comes from (the op's location), for comments
    variable: bool = False  # a `tfl.variable`: state kept between runs, outside the arena

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        return self.size * np.dtype(self.dtype).itemsize

    @property
    def ctype(self) -> str:
        return C_TYPES[self.dtype]


@dataclass
class Param:
    """A `static const` the call refers to: an array, or a struct initializer."""

    name: str
    ctype: str
    value: list[int] | str  # list: an array; str: a struct initializer


@dataclass
class KernelCall:
    op_name: str
    location: str
    kernel: str  # key of KERNELS
    call: str  # C call, with {p:NAME} for params, {t:ID} for tensors
    inputs: list[int]
    outputs: list[int]
    params: list[Param] = field(default_factory=list)
    # Bytes d >= 0 such that outputs[0] may be written while inputs[0] is still being read when
    # the input starts d bytes after the output's start (0: in place). None: never overlap.
    overlap: int | None = None
    overlap_inputs: tuple[int, ...] = (0,)  # which inputs may overlap the output
    # A control-flow marker, not a kernel ("while_begin", "while_test", "while_end",
    # "if_begin", "if_else", "if_end": control_flow.py); `call` is its C text.
    control: str = ""


@dataclass
class Program:
    tensors: dict[int, Tensor]
    inputs: list[int]
    outputs: list[int]
    calls: list[KernelCall]
    aliases: dict[int, int]  # tensor id -> the id whose storage it shares


# Kernel name -> (C sources, headers) under kernels/; model.c includes the headers.
# FORMULAS_HEADER is generated (backends/mcu/float_formulas_c.py), the rest are files.
KERNELS: dict[str, tuple[list[str], list[str]]] = {
    "conv_s8": (["conv_s8.c"], ["conv_s8.h"]),
    "depthwise_conv_s8": (["depthwise_conv_s8.c"], ["conv_s8.h"]),
    "fully_connected_s8": (["fully_connected_s8.c"], ["fully_connected_s8.h"]),
    "add_s8": (["add_s8.c"], ["binary_s8.h"]),
    "mul_s8": (["mul_s8.c"], ["binary_s8.h"]),
    "prelu_s8": (["prelu_s8.c"], ["binary_s8.h"]),
    "squared_difference_s8": (["squared_difference_s8.c"], ["binary_s8.h"]),
    "div_s8": (["div_s8.c"], ["div_s8.h"]),
    "batch_matmul_s8": (["batch_matmul_s8.c"], ["batch_matmul_s8.h"]),
    "minmax_s8": (["minmax_s8.c"], ["binary_s8.h"]),
    "pool_s8": (["pool_s8.c"], ["pool_s8.h"]),
    "mean_s8": (["mean_s8.c"], ["mean_s8.h"]),
    "softmax_s8": (["softmax_s8.c"], ["softmax_s8.h"]),
    "transpose_conv_s8": (["transpose_conv_s8.c"], ["transpose_conv_s8.h"]),
    "resize_s8": (["resize_s8.c"], ["resize_s8.h"]),
    "lut_s8": (["lut_s8.c"], ["lut_s8.h"]),
    "requantize_s8": (["requantize_s8.c"], ["requantize_s8.h"]),
    "data_movement": (["data_movement.c"], ["data_movement.h"]),
    "quantize_io": (["quantize_io.c"], ["quantize_io.h", "float_ops.h"]),
    # *_template.h: the loops, written once for float32 and for float16 (f16w) weights
    "conv_f32": (["conv_f32.c"], ["float_ops.h", "conv_f32_template.h"]),
    "conv_f16w": (["conv_f16w.c"], ["float_ops.h", "conv_f32_template.h"]),
    "fully_connected_f32": (
        ["fully_connected_f32.c"],
        ["float_ops.h", "fully_connected_f32_template.h"],
    ),
    "fully_connected_f16w": (
        ["fully_connected_f16w.c"],
        ["float_ops.h", "fully_connected_f32_template.h"],
    ),
    "elementwise_f32": (["elementwise_f32.c"], ["float_ops.h"]),
    "pool_f32": (["pool_f32.c"], ["float_ops.h"]),
    "reduce_f32": (["reduce_f32.c"], ["float_ops.h"]),
    "elu_f32": (["elu_f32.c"], ["float_ops.h", FORMULAS_HEADER]),
    "unary_f32": (["unary_f32.c"], ["float_ops.h", FORMULAS_HEADER]),
    "transpose_conv_f32": (["transpose_conv_f32.c"], ["float_ops.h"]),
    "resize_f32": (["resize_f32.c"], ["float_ops.h"]),
    "batch_matmul_f32": (["batch_matmul_f32.c"], ["float_ops.h"]),
    "softmax_f32": (["softmax_f32.c"], ["float_ops.h"]),
    "elementwise_any": (["elementwise_any.c"], ["elementwise_any.h"]),
    "arg_minmax": (["arg_minmax.c"], ["arg_minmax.h", "elementwise_any.h"]),
    "elementwise_extra": (["elementwise_extra.c"], ["elementwise_extra.h", "elementwise_any.h"]),
    "indexing": (["indexing.c"], ["indexing.h", "elementwise_any.h"]),
    "conv3d_f32": (["conv3d_f32.c"], ["conv3d_f32.h", "float_ops.h"]),
    "lsh_projection": (["lsh_projection.c"], ["lsh_projection.h"]),
    "l2_norm_s8": (["l2_norm_s8.c"], ["l2_norm_s8.h"]),
    "log_softmax_s8": (["log_softmax_s8.c"], ["log_softmax_s8.h"]),
    "normalization_f32": (["normalization_f32.c"], ["normalization_f32.h", "float_ops.h"]),
    "random_f32": (["random_f32.c"], ["random_f32.h"]),
    "reduce_window": (["reduce_window.c"], ["reduce_window.h", "elementwise_any.h"]),
    "recurrent_f32": (["recurrent_f32.c"], ["recurrent_f32.h", FORMULAS_HEADER]),
}
COMMON_HEADERS = ["tflc_common.h"]
