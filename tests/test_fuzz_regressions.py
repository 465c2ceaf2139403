"""Each distinct failure the model fuzzer found (tests/fuzz_models), kept as a regression case:
the mutant rebuilt from its corpus model, run through every entry point (tflc.load, the
Interpreter, cpu and mcu compile + call, tfl-translate) in a worker subprocess, must give the
same one clear error line naming the place and the problem — not a traceback or a crash.
"""

from __future__ import annotations

import corpus
import pytest
from fuzz_models import ALL_ENTRY_POINTS, FuzzConfig, Mutant, edits, run_mutants
from fuzz_models.worker import CLEAN, ERROR
from tflc.backends.tflite.flatbuffer_writer import write_model
from tflc.compiler import compile as tflc_compile
from tflc.errors import TflcError
from tflc.runtime.limits import set_max_tensor_bytes
from tflc.runtime.tflite_model import read_model

# (case, corpus model, edit, the expected problem after "<file>: ")
CASES = [
    # AttributeError 'NoneType' in the interpreter's kernels and the cpu/mcu lowerings.
    (
        "required-input-absent",
        ("cnn", "float16"),
        edits.set_input(0, 0, -1),
        "subgraph 0 operator 0 (DEQUANTIZE): input 0 (input) is required, but the file gives "
        "index -1",
    ),
    (
        "required-filter-absent",
        ("mlp", "int8"),
        edits.set_input(1, 1, -1),
        "subgraph 0 operator 1 (FULLY_CONNECTED): input 1 (filter) is required",
    ),
    (
        "variadic-input-absent",
        ("upsample", "int8"),
        edits.set_input(5, 1, -1),
        "subgraph 0 operator 5 (CONCATENATION): input 1 (values) is required",
    ),
    # TypeError in the interpreter: the RFFT2D kernel called with a FULLY_CONNECTED's inputs.
    (
        "options-of-another-op",
        ("mlp", "dynamic"),
        edits.opcode(0, "RFFT2D"),
        "subgraph 0 operator 0 (RFFT2D): has options FullyConnectedOptions, but RFFT2D takes "
        "Rfft2dOptions",
    ),
    (
        "wrong-input-count",
        ("mlp", "float32"),
        edits.opcode(3, "RFFT2D", options=("Rfft2dOptions", {})),
        "subgraph 0 operator 3 (RFFT2D): has 1 inputs, expected 2",
    ),
    # A WHILE whose condition and body are the graph it runs in: endless recursion.
    (
        "subgraph-recursion",
        ("mlp", "float32"),
        edits.opcode(
            3, "WHILE", ("WhileOptions", {"cond_subgraph_index": 0, "body_subgraph_index": 0})
        ),
        "subgraph 0 operator 3 (WHILE): calls subgraph 0, which is already running",
    ),
    (
        "subgraph-index-out-of-range",
        ("mlp", "float32"),
        edits.opcode(
            3, "WHILE", ("WhileOptions", {"cond_subgraph_index": 5, "body_subgraph_index": 0})
        ),
        "subgraph 0 operator 3 (WHILE): cond_subgraph_index 5 out of range (1 subgraphs)",
    ),
    # KeyError when the mcu target wrote the options back: an enum value of no name.
    (
        "unknown-enum-option",
        ("transformer", "int8"),
        edits.set_option(13, "quantized_bias_type", 99),
        "subgraph 0 operator 13 (FULLY_CONNECTED): option quantized_bias_type 99 is none of "
        "FLOAT32, FLOAT16",
    ),
    # AttributeError in the cpu lowering; generated C that does not compile on the mcu.
    (
        "constant-graph-input",
        ("cnn", "dynamic"),
        edits.constant_as_graph_input,
        "subgraph 0: input tensor 1 'cnn_1/conv2d_1/Relu6;cnn_1/conv2d_1/BiasAdd;"
        "cnn_1/conv2d_1/convolution;cnn_1/conv2d_1/Squeeze' is a constant (buffer 2 holds its "
        "data)",
    ),
    # A tensor over the size limit, refused before anything is allocated.
    (
        "tensor-over-the-limit",
        ("cnn", "float32"),
        edits.huge_shape,
        "subgraph 0 tensor 0 'xs_0': FLOAT32 tensor of shape [1, 2147483647, 2147483647, 3] "
        "needs 51539607504.0 GiB, over the limit of 1.0 GiB (TFLC_MAX_TENSOR_BYTES)",
    ),
    # ValueError in the shape functions: int() of a STRING constant, a reshape of odd paddings.
    (
        "string-output-shape",
        ("upsample", "float16"),
        edits.set_type(4, "STRING"),
        "subgraph 0 operator 8 (TRANSPOSE_CONV): input 0 "
        "'upsample_1/conv2d_transpose_1/conv_transpose/input_sizes' is STRING, but its "
        "output_shape must be integers",
    ),
    (
        "odd-paddings",
        ("upsample", "float32"),
        edits.odd_paddings,
        "subgraph 0 operator 6 (PAD): paddings [0, 0, 1, 2, 0, 3, 0] are not (before, after) pairs",
    ),
    # TypeError / AttributeError in the cpu and mcu lowerings: operand types no kernel takes.
    (
        "elementwise-output-type",
        ("tensor_ops", "float16"),
        edits.set_type(39, "INT32"),
        "subgraph 0 operator 18 (ADD): output 0 'add' is INT32, its input is FLOAT32",
    ),
    (
        "elementwise-input-types",
        ("tensor_ops", "int8"),
        edits.set_type(17, "BOOL"),
        "subgraph 0 operator 19 (MINIMUM): input 1 'Minimum/y' is BOOL, input 0 is INT8: one "
        "type expected",
    ),
    (
        "conv-output-type",
        ("cnn", "int8"),
        edits.set_type(19, "FLOAT32"),
        "subgraph 0 operator 3 (CONV_2D): output 0 'cnn_1/conv2d_1_2/BiasAdd;",
    ),
    (
        "conv-input-unquantized",
        ("cnn", "float32"),
        edits.all_types("FLOAT32", "INT8"),
        "subgraph 0 operator 0 (CONV_2D): input 0 'xs_0' is INT8 without quantization parameters",
    ),
    (
        "weights-unquantized",
        ("cnn", "dynamic"),
        edits.int8_weights_unquantized,
        "subgraph 0 operator 9 (CONV_2D): input 1 'cnn_1/conv2d_3_1/convolution' is INT8 without "
        "quantization parameters",
    ),
    # AttributeError in the cpu int8 and float lowerings: a bias that is some other tensor.
    (
        "bias-of-another-size",
        ("cnn", "float16"),
        edits.set_input(17, 2, 0),
        "subgraph 0 operator 17 (CONV_2D): input 2 'xs_0' of shape [1, 32, 32, 3] is no bias for "
        "32 output channels",
    ),
    # TypeError in the mcu lowering: int8 arithmetic on a tensor without scales.
    (
        "int8-add-unquantized",
        ("tensor_ops", "int8"),
        edits.unquantize(21),
        "subgraph 0 operator 3 (ADD): input 1 'Max' is INT8 without quantization parameters",
    ),
    # KeyError in the cpu graph: an INT4 activation.
    (
        "int4-activation",
        ("upsample", "int8"),
        edits.set_type(20, "INT4"),
        "subgraph 0 tensor 20 'upsample_1/concatenate_1/concat': INT4 is for constants only",
    ),
    # ZeroDivisionError in the window geometry (cpu and mcu): TRANSPOSE_CONV has no shape
    # function to check its stride, the reader checks every op's window options.
    (
        "transpose-conv-stride-zero",
        ("upsample", "dynamic"),
        edits.set_option(0, "stride_w", 0),
        "subgraph 0 operator 0 (TRANSPOSE_CONV): stride_w 0 must be at least 1",
    ),
    (
        "transpose-conv-without-options",
        ("upsample", "dynamic"),
        edits.drop_options(7),
        "subgraph 0 operator 7 (TRANSPOSE_CONV): stride_w 0 must be at least 1 (no "
        "TransposeConvOptions in the file: the schema's default)",
    ),
    # IndexError in the interpreter's bilinear sampling.
    (
        "resize-align-and-half-pixel",
        ("upsample", "float32"),
        edits.set_option(1, "align_corners", True),
        "subgraph 0 operator 1 (RESIZE_BILINEAR): align_corners and half_pixel_centers cannot "
        "both be set",
    ),
    # KeyError in the interpreter's WHILE: no options, no subgraphs to run.
    (
        "while-without-options",
        ("tensor_ops", "float16"),
        edits.opcode(0, "WHILE"),
        "subgraph 0 operator 0 (WHILE): has no WhileOptions, which name the subgraphs it runs",
    ),
    # A name from the file broke tfl-translate's one error line in two.
    (
        "name-with-a-line-break",
        ("cnn", "float32"),
        edits.name_with_a_line_break,
        "subgraph 0 tensor 0 'line\\nbreak\\u2028': invalid shape [-5]",
    ),
    # TypeError and ValueError in the cpu and mcu slicing: begin of floats, a zero stride.
    (
        "strided-slice-float-begin",
        ("tensor_ops", "float32"),
        edits.set_type(7, "FLOAT32"),
        "subgraph 0 operator 7 (STRIDED_SLICE): input 1 'strided_slice_1/stack' is FLOAT32, but "
        "its begin must be integers",
    ),
    (
        "strided-slice-zero-stride",
        ("tensor_ops", "float32"),
        edits.zero_data(5),
        "subgraph 0 operator 7 (STRIDED_SLICE): strides [0, 0] hold a zero",
    ),
    # Operand types no kernel takes, which reached the interpreter's kernels ("kernel failed").
    (
        "float-mul-bool-output",
        ("upsample", "float32"),
        edits.set_type(25, "BOOL"),
        "subgraph 0 operator 10 (MUL): output 0 'Identity' is BOOL, its input is FLOAT32",
    ),
    (
        "conv-uint32-weights",
        ("cnn", "float32"),
        edits.set_type(10, "UINT32"),
        "subgraph 0 operator 3 (CONV_2D): input 1 'cnn_1/conv2d_1_2/convolution' is UINT32: "
        "weights are one of FLOAT16, FLOAT32, INT4, INT8, UINT8",
    ),
    (
        "mean-variant-axes",
        ("upsample", "int8"),
        edits.set_type(5, "VARIANT"),
        "subgraph 0 operator 9 (MEAN): input 1 'upsample_1/Mean/reduction_indices' is VARIANT, "
        "but its axis must be integers",
    ),
    # KeyError in the interpreter's int16 pooling: a pool whose output is not its input's type.
    (
        "pool-output-type",
        ("cnn", "int16x8"),
        edits.set_type(21, "FLOAT32"),
        "subgraph 0 operator 6 (AVERAGE_POOL_2D): output 0 'cnn_1/average_pooling2d_1/AvgPool' "
        "is FLOAT32, its input is INT16",
    ),
    # ValueError in the interpreter's STABLEHLO_CONCATENATE: operands that do not concatenate.
    (
        "stablehlo-concatenate-shapes",
        ("transformer", "float32"),
        edits.opcode(6, "STABLEHLO_CONCATENATE"),
        "subgraph 0 operator 6 (STABLEHLO_CONCATENATE): input shapes [[1, 16, 1], [1, 1, 32]] "
        "differ off axis 0",
    ),
    # KeyError in the interpreter's StableHLO kernels: no subgraph to run.
    (
        "composite-without-decomposition",
        ("mlp", "float32"),
        edits.opcode(3, "STABLEHLO_COMPOSITE"),
        "subgraph 0 operator 3 (STABLEHLO_COMPOSITE): has no decomposition_subgraph_index, "
        "which names the subgraph it runs",
    ),
    (
        "stablehlo-while-without-subgraphs",
        ("upsample", "float32"),
        edits.opcode(4, "STABLEHLO_WHILE"),
        "subgraph 0 operator 4 (STABLEHLO_WHILE): has no cond_subgraph_index, which names the "
        "subgraph it runs",
    ),
    # ValueError in the interpreter's StableHLO elementwise kernels: operands that would need an
    # implicit broadcast, which StableHLO does not have.
    (
        "stablehlo-operands-differ",
        ("tensor_ops", "float32"),
        edits.opcode(4, "STABLEHLO_MAXIMUM"),
        "subgraph 0 operator 4 (STABLEHLO_MAXIMUM): operand shapes [1, 8] and [2] differ "
        "(StableHLO does not broadcast)",
    ),
    # ValueError in the interpreter's GATHER: batch_dims past the indices' rank.
    (
        "gather-batch-dims",
        ("tensor_ops", "float16"),
        edits.set_option(19, "batch_dims", 100),
        "subgraph 0 operator 19 (GATHER): batch_dims 100 does not fit params [1, 8, 24], indices "
        "[5] and axis 1",
    ),
    # ValueError in the interpreter's BITCAST: bytes that do not make its declared output.
    (
        "bitcast-of-another-size",
        ("tensor_ops", "float16"),
        edits.opcode(0, "BITCAST"),
        "subgraph 0 operator 0 (BITCAST): the innermost dimension of [64, 24] does not hold one "
        "4-byte element",
    ),
    # IndexError in the interpreter's DENSIFY.
    (
        "sparse-index-out-of-range",
        "face_detection_full_range_sparse",
        edits.sparse_index_out_of_range,
        "subgraph 0 tensor 14 'model_1/model/conv2d_1/Conv2D_dequantize': sparse level 3: an "
        "index is outside the dimension's size 32",
    ),
]


