"""Traits of builtin ops: what passes, backends and the runtime ask about an op beyond its
operands and options.

The compiler reads them through the op table (`OpDef.elementwise`, `OpDef.int8_rule`, ...);
the runtime's shape functions and int8 tables derive their op groups from them. A per-pass or
per-backend list of "elementwise ops" or "ops quantized like their input" is derived here, not
kept again. Compiler-free; keyed by builtin opcode.
"""

from __future__ import annotations

# State kept between invokes (resource variables, hash tables) and the call that initializes it:
# only an interpreter runs them, which keeps the state for the model's life.
STATEFUL = frozenset(
    """VAR_HANDLE READ_VARIABLE ASSIGN_VARIABLE CALL_ONCE HASHTABLE HASHTABLE_FIND
    HASHTABLE_IMPORT HASHTABLE_SIZE""".split()
)

# Elementwise: each output element depends on the input element(s) at the same position (after
# broadcasting), so the op commutes with transposes and reshapes of all its operands.
ELEMENTWISE_UNARY = frozenset(
    """ABS CAST CEIL COS DEQUANTIZE ELU EXP FLOOR GELU HARD_SWISH LEAKY_RELU LOG LOGICAL_NOT
    LOGISTIC NEG QUANTIZE RELU RELU6 RELU_0_TO_1 RELU_N1_TO_1 ROUND RSQRT SIGN SIN SQRT SQUARE
    TANH""".split()
)
ELEMENTWISE_BINARY = frozenset(
    """ADD DIV EQUAL FLOOR_DIV FLOOR_MOD GREATER GREATER_EQUAL LESS LESS_EQUAL LOGICAL_AND
    LOGICAL_OR MAXIMUM MINIMUM MUL NOT_EQUAL POW PRELU SQUARED_DIFFERENCE SUB""".split()
)

# Operands, by their name in the op table, that hold integer positions, sizes or counts (axes,
# shapes, slice specs, paddings, gather indices): no kernel takes another type for them.
INTEGER_OPERANDS = frozenset(
    """axes axis begin block_shape crops depth dilations dim dims end fft_length indices k
    max_output_size multiples num_samples num_segments output_shape pad padding paddings perm
    seq_lengths segment_ids shape size size_splits split_dim start_indices strides
    window_dilations window_dimensions window_strides""".split()
)
INTEGER_TYPES = frozenset("INT8 INT16 INT32 INT64 UINT8 UINT16 UINT32 UINT64".split())

# Data movement: each output element is an element of the data operands (those the op table
# does not name in INTEGER_OPERANDS) or a fill value (a pad's value operand, else 0), so a
# compiled target stores where each comes from (runtime/kernels/gather_tables.py).
DATA_MOVEMENT = frozenset(
    """BATCH_TO_SPACE_ND BROADCAST_TO DEPTH_TO_SPACE DILATE FILL GATHER GATHER_ND MATRIX_DIAG
    MATRIX_SET_DIAG MIRROR_PAD PACK PAD PADV2 RESIZE_NEAREST_NEIGHBOR REVERSE_SEQUENCE REVERSE_V2
    SLICE SPACE_TO_BATCH_ND SPACE_TO_DEPTH SPLIT SPLIT_V STRIDED_SLICE TILE TRANSPOSE
    UNPACK""".split()
)

