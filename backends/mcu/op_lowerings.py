"""The op table of the MCU target: tfl op name -> its lowering (ops_nn, ops_elementwise, ops_data)."""

from __future__ import annotations

from tflc.backends.mcu.control_flow import lower_call, lower_if, lower_while
from tflc.backends.mcu.lowering import COMPLEX_REASON
from tflc.backends.mcu.ops_any_type import HANDLERS as ANY_TYPE_HANDLERS
from tflc.backends.mcu.ops_blocks import HANDLERS as BLOCK_HANDLERS
from tflc.backends.mcu.ops_conv3d import HANDLERS as CONV3D_HANDLERS
from tflc.backends.mcu.ops_data import (
    _alias,
    _arg_minmax,
    _concatenation,
    _densify,
    _gather,
    _mean,
    _pad,
    _resize,
    _slice,
    _split,
    _strided_slice,
    _tile,
    _transpose,
)
from tflc.backends.mcu.ops_elementwise import (
    RELU_BOUNDS,
    UNARY_OPS,
    _binary,
    _dequantize,
    _quantize,
    _relu,
    _unary,
)
from tflc.backends.mcu.ops_indexing import HANDLERS as INDEXING_HANDLERS
from tflc.backends.mcu.ops_layout import HANDLERS as LAYOUT_HANDLERS
from tflc.backends.mcu.ops_logic import HANDLERS as LOGIC_HANDLERS
from tflc.backends.mcu.ops_nn import (
    _batch_matmul,
    _conv,
    _fully_connected,
    _pool,
    _softmax,
    _transpose_conv,
)
from tflc.backends.mcu.ops_norm import HANDLERS as NORM_HANDLERS
from tflc.backends.mcu.ops_random import HANDLERS as RANDOM_HANDLERS
from tflc.backends.mcu.ops_recurrent import HANDLERS as RECURRENT_HANDLERS
from tflc.backends.mcu.ops_reduce_window import HANDLERS as REDUCE_WINDOW_HANDLERS

HANDLERS = {
    "tfl.conv_2d": lambda lw: _conv(lw, False),
    "tfl.depthwise_conv_2d": lambda lw: _conv(lw, True),
    "tfl.fully_connected": _fully_connected,
    "tfl.add": lambda lw: _binary(lw, "add"),
    "tfl.mul": lambda lw: _binary(lw, "mul"),
    "tfl.average_pool_2d": lambda lw: _pool(lw, "average"),
    "tfl.max_pool_2d": lambda lw: _pool(lw, "max"),
    "tfl.mean": _mean,
    "tfl.softmax": _softmax,
    **{name: _relu for name in RELU_BOUNDS},
    "tfl.quantize": _quantize,
    "tfl.dequantize": _dequantize,
    "tfl.reshape": _alias,
    "tfl.squeeze": _alias,
    "tfl.expand_dims": _alias,
    "tfl.concatenation": _concatenation,
    "tfl.pad": _pad,
    "tfl.padv2": _pad,
    "tfl.sub": lambda lw: _binary(lw, "sub"),
    "tfl.maximum": lambda lw: _binary(lw, "maximum"),
    "tfl.minimum": lambda lw: _binary(lw, "minimum"),
    "tfl.reduce_max": lambda lw: _mean(lw, "max"),
    "tfl.sum": lambda lw: _mean(lw, "sum"),
    "tfl.reduce_min": lambda lw: _mean(lw, "min"),
    "tfl.arg_max": lambda lw: _arg_minmax(lw, False),
    "tfl.arg_min": lambda lw: _arg_minmax(lw, True),
    "tfl.transpose": _transpose,
    "tfl.strided_slice": _strided_slice,
    "tfl.slice": _slice,
    "tfl.split": _split,
    "tfl.split_v": lambda lw: _split(lw, sizes_operand=True),
    "tfl.tile": _tile,
    "tfl.gather": _gather,
    "tfl.transpose_conv": _transpose_conv,
    "tfl.prelu": lambda lw: _binary(lw, "prelu"),
    "tfl.squared_difference": lambda lw: _binary(lw, "squared_difference"),
    "tfl.div": lambda lw: _binary(lw, "div"),
    "tfl.pow": lambda lw: _binary(lw, "pow"),
    "tfl.floor_div": lambda lw: _binary(lw, "floor_div"),
    "tfl.floor_mod": lambda lw: _binary(lw, "floor_mod"),
    **ANY_TYPE_HANDLERS,
    **LAYOUT_HANDLERS,
    **LOGIC_HANDLERS,
    **INDEXING_HANDLERS,
    **BLOCK_HANDLERS,
    **NORM_HANDLERS,
    **CONV3D_HANDLERS,
    **RECURRENT_HANDLERS,
    **RANDOM_HANDLERS,
    **REDUCE_WINDOW_HANDLERS,
    "tfl.densify": _densify,
    "tfl.bitcast": _alias,  # the same bytes read as another type
    "tfl.batch_matmul": _batch_matmul,
    **{name: _unary for name in UNARY_OPS},
    "tfl.resize_bilinear": lambda lw: _resize(lw, "bilinear"),
    "tfl.resize_nearest_neighbor": lambda lw: _resize(lw, "nearest"),
    "tfl.while": lower_while,
    "tfl.if": lower_if,
    "tfl.call": lower_call,
}

SUPPORTED_OPS = sorted(HANDLERS)

_VALUE_SHAPED = "its output shape depends on input values; the static arena needs every shape"
_RESOURCE = (
    "resource tensors hold state the graph reads and assigns by handle; the generated code "
    "keeps only recurrent ops' variable tensors"
)
_COMPLEX = COMPLEX_REASON
# Ops the interpreter runs that the MCU target does not compile by design: op -> why.
EXCLUDED = {
    "tfl.where": _VALUE_SHAPED,
    "tfl.unique": _VALUE_SHAPED,
    "tfl.non_max_suppression_v4": _VALUE_SHAPED,
    "tfl.non_max_suppression_v5": _VALUE_SHAPED,
    "tfl.embedding_lookup_sparse": _VALUE_SHAPED,
    "tfl.var_handle": _RESOURCE,
    "tfl.read_variable": _RESOURCE,
    "tfl.assign_variable": _RESOURCE,
    "tfl.hashtable": _RESOURCE + " (and string keys or values)",
    "tfl.hashtable_find": _RESOURCE + " (and string keys or values)",
    "tfl.hashtable_import": _RESOURCE + " (and string keys or values)",
    "tfl.hashtable_size": _RESOURCE,
    "tfl.skip_gram": "string tensors have no MCU element type",
    # the init subgraph it runs once assigns resource variables (above)
    "tfl.call_once": _RESOURCE + " (its init subgraph assigns resource variables)",
    "tfl.multinomial": (
        "LiteRT samples it from a generator other than its Philox stream, which no kernel "
        "here reproduces: no exact stream to compile"
    ),
    "tfl.rfft2d": _COMPLEX,
    "tfl.real": _COMPLEX,
    "tfl.imag": _COMPLEX,
    "tfl.complex_abs": _COMPLEX,
}