# Findings in the interpreter's node preparation: the other entry points must not fail on these
# files (they refuse them for their own reasons, or accept what their verifier does not yet
# know), and the interpreter's line is checked.
INTERPRETER_CASES = [
    # TypeError: the STABLEHLO_DIVIDE kernel called with a SOFTMAX's one input.
    (
        "kernel-input-count",
        ("mlp", "dynamic"),
        edits.opcode(3, "STABLEHLO_DIVIDE"),
        "node 3 (STABLEHLO_DIVIDE): has 1 inputs, its kernel takes 2",
    ),
    # IndexError: DEQUANTIZE of an integer tensor without scales.
    (
        "dequantize-unquantized",
        ("cnn", "float16"),
        edits.set_type(15, "INT16"),
        "node 0 (DEQUANTIZE): input 0 'cnn_1/re_lu_1/Relu6;",
    ),
    # MemoryError: a dilation of 2^16 keeps SAME's output size and pads the input by as much;
    # a transpose conv's stride of 2^31 - 1 sizes its accumulator (limit 1 GiB in the worker).
    (
        "padded-input-over-the-limit",
        ("cnn", "float32"),
        edits.set_option(0, "dilation_h_factor", 2**16, dilation_w_factor=2**16),
        "node 0 (CONV_2D): padded input of shape [1, 131103, 131103, 3] needs",
    ),
    (
        "accumulator-over-the-limit",
        ("upsample", "float32"),
        edits.set_option(0, "stride_h", 2**31 - 1),
        "node 0 (TRANSPOSE_CONV): accumulator of shape [1, 15032385532, 17, 16] needs 15232.0 GiB",
    ),
    # ValueError in CONCATENATION: a shape computed in the graph (from a corrupted constant)
    # that its shape function refuses, known only at run time.
    (
        "run-time-shape-mismatch",
        ("tensor_ops", "int8"),
        edits.set_element(14, 2, -1000),
        "node 16 (CONCATENATION): at run time, input shapes [[1, 5, 24], [1, 3, 1]] differ off "
        "axis 1",
    ),
    # TypeError in the interpreter's StableHLO bitwise kernels: numpy shifts no float.
    (
        "stablehlo-shift-of-floats",
        ("tensor_ops", "float32"),
        edits.opcode(13, "STABLEHLO_SHIFT_LEFT"),
        "node 13 (STABLEHLO_SHIFT_LEFT): input 0 'Reshape' is FLOAT32: the op takes integers",
    ),
    (
        "stablehlo-and-of-floats",
        ("tensor_ops", "float32"),
        edits.opcode(3, "STABLEHLO_AND"),
        "node 3 (STABLEHLO_AND): input 0 'Mean' is FLOAT32: the op takes integers or booleans",
    ),
    # ValueError, KeyError, IndexError in kernels the fuzzer's seed 2030 reached: segment ids
    # that do not lead the data, a convolution without its dimension numbers, RNN gates of
    # another op's operands.
    (
        "segment-ids-shape",
        ("tensor_ops", "dynamic"),
        edits.opcode(12, "SEGMENT_SUM"),
        "node 12 (SEGMENT_SUM): segment ids of shape [3] do not lead data of shape [1, 8, 4, 6]",
    ),
    (
        "stablehlo-convolution-without-options",
        ("cnn", "float32"),
        edits.opcode(4, "STABLEHLO_CONVOLUTION"),
        "node 4 (STABLEHLO_CONVOLUTION): has no StablehloConvolutionOptions",
    ),
    (
        "rnn-gates-of-another-op",
        "face_detection_short_range",
        edits.opcode(18, "BIDIRECTIONAL_SEQUENCE_RNN"),
        "node 18 (BIDIRECTIONAL_SEQUENCE_RNN): input 0 must have rank 3",
    ),
    # AttributeError in the LSTM kernel: a gate's weights absent.
    (
        "lstm-without-gate-weights",
        ("mlp", "float32"),
        edits.opcode(3, "LSTM", options=("LSTMOptions", {})),
        "node 3 (LSTM): input 2 is required by the LSTM kernel, but the operator has none there",
    ),
    # AttributeError: DENSIFY of a tensor without sparsity (LiteRT's Prepare refuses it too).
    (
        "densify-dense-input",
        "pose_detection",
        edits.first_op_becomes("DEQUANTIZE", "DENSIFY"),
        "(DENSIFY): input 0 is not a sparse constant",
    ),
    # ValueError (NaN to int): FAKE_QUANT without options, so min = max = 0 and a 0 scale.
    (
        "fake-quant-empty-range",
        ("activations", "float16"),
        edits.opcode(34, "FAKE_QUANT"),
        "(FAKE_QUANT): min 0.0 and max 0.0 must be finite with min below max",
    ),
]


