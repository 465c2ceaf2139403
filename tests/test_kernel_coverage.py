"""Every builtin kernel of the interpreter is run against an oracle by some test.

An op counts as covered by a case of the kernel case tables (kernel_cases.py), by the stateful
tests (test_kernels_stateful.STATEFUL_OPS), or by an entry of COVERED_ELSEWHERE naming the test
that runs it against LiteRT (or, for StableHLO ops LiteRT lacks, numpy written from the
StableHLO specification). Each op needs a case on its plain types, and each op the int8
quantizer emits (op_traits.INT8_RULES) a case with int8 operands too. The table of other tests
was measured by recording which kernels those tests invoke; the test below checks that every
test it names still exists and still mentions the op.
"""

from __future__ import annotations

import ast
from pathlib import Path

from kernel_cases import ALL_CASES
from test_kernels_stateful import STATEFUL_OPS
from tflc.runtime import kernels
from tflc.runtime.op_traits import INT8_RULES

TESTS = Path(__file__).parent

# test -> the ops it runs against LiteRT ("OP" plain types, "OP:INT8" int8 operands).
COVERED_ELSEWHERE = {
    "test_interpreter_ops.py::test_float_ops": """
        ABS ADD ARG_MAX AVERAGE_POOL_2D BATCH_MATMUL BATCH_TO_SPACE_ND CEIL CONV_2D COS CUMSUM
        DEPTHWISE_CONV_2D DEPTH_TO_SPACE DIV ELU EXP FLOOR FLOOR_DIV FLOOR_MOD FULLY_CONNECTED
        GATHER GATHER_ND GELU HARD_SWISH L2_NORMALIZATION L2_POOL_2D
        LOCAL_RESPONSE_NORMALIZATION LOGISTIC LOG_SOFTMAX MAXIMUM MINIMUM MIRROR_PAD MUL NEG
        ONE_HOT PACK PADV2 POW RELU RELU6 RELU_N1_TO_1 RESIZE_BILINEAR RESIZE_NEAREST_NEIGHBOR
        ROUND SCATTER_ND SELECT_V2 SIGN SIN SLICE SPACE_TO_BATCH_ND SPACE_TO_DEPTH SPLIT SPLIT_V
        SQUARE SQUARED_DIFFERENCE STRIDED_SLICE SUB TANH TILE TOPK_V2 TRANSPOSE TRANSPOSE_CONV
        UNPACK""",
    "test_interpreter_ops.py::test_int16_softmax": "SOFTMAX",
    "test_interpreter_ops.py::test_int8_unary_tables": "EXP:INT8 LOG:INT8 LOG RSQRT:INT8 RSQRT",
    "test_interpreter_ops.py::test_misc_and_3d_ops": """
        BUCKETIZE CONV_3D CONV_3D_TRANSPOSE DILATE SPARSE_TO_DENSE STABLEHLO_ADD
        STABLEHLO_MAXIMUM STABLEHLO_MULTIPLY""",
    "test_interpreter_ops.py::test_non_max_suppression": """
        NON_MAX_SUPPRESSION_V4 NON_MAX_SUPPRESSION_V5""",
    "test_interpreter_ops.py::test_quantized_activations": """
        ELU:INT8 GELU:INT8 HARD_SWISH:INT8 LEAKY_RELU:INT8 LEAKY_RELU LOGISTIC:INT8 PRELU:INT8
        PRELU RELU:INT8 RELU6:INT8 RELU_N1_TO_1:INT8 SOFTMAX:INT8 TANH:INT8""",
    "test_interpreter_ops.py::test_quantized_binary": "ADD:INT8 MUL:INT8 SUB:INT8",
    "test_interpreter_ops.py::test_quantized_conv_and_depthwise": """
        CONV_2D:INT8 DEPTHWISE_CONV_2D:INT8""",
    "test_interpreter_ops.py::test_quantized_data_movement": """
        CONCATENATION DEQUANTIZE:INT8 DEQUANTIZE EQUAL:INT8 EQUAL GREATER_EQUAL:INT8
        GREATER_EQUAL LESS:INT8 LESS PAD:INT8 PAD QUANTIZE:INT8 QUANTIZE RESIZE_BILINEAR:INT8
        RESIZE_NEAREST_NEIGHBOR:INT8""",
    "test_interpreter_ops.py::test_quantized_fully_connected": "FULLY_CONNECTED:INT8",
    "test_interpreter_ops.py::test_quantized_l2_normalization": "L2_NORMALIZATION:INT8",
    "test_interpreter_ops.py::test_quantized_pooling_and_reductions": """
        AVERAGE_POOL_2D:INT8 MAX_POOL_2D:INT8 MAX_POOL_2D MEAN:INT8 MEAN SUM:INT8 SUM""",
    "test_interpreter_ops.py::test_quantized_transpose_conv_and_batch_matmul": """
        BATCH_MATMUL:INT8 TRANSPOSE_CONV:INT8""",
    "test_interpreter_ops.py::test_recurrent_ops_carry_state_like_litert": """
        BIDIRECTIONAL_SEQUENCE_LSTM BIDIRECTIONAL_SEQUENCE_RNN RNN SVDF
        UNIDIRECTIONAL_SEQUENCE_LSTM UNIDIRECTIONAL_SEQUENCE_RNN""",
    "test_interpreter_rare_ops.py::test_embedding_lookup_sparse": "EMBEDDING_LOOKUP_SPARSE",
    "test_interpreter_rare_ops.py::test_hashtable_lookup": "HASHTABLE_LOOKUP",
    "test_interpreter_rare_ops.py::test_hashtable_ops_match_litert": """
        HASHTABLE HASHTABLE_FIND HASHTABLE_IMPORT HASHTABLE_SIZE""",
    "test_interpreter_rare_ops.py::test_lsh_projection_matches_litert": "LSH_PROJECTION",
    "test_interpreter_rare_ops.py::test_multinomial_follows_the_distribution": "MULTINOMIAL",
    "test_interpreter_rare_ops.py::test_random_ops_reproduce_litert_philox_stream": """
        RANDOM_STANDARD_NORMAL RANDOM_UNIFORM""",
    "test_interpreter_rare_ops.py::test_skip_gram_matches_litert": "SKIP_GRAM",
    "test_interpreter_stablehlo.py::test_broadcast_in_dim_places_and_reorders_dims": """
        STABLEHLO_BROADCAST_IN_DIM""",
    "test_interpreter_stablehlo.py::test_compare": "STABLEHLO_COMPARE",
    "test_interpreter_stablehlo.py::test_composite_runs_its_decomposition_like_litert": """
        STABLEHLO_COMPOSITE""",
    "test_interpreter_stablehlo.py::test_convolution_matches_litert_conv_2d": """
        STABLEHLO_CONVOLUTION""",
    "test_interpreter_stablehlo.py::test_dot_general_matches_litert_batch_matmul": """
        STABLEHLO_DOT_GENERAL""",
    "test_interpreter_stablehlo.py::test_dynamic_slice_and_update_clamp_their_starts": """
        STABLEHLO_DYNAMIC_SLICE STABLEHLO_DYNAMIC_UPDATE_SLICE""",
    "test_interpreter_stablehlo.py::test_gather_clamps_out_of_range_scalar_indices": """
        STABLEHLO_GATHER""",
    "test_interpreter_stablehlo.py::test_pad_matches_litert": "STABLEHLO_PAD",
    "test_interpreter_stablehlo.py::test_reduce": "STABLEHLO_REDUCE STABLEHLO_SELECT",
    "test_interpreter_stablehlo.py::test_reduce_window_matches_litert": "REDUCE_WINDOW",
    "test_interpreter_stablehlo.py::test_rng_bit_generator_is_a_deterministic_function_of_the_state": """
        STABLEHLO_RNG_BIT_GENERATOR""",
    "test_interpreter_stablehlo.py::test_scatter_matches_litert": "STABLEHLO_SCATTER",
    "test_interpreter_stablehlo.py::test_slice_transpose_concatenate_iota": """
        STABLEHLO_CONCATENATE STABLEHLO_IOTA STABLEHLO_SLICE STABLEHLO_TRANSPOSE""",
    "test_interpreter_stablehlo.py::test_sort_carries_values_along_stably": "STABLEHLO_SORT",
    "test_interpreter_stablehlo.py::test_stablehlo_reduce_window_matches_litert": """
        STABLEHLO_REDUCE_WINDOW""",
    "test_interpreter_stablehlo.py::test_while_loops_until_its_condition_fails": "STABLEHLO_WHILE",
    "test_interpreter_models.py::test_if_while_and_signature_runner": "IF WHILE",
    "test_interpreter_models.py::test_convolution_2d_transpose_bias_matches_litert_transpose_conv": (
        "Convolution2DTransposeBias"
    ),
    "test_quantize_sparse.py::test_densify_matches_litert": "DENSIFY",
    # mediapipe custom ops, which LiteRT does not have: compared with their formulas in float64
    "test_interpreter_models.py::test_transform_tensor_bilinear_matches_its_formula": """
        TransformTensorBilinear TransformTensor""",
    "test_interpreter_models.py::test_transform_landmarks_matches_its_formula": (
        "TransformLandmarks"
    ),
    "test_interpreter_models.py::test_landmarks_to_transform_matrix_matches_source": (
        "Landmarks2TransformMatrix"
    ),
}

