"""The tfl dialect's one op table.

Each line is `OPCODE: operands -> results`. An operand ending in `?` is optional (absent from
the flatbuffer's input list when missing at the end, a `none` value from `tfl.no_value` where the
file holds index -1); one ending in `*` takes any number. Results default to one `output`.
Everything else derives from this table: the verifier (dialects/tfl_verifier.py), the op
builders (dialects/tfl.py), and the flatbuffer opcode and options mapping used by the importer
and the exporter. The options
fields themselves come from the TFLite schema (runtime/tflite_schema.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from tflc.runtime import op_traits
from tflc.runtime.tflite_schema import (
    BUILTIN_OPERATOR_CODES,
    BUILTIN_OPTIONS2_CODES,
    BUILTIN_OPTIONS_CODES,
    OptionField,
    options_table,
)

_OPS = """
ADD: lhs rhs
AVERAGE_POOL_2D: input
CONCATENATION: values*
CONV_2D: input filter bias?
DEPTHWISE_CONV_2D: input filter bias?
DEPTH_TO_SPACE: input
DEQUANTIZE: input
EMBEDDING_LOOKUP: lookup value
FLOOR: x
FULLY_CONNECTED: input filter bias? -> output*
HASHTABLE_LOOKUP: lookup key value -> out hits
L2_NORMALIZATION: input
L2_POOL_2D: input
LOCAL_RESPONSE_NORMALIZATION: input
LOGISTIC: x
LSH_PROJECTION: hash input weight?
LSTM: inputs*
MAX_POOL_2D: input
MUL: lhs rhs
RELU: x
RELU_N1_TO_1: x
RELU6: x
RESHAPE: input shape?
RESIZE_BILINEAR: input size
RNN: input weights recurrent_weights bias hidden_state
SOFTMAX: input
SPACE_TO_DEPTH: input
SVDF: inputs*
TANH: x
CONCAT_EMBEDDINGS: inputs*
SKIP_GRAM: input
CALL: inputs* -> outputs*
EMBEDDING_LOOKUP_SPARSE: inputs*
PAD: input padding
UNIDIRECTIONAL_SEQUENCE_RNN: input weights recurrent_weights bias hidden_state
GATHER: params indices
BATCH_TO_SPACE_ND: input block_shape crops
SPACE_TO_BATCH_ND: input block_shape paddings
TRANSPOSE: input perm
MEAN: input axis
SUB: lhs rhs
DIV: lhs rhs
SQUEEZE: input
UNIDIRECTIONAL_SEQUENCE_LSTM: inputs*
STRIDED_SLICE: input begin end strides
BIDIRECTIONAL_SEQUENCE_RNN: inputs* -> outputs*
EXP: x
TOPK_V2: input k -> values indices
SPLIT: split_dim value -> outputs*
LOG_SOFTMAX: input
DELEGATE: inputs* -> outputs*
BIDIRECTIONAL_SEQUENCE_LSTM: inputs* -> outputs*
CAST: input
PRELU: input alpha
MAXIMUM: lhs rhs
ARG_MAX: input dim
MINIMUM: lhs rhs
LESS: lhs rhs
NEG: x
PADV2: input padding constant_values
GREATER: lhs rhs
GREATER_EQUAL: lhs rhs
LESS_EQUAL: lhs rhs
SELECT: condition x y
SLICE: input begin size
SIN: x
TRANSPOSE_CONV: output_shape weights input bias?
SPARSE_TO_DENSE: indices output_shape values default_value
TILE: input multiples
EXPAND_DIMS: input dim
EQUAL: lhs rhs
NOT_EQUAL: lhs rhs
LOG: x
SUM: input axes
SQRT: x
RSQRT: x
SHAPE: input
POW: lhs rhs
ARG_MIN: input dim
FAKE_QUANT: input
REDUCE_PROD: input axes
REDUCE_MAX: input axes
PACK: values*
LOGICAL_OR: lhs rhs
ONE_HOT: indices depth on_value off_value
LOGICAL_AND: lhs rhs
LOGICAL_NOT: x
UNPACK: input -> outputs*
REDUCE_MIN: input axes
FLOOR_DIV: lhs rhs
REDUCE_ANY: input axes
SQUARE: x
ZEROS_LIKE: input
FILL: dims value
FLOOR_MOD: lhs rhs
RANGE: start limit delta
RESIZE_NEAREST_NEIGHBOR: input size
LEAKY_RELU: input
SQUARED_DIFFERENCE: lhs rhs
MIRROR_PAD: input pad
ABS: x
SPLIT_V: value size_splits split_dim -> outputs*
UNIQUE: input -> output idx
CEIL: x
REVERSE_V2: input axis
ADD_N: inputs*
GATHER_ND: params indices
COS: x
WHERE: condition
RANK: input
ELU: x
REVERSE_SEQUENCE: input seq_lengths
MATRIX_DIAG: diagonal
QUANTIZE: input
MATRIX_SET_DIAG: input diagonal
ROUND: x
HARD_SWISH: input
IF: cond inputs* -> outputs*
WHILE: inputs* -> outputs*
NON_MAX_SUPPRESSION_V4: boxes scores max_output_size iou_threshold score_threshold -> selected_indices valid_outputs
NON_MAX_SUPPRESSION_V5: boxes scores max_output_size iou_threshold score_threshold soft_nms_sigma -> selected_indices selected_scores valid_outputs
SCATTER_ND: indices updates shape
SELECT_V2: condition x y
DENSIFY: input
SEGMENT_SUM: input segment_ids
BATCH_MATMUL: x y
CUMSUM: input axis
CALL_ONCE: ->
BROADCAST_TO: input shape
RFFT2D: input fft_length
CONV_3D: input filter bias?
IMAG: input
REAL: input
COMPLEX_ABS: input
HASHTABLE: -> out
HASHTABLE_FIND: hash_table keys default_value
HASHTABLE_IMPORT: hash_table keys values ->
HASHTABLE_SIZE: hash_table
REDUCE_ALL: input axes
CONV_3D_TRANSPOSE: output_shape filter input bias?
VAR_HANDLE: -> resource
READ_VARIABLE: resource
ASSIGN_VARIABLE: resource value ->
BROADCAST_ARGS: s0 s1
RANDOM_STANDARD_NORMAL: shape
BUCKETIZE: input
RANDOM_UNIFORM: shape
MULTINOMIAL: logits num_samples
GELU: input
DYNAMIC_UPDATE_SLICE: operand update start_indices
RELU_0_TO_1: x
UNSORTED_SEGMENT_PROD: data segment_ids num_segments
UNSORTED_SEGMENT_MAX: data segment_ids num_segments
UNSORTED_SEGMENT_SUM: data segment_ids num_segments
ATAN2: y x
UNSORTED_SEGMENT_MIN: data segment_ids num_segments
SIGN: x
BITCAST: input
BITWISE_XOR: lhs rhs
RIGHT_SHIFT: lhs rhs
DILATE: input dilations padding_value
REDUCE_WINDOW: input init_value window_dimensions window_strides window_dilations
CUSTOM: inputs* -> outputs*
"""

# Where the options table is not the opcode's own name + "Options".
_OPTIONS_OVERRIDES = {
    "AVERAGE_POOL_2D": "Pool2DOptions",
    "MAX_POOL_2D": "Pool2DOptions",
    "L2_POOL_2D": "Pool2DOptions",
    "MEAN": "ReducerOptions",
    "SUM": "ReducerOptions",
    "REDUCE_PROD": "ReducerOptions",
    "REDUCE_MAX": "ReducerOptions",
    "REDUCE_MIN": "ReducerOptions",
    "REDUCE_ANY": "ReducerOptions",
    "REDUCE_ALL": "ReducerOptions",
    "MAXIMUM": "MaximumMinimumOptions",
    "MINIMUM": "MaximumMinimumOptions",
    "L2_NORMALIZATION": "L2NormOptions",
    "UNIDIRECTIONAL_SEQUENCE_RNN": "SequenceRNNOptions",
    "CONV_3D_TRANSPOSE": "Conv3DOptions",
    "RANDOM_STANDARD_NORMAL": "RandomOptions",
    "RANDOM_UNIFORM": "RandomOptions",
    "MULTINOMIAL": "RandomOptions",
    "RELU": None,
    "RELU6": None,
    "RELU_N1_TO_1": None,
    "RELU_0_TO_1": None,
    "CUSTOM": None,
    "DILATE": None,  # DilateOptions is empty; TensorFlow's converter writes none
}

# Options fields that name subgraphs: symbol references to functions in MLIR.
SUBGRAPH_FIELDS = {
    "then_subgraph_index",
    "else_subgraph_index",
    "cond_subgraph_index",
    "body_subgraph_index",
    "subgraph",
    "init_subgraph_index",
    # StableHLO ops (runtime/op_traits.STABLEHLO_SUBGRAPH_FIELDS)
    "decomposition_subgraph_index",
    "comparator_subgraph_index",
    "update_computation_subgraph_index",
}


@dataclass(frozen=True)
class Operand:
    name: str
    optional: bool = False
    variadic: bool = False


@dataclass(frozen=True)
class OpDef:
    opcode: str  # "CONV_2D"
    name: str  # "conv_2d", so the MLIR op is "tfl.conv_2d"
    code: int  # BuiltinOperator value
    operands: tuple[Operand, ...]
    results: tuple[Operand, ...]
    options: str | None  # options table name, e.g. "Conv2DOptions"

    @property
    def mlir_name(self) -> str:
        return f"tfl.{self.name}"

    @property
    def options_in_second_union(self) -> bool:
        """Whether the options table is a member of `builtin_options_2` (REDUCE_WINDOW's)."""
        return self.options is not None and self.options not in BUILTIN_OPTIONS_CODES

    @property
    def attributes(self) -> tuple[OptionField, ...]:
        return options_table(self.options).fields if self.options else ()

    @property
    def attribute_names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.attributes)

    @property
    def fixed_arity(self) -> bool:
        return not any(o.variadic for o in self.operands)

    @property
    def elementwise(self) -> str | None:
        """ "unary", "binary" (broadcasting) or None (dialects/op_traits.py)."""
        if self.opcode in op_traits.ELEMENTWISE_UNARY:
            return "unary"
        return "binary" if self.opcode in op_traits.ELEMENTWISE_BINARY else None

    @property
    def int8_rule(self) -> str | None:
        """How the int8 op takes its output quantization, or None when it has no int8 form
        tflc produces (dialects/op_traits.py)."""
        return op_traits.INT8_RULES.get(self.opcode)

    @property
    def int8_fixed_output(self) -> tuple[float, int] | None:
        return op_traits.INT8_FIXED_OUTPUT.get(self.opcode)

    @property
    def int16x8_rule(self) -> str | None:
        """The int8 rule, for the ops whose 16x8 form tflc produces (op_traits.INT16X8_OPS)."""
        return self.int8_rule if self.opcode in op_traits.INT16X8_OPS else None

    @property
    def int16_fixed_output(self) -> tuple[float, int] | None:
        return op_traits.INT16_FIXED_OUTPUT.get(self.opcode)

    @property
    def weighted_operands(self) -> tuple[int, int, int, int] | None:
        return op_traits.WEIGHTED_OPERANDS.get(self.opcode)