def _source(model):
    return edits.mediapipe(model) if isinstance(model, str) else corpus.tf_model_path(*model)


@pytest.fixture(scope="module")
def outcomes() -> dict[str, list]:
    """Every case through every entry point, in one batch per worker."""
    mutants = []
    for index, (case, model, edit, _) in enumerate(CASES + INTERPRETER_CASES):
        m = read_model(_source(model))
        edit(m)
        mutants.append(Mutant(index, str(model), case, write_model(m)))
    config = FuzzConfig(entry_points=ALL_ENTRY_POINTS, workers=2, batch=5, timeout=120)
    report = run_mutants(config, mutants)
    by_case: dict[str, list] = {}
    for o in report.outcomes:
        by_case.setdefault(o.mutation, []).append(o)
    return by_case


@pytest.mark.parametrize("case,problem", [(c[0], c[3]) for c in CASES], ids=[c[0] for c in CASES])
def test_fuzzer_finding_is_one_clear_error_everywhere(outcomes, case, problem):
    runs = outcomes[case]
    assert sorted(o.entry for o in runs) == sorted(ALL_ENTRY_POINTS)
    for o in runs:
        assert o.cls == ERROR, f"{o.entry}: {o.cls} {o.type} at {o.frame}: {o.message}"
        assert problem in o.message, f"{o.entry}: {o.message}"
    # The same line from each: the reader refuses the file before any entry point's own code.
    assert len({o.message.split(": ", 1)[1] for o in runs}) == 1, [o.message for o in runs]