# How a float32 result can differ between two correct implementations (LiteRT's kernels and a
# compiled target's), which is what a tolerance against LiteRT may rest on (float32_class):
# - "exact": each output is an input value, a constant, a comparison, or an exact function of one
#   (abs, neg, floor, max, clamp, casts of exact values): float32 gives it whatever the order;
# - "rounded": one correctly rounded IEEE add, sub or mul (or a fixed chain of them) on each
#   element: exact wherever the target does the same operations without fusing a multiply-add;
# - "accumulated": sums of many products or terms, whose rounding depends on the summation order
#   (convolutions, matmuls, reductions, pooling averages, normalizations);
# - "math_library": everything else: division, square roots, exp, log, tanh, ... computed by the
#   target's math functions, which carry ulp bounds rather than correct rounding.
FLOAT32_EXACT = DATA_MOVEMENT | frozenset(
    """ABS ARG_MAX ARG_MIN BROADCAST_ARGS BUCKETIZE CAST CEIL CONCATENATION DYNAMIC_UPDATE_SLICE
    EMBEDDING_LOOKUP EQUAL EXPAND_DIMS FLOOR GREATER GREATER_EQUAL LESS LESS_EQUAL LOGICAL_AND
    LOGICAL_NOT LOGICAL_OR MAX_POOL_2D MAXIMUM MINIMUM NEG NOT_EQUAL ONE_HOT RANK REDUCE_ALL
    REDUCE_ANY REDUCE_MAX REDUCE_MIN RELU RELU6 RELU_0_TO_1 RELU_N1_TO_1 RESHAPE ROUND SELECT
    SELECT_V2 SHAPE SIGN SPARSE_TO_DENSE SQUEEZE TOPK_V2 UNSORTED_SEGMENT_MAX UNSORTED_SEGMENT_MIN
    ZEROS_LIKE""".split()
)
# Not DEQUANTIZE: LiteRT's int8 kernel computes q * scale - zero_point * scale (two roundings,
# measured up to 4 ulp from (q - zero_point) * scale), so it is not one rounding everywhere.
FLOAT32_ROUNDED = frozenset("ADD LEAKY_RELU MUL PRELU SQUARE SQUARED_DIFFERENCE SUB".split())
FLOAT32_ACCUMULATED = frozenset(
    """ADD_N AVERAGE_POOL_2D BATCH_MATMUL BIDIRECTIONAL_SEQUENCE_LSTM BIDIRECTIONAL_SEQUENCE_RNN
    CONV_2D CONV_3D CONV_3D_TRANSPOSE CUMSUM DEPTHWISE_CONV_2D FULLY_CONNECTED L2_NORMALIZATION
    L2_POOL_2D LOCAL_RESPONSE_NORMALIZATION LOG_SOFTMAX LSTM MEAN REDUCE_PROD REDUCE_WINDOW RESIZE_BILINEAR RNN
    SEGMENT_SUM SOFTMAX SUM SVDF TRANSPOSE_CONV UNIDIRECTIONAL_SEQUENCE_LSTM
    UNIDIRECTIONAL_SEQUENCE_RNN UNSORTED_SEGMENT_PROD UNSORTED_SEGMENT_SUM""".split()
)


def float32_class(op: str) -> str:
    """The FLOAT32_* class of builtin `op` (upper- or lower-case name; a StableHLO alias as its
    builtin), "math_library" if none."""
    op = STABLEHLO_ALIASES.get(op.upper(), op.upper())
    if op in FLOAT32_EXACT:
        return "exact"
    if op in FLOAT32_ROUNDED:
        return "rounded"
    return "accumulated" if op in FLOAT32_ACCUMULATED else "math_library"


# int8 ops whose kernel is a 256-entry table of the input value (runtime/kernels/int8_tables.py):
# the compiled targets store the interpreter's table instead of re-deriving the arithmetic. NEG
# is one too (its int8 kernel negates the stored value), though the quantizer keeps NEG float.
INT8_TABLE = frozenset(
    """ABS ELU EXP GELU HARD_SWISH LEAKY_RELU LOG LOGISTIC NEG RELU RELU6 RELU_0_TO_1 RELU_N1_TO_1
    RSQRT SQRT TANH""".split()
)

# How TFLite's int8 kernels take their output quantization (what tfl-quantize-int8 assigns):
# - "weighted": conv-like, weights quantized per output channel; see WEIGHTED_OPERANDS;
# - "fixed": the kernel requires the output parameters in INT8_FIXED_OUTPUT;
# - "same_as_input": output shares input 0's parameters (data movement, max/min pooling);
# - "same_all_operands": every operand and the output share parameters;
# - "own": any output parameters, from calibration.
# Not listed, so kept float between a dequantize and a quantize: NEG, whose int8 kernel
# negates the stored values whatever the scales (-128 wraps), as TensorFlow's converter keeps it.
WEIGHTED_OPERANDS = {  # (input, weights, bias, output-channel axis of the weights)
    "CONV_2D": (0, 1, 2, 0),
    "DEPTHWISE_CONV_2D": (0, 1, 2, 3),
    "FULLY_CONNECTED": (0, 1, 2, 0),
    "TRANSPOSE_CONV": (2, 1, 3, 0),
}
INT8_FIXED_OUTPUT = {  # (scale, zero point)
    "SOFTMAX": (1 / 256, -128),
    "LOGISTIC": (1 / 256, -128),
    "TANH": (1 / 128, 0),
    "L2_NORMALIZATION": (1 / 128, 0),
    "LOG_SOFTMAX": (16 / 256, 127),
}
_SAME_AS_INPUT = """AVERAGE_POOL_2D BATCH_TO_SPACE_ND DEPTH_TO_SPACE EXPAND_DIMS GATHER MAX_POOL_2D
    PAD REDUCE_MAX REDUCE_MIN RESHAPE RESIZE_BILINEAR RESIZE_NEAREST_NEIGHBOR SLICE
    SPACE_TO_BATCH_ND SPACE_TO_DEPTH SPLIT SPLIT_V SQUEEZE STRIDED_SLICE TILE TRANSPOSE UNPACK"""
_SAME_ALL_OPERANDS = "CONCATENATION MAXIMUM MINIMUM PACK"
_OWN = """ABS ADD BATCH_MATMUL DIV ELU EXP GELU HARD_SWISH LEAKY_RELU LOG MEAN MUL PRELU RELU
    RELU6 RELU_N1_TO_1 RSQRT SQRT SQUARED_DIFFERENCE SUB SUM"""