def _operands(spec: str) -> tuple[Operand, ...]:
    out = []
    for word in spec.split():
        out.append(Operand(word.rstrip("?*"), word.endswith("?"), word.endswith("*")))
    return tuple(out)


def _options_for(opcode: str) -> str | None:
    if opcode in _OPTIONS_OVERRIDES:
        return _OPTIONS_OVERRIDES[opcode]
    wanted = opcode.replace("_", "").lower() + "options"
    for name in (*BUILTIN_OPTIONS_CODES, *BUILTIN_OPTIONS2_CODES):
        if name.lower() == wanted:
            return name
    return None


# Ops of the dialect that are not flatbuffer operators: constants, absent inputs, custom ops.
#   name: (operands, results, required attributes)
EXTRA_OPS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "pseudo_const": ("", "output", ("value",)),
    "pseudo_qconst": ("", "output", ("qtype", "value")),
    "pseudo_sparse_const": (
        "",
        "output",
        ("value", "traversal_order", "block_map", "dim_metadata"),
    ),
    "pseudo_raw_const": ("", "output", ("value",)),
    "no_value": ("", "none_val", ("value",)),
    "variable": ("", "output", ()),
    "custom": ("inputs*", "outputs*", ("custom_code", "custom_option")),
}


@functools.cache
def op_table() -> dict[str, OpDef]:
    """OPCODE -> OpDef for every builtin operator except the STABLEHLO_* ones."""
    table = {}
    for line in _OPS.strip().splitlines():
        opcode, _, sig = line.partition(":")
        ins, arrow, outs = sig.partition("->")
        results = _operands(outs) if arrow else (Operand("output"),)
        table[opcode] = OpDef(
            opcode=opcode,
            name=opcode.lower(),
            code=BUILTIN_OPERATOR_CODES[opcode],
            operands=_operands(ins),
            results=results,
            options=_options_for(opcode),
        )
    return table


@functools.cache
def ops_by_mlir_name() -> dict[str, OpDef]:
    return {d.mlir_name: d for d in op_table().values()}


@functools.cache
def ops_by_code() -> dict[int, OpDef]:
    return {d.code: d for d in op_table().values()}


def missing_builtins() -> list[str]:
    """Builtin operators of the schema the table does not define (expected: STABLEHLO_* only)."""
    skip = ("STABLEHLO_", "PLACEHOLDER_FOR_GREATER_OP_CODES")
    return sorted(
        n for n in BUILTIN_OPERATOR_CODES if n not in op_table() and not n.startswith(skip)
    )