@pytest.mark.parametrize(
    "case,problem", [(c[0], c[3]) for c in INTERPRETER_CASES], ids=[c[0] for c in INTERPRETER_CASES]
)
def test_interpreter_finding_is_a_clear_error(outcomes, case, problem):
    runs = {o.entry: o for o in outcomes[case]}
    assert sorted(runs) == sorted(ALL_ENTRY_POINTS)
    for o in runs.values():
        assert o.cls in (CLEAN, ERROR), f"{o.entry}: {o.cls} {o.type} at {o.frame}: {o.message}"
    interpreter = runs["interpreter"]
    assert interpreter.cls == ERROR and problem in interpreter.message, interpreter.message


def test_tensor_limit_is_settable():
    path = corpus.tf_model_path("cnn", "float32")
    set_max_tensor_bytes(4000)
    try:
        with pytest.raises(TflcError, match=r"tensor 0 'xs_0': FLOAT32 tensor of shape"):
            read_model(path)
    finally:
        set_max_tensor_bytes(None)
    read_model(path)


@pytest.mark.parametrize("target,what", [("cpu", "cpu workspace"), ("mcu", "mcu arena")])
def test_planned_buffer_over_the_limit_is_refused_before_codegen(target, what):
    # upsample: every tensor is at most 78,400 bytes, but the plans hold about 200 KiB at once
    path = corpus.tf_model_path("upsample", "float32")
    set_max_tensor_bytes(100_000)
    try:
        with pytest.raises(TflcError, match=rf"the {what} needs \d+\.\d KiB, over the limit of "):
            tflc_compile(str(path), target=target)
    finally:
        set_max_tensor_bytes(None)