INT8_RULES: dict[str, str] = {
    **{op: "same_as_input" for op in _SAME_AS_INPUT.split()},
    **{op: "same_all_operands" for op in _SAME_ALL_OPERANDS.split()},
    **{op: "own" for op in _OWN.split()},
    **{op: "fixed" for op in INT8_FIXED_OUTPUT},
    **{op: "weighted" for op in WEIGHTED_OPERANDS},
}

# The 16x8 scheme (16-bit activations, 8-bit weights): the ops tfl-quantize-int8 gives int16
# activations, each by its INT8_RULES rule, where LiteRT and tflc's interpreter both have the
# int16 kernel. Left float as TensorFlow's converter leaves them (it refuses them without float
# fallback): HARD_SWISH, PRELU, ELU, NEG. Left float though TensorFlow quantizes them: TANH,
# LOGISTIC, GELU, RSQRT (LiteRT's int16 kernels are not in tflc's interpreter, so no bit-exact
# check) and SQUARED_DIFFERENCE (LiteRT 2.3 has no int16 kernel: TF's 16x8 model fails there).
INT16X8_OPS = frozenset(
    """ADD AVERAGE_POOL_2D BATCH_MATMUL CONCATENATION CONV_2D DEPTHWISE_CONV_2D EXPAND_DIMS
    FULLY_CONNECTED GATHER LEAKY_RELU MAX_POOL_2D MAXIMUM MEAN MINIMUM MUL PACK PAD REDUCE_MAX
    REDUCE_MIN RELU RELU6 RESHAPE RESIZE_BILINEAR RESIZE_NEAREST_NEIGHBOR SLICE SOFTMAX SPLIT
    SPLIT_V SQUEEZE STRIDED_SLICE SUB SUM TILE TRANSPOSE TRANSPOSE_CONV UNPACK""".split()
)
INT16_FIXED_OUTPUT = {"SOFTMAX": (1 / 32768, 0)}  # (scale, zero point) LiteRT's int16 kernel needs

# StableHLO elementwise ops that mean a TFLite builtin (without its fused activation): the
# interpreter runs the builtin's kernel for them.
STABLEHLO_ALIASES = {
    "STABLEHLO_ADD": "ADD",
    "STABLEHLO_SUBTRACT": "SUB",
    "STABLEHLO_MULTIPLY": "MUL",
    "STABLEHLO_DIVIDE": "DIV",
    "STABLEHLO_MAXIMUM": "MAXIMUM",
    "STABLEHLO_MINIMUM": "MINIMUM",
    "STABLEHLO_POWER": "POW",
    "STABLEHLO_ABS": "ABS",
    "STABLEHLO_NEGATE": "NEG",
    "STABLEHLO_EXPONENTIAL": "EXP",
    "STABLEHLO_LOG": "LOG",
    "STABLEHLO_COSINE": "COS",
    "STABLEHLO_FLOOR": "FLOOR",
    "STABLEHLO_RSQRT": "RSQRT",
    "STABLEHLO_TANH": "TANH",
    "STABLEHLO_LOGISTIC": "LOGISTIC",
}
# StableHLO's elementwise ops: the aliases of elementwise builtins, and those with kernels of
# their own. StableHLO never broadcasts implicitly (converters write BROADCAST_IN_DIM).
STABLEHLO_ELEMENTWISE_UNARY = frozenset(
    {op for op, builtin in STABLEHLO_ALIASES.items() if builtin in ELEMENTWISE_UNARY}
    | {"STABLEHLO_CBRT", "STABLEHLO_CONVERT"}
)
STABLEHLO_ELEMENTWISE_BINARY = frozenset(
    {op for op, builtin in STABLEHLO_ALIASES.items() if builtin in ELEMENTWISE_BINARY}
    | {"STABLEHLO_AND", "STABLEHLO_OR", "STABLEHLO_REMAINDER", "STABLEHLO_SHIFT_LEFT"}
    | {"STABLEHLO_COMPARE"}
)

# StableHLO ops are not in the op table; the options fields naming the subgraphs their kernels
# run (a reduction's body, a sort's comparator, ...) are required, as the control flow's are.
STABLEHLO_SUBGRAPH_FIELDS = {
    "STABLEHLO_COMPOSITE": ("decomposition_subgraph_index",),
    "STABLEHLO_REDUCE": ("body_subgraph_index",),
    "STABLEHLO_REDUCE_WINDOW": ("body_subgraph_index",),
    "STABLEHLO_SCATTER": ("update_computation_subgraph_index",),
    "STABLEHLO_SORT": ("comparator_subgraph_index",),
    "STABLEHLO_WHILE": ("cond_subgraph_index", "body_subgraph_index"),
}