# Kernels no test can run against an oracle, and why.
NOT_COVERED = {
    "ONES_LIKE": "the TFLite schema has no ONES_LIKE builtin, so no .tflite file can name it",
}


def covered() -> set[tuple[str, str]]:
    pairs = {case.covers() for case in ALL_CASES} | {(op, "plain") for op in STATEFUL_OPS}
    for entries in COVERED_ELSEWHERE.values():
        for entry in entries.split():
            op, _, kind = entry.partition(":")
            pairs.add((op, kind or "plain"))
    return pairs


def required() -> set[tuple[str, str]]:
    ops = set(kernels.supported_ops()) & set(kernels.KERNELS)  # builtin kernels only
    return {(op, "plain") for op in ops} | {(op, "INT8") for op in ops & set(INT8_RULES)}


def test_every_kernel_runs_against_an_oracle():
    missing = required() - covered() - {(op, "plain") for op in NOT_COVERED}
    assert not missing, f"kernels with no case against LiteRT/TensorFlow: {sorted(missing)}"


def test_exclusions_are_registered_kernels_without_cases():
    ops = set(kernels.supported_ops())
    assert set(NOT_COVERED) <= ops
    assert not {(op, "plain") for op in NOT_COVERED} & covered(), "excluded yet covered"


def test_tests_named_as_covering_exist_and_mention_their_ops():
    for test_id, entries in COVERED_ELSEWHERE.items():
        file, function = test_id.split("::")
        source = (TESTS / file).read_text()
        functions = {n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}
        assert function in functions, f"{test_id} does not exist"
        for entry in entries.split():
            op = entry.partition(":")[0]
            assert f'"{op}"' in source, f"{file} does not mention {op}"
