"""The deliberate one-line faults of benchmarks/mutation_check.py.

Each fault is a slip a person could make: `old` is a fragment found exactly once in `path`,
`new` what the slip turns it into, and `tests` the pytest node ids expected to catch it (small
selections: the ones that compare that code with LiteRT or TensorFlow, or check the property
the line keeps).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


_KERNELS = "tests/test_kernels_vs_litert.py::test_kernel_matches_oracle"
_INTERP = "tests/test_interpreter_ops.py"
_CPU_OPS = "tests/test_cpu_ops_vs_litert.py::test_cpu_kernel_matches_oracle"
_CPU_INT8 = "tests/test_cpu_int8.py"
_MCU = "tests/test_mcu.py"
_GPU = "tests/test_gpu_ops.py::test_op_matches_litert"
_ROUNDTRIP = "tests/test_flatbuffer_roundtrip.py"
_PARITY = "tests/test_tf_op_parity.py::test_op_converts_like_tensorflow"
_THREADS = "tests/test_interpreter_threads.py"

FAULTS: tuple[Fault, ...] = (
    # --- fixed-point arithmetic shared by the interpreter, cpu and mcu -----------------------
    Fault(
        "quant_math: std::round ties to even",
        "runtime/kernels/quant_math.py",
        "return np.copysign(np.floor(np.abs(x) + 0.5), x)",
        "return np.round(x)",
        (
            f"{_INTERP}::test_quantized_pooling_and_reductions[INT8]",
            f"{_INTERP}::test_quantized_activations[INT8]",
        ),
    ),
    Fault(
        "quant_math: RoundingDivideByPOT ties upward",
        "runtime/kernels/quant_math.py",
        "return (prod + half - ((prod < 0) & (right > 0))) >> right",
        "return (prod + half) >> right",
        (f"{_KERNELS}[QUANTIZE-qINT16-ties]",),
    ),
    Fault(
        "quant_math: 16x8 multiplier truncated to 16 bits",
        "runtime/kernels/quant_math.py",
        "(multiplier + (1 << 15)) >> 16, 0x7FFF)",
        "multiplier >> 16, 0x7FFF)",
        (
            f"{_INTERP}::test_quantized_fully_connected[(3, 37, 21)-INT16-True]",
            f"{_INTERP}::test_quantized_conv_and_depthwise[9x9x8x16x3x1xSAMExNONE-INT16-True]",
        ),
    ),
    Fault(
        "quant_math: RELU6 clamp loses its upper bound",
        "runtime/kernels/quant_math.py",
        "hi if act_max == np.inf else min(hi, q(act_max)),",
        "hi,",
        (f"{_INTERP}::test_quantized_conv_and_depthwise[10x10x3x5x3x2xVALIDxRELU6-INT8-True]",),
    ),
    # --- geometry and shapes ------------------------------------------------------------------
    Fault(
        "geometry: SAME's odd padding before instead of after",
        "runtime/kernels/geometry.py",
        "return ConvAxis(out, total // 2, total - total // 2)",
        "return ConvAxis(out, total - total // 2, total // 2)",
        (
            f"{_INTERP}::test_quantized_conv_and_depthwise[8x8x4x8x3x2xSAMExRELU-INT8-True]",
            f"{_GPU}[depthwise_s2]",
        ),
    ),
    Fault(
        "geometry: SAME output size rounds down",
        "runtime/kernels/geometry.py",
        "out = (size + stride - 1) // stride",
        "out = size // stride",
        (
            f"{_INTERP}::test_quantized_conv_and_depthwise[7x7x16x8x5x2xSAMExNONE-INT8-True]",
            "tests/test_bad_shapes.py::test_every_corpus_model_passes_the_shape_check",
        ),
    ),
    Fault(
        "shape function: PAD adds only the padding before",
        "runtime/shape_functions/layout.py",
        "int(n + lo + hi)",
        "int(n + lo)",
        ("tests/test_bad_shapes.py::test_every_corpus_model_passes_the_shape_check",),
    ),
    Fault(
        "verifier: a stride of 0 passes",
        "runtime/operator_validation.py",
        "isinstance(value, int) and value < 1",
        "isinstance(value, int) and value < 0",
        (
            "tests/test_fuzz_regressions.py::test_fuzzer_finding_is_one_clear_error_everywhere"
            "[transpose-conv-without-options]",
        ),
    ),
    # --- interpreter kernels --------------------------------------------------------------------
    Fault(
        "kernel: SUB's operands swapped",
        "runtime/kernels/elementwise.py",
        "np.subtract(a, b, dtype=node.out_dtype())",
        "np.subtract(b, a, dtype=node.out_dtype())",
        (f"{_KERNELS}[SUB-INT32-INT32]",),
    ),
    Fault(
        "kernel: RELU_N1_TO_1 clamps at 0",
        "runtime/kernels/activations.py",
        "return np.clip(x, -1, 1).astype(x.dtype, copy=False)",
        "return np.clip(x, 0, 1).astype(x.dtype, copy=False)",
        (f"{_INTERP}::test_float_ops[RELU_N1_TO_1-61]",),
    ),
    Fault(
        "kernel: int8 average pool rounds negative sums up",
        "runtime/kernels/pooling.py",
        "num = np.where(acc > 0, acc + half, acc - half)",
        "num = acc + half",
        (f"{_INTERP}::test_quantized_pooling_and_reductions[INT8]",),
    ),
    Fault(
        "float formulas: leaky_relu's branches swapped",
        "runtime/kernels/float_formulas.py",
        '"leaky_relu": select_lt(X, 0.0, X * ALPHA, X)',
        '"leaky_relu": select_lt(X, 0.0, X, X * ALPHA)',
        (f"{_GPU}[leaky_relu]",),
    ),
    # --- flatbuffer reader and writer -----------------------------------------------------------
    Fault(
        "reader: per-channel quantized_dimension read as 0",
        "runtime/tflite_model.py",
        "quantized_dimension=q.QuantizedDimension(),",
        "quantized_dimension=0,",
        (f"{_INTERP}::test_quantized_conv_and_depthwise[9x9x8x16x3x1xSAMExNONE-INT8-True]",),
    ),
    Fault(
        "writer: custom options dropped",
        "backends/tflite/flatbuffer_writer.py",
        "tflite.OperatorAddCustomOptions(b, custom)",
        "pass",
        (f"{_ROUNDTRIP}::test_mediapipe_corpus_round_trips",),
    ),
    Fault(
        "writer: metadata buffer index dropped",
        "backends/tflite/flatbuffer_writer.py",
        "tflite.MetadataAddBuffer(b, buf)",
        "pass",
        (f"{_ROUNDTRIP}::test_mediapipe_corpus_round_trips",),
    ),
    Fault(
        "writer: has_rank dropped",
        "backends/tflite/flatbuffer_writer.py",
        "tflite.TensorAddHasRank(b, True)",
        "pass",
        (f"{_ROUNDTRIP}::test_tf_corpus_round_trips[tensor_ops-float32]",),
    ),
    Fault(
        "writer: metadata_buffer vector dropped",
        "backends/tflite/flatbuffer_writer.py",
        "tflite.ModelAddMetadataBuffer(b, metadata_buffers)",
        "pass",
        (f"{_ROUNDTRIP}::test_mediapipe_corpus_round_trips",),
    ),
    # --- passes -----------------------------------------------------------------------------------
    Fault(
        "legalize-tf: batch norm's shift adds the mean",
        "passes/tf_to_tfl/nn.py",
        "shift = offset - mean * multiplier",
        "shift = offset + mean * multiplier",
        ("tests/test_tf_convert.py::test_matches_tensorflow_with_no_more_ops[fused_batch_norm]",),
    ),
    Fault(
        "legalize-tf: band part keeps a diagonal too few",
        "passes/tf_to_tfl/matrix.py",
        "else distance <= bound",
        "else distance < bound",
        (f"{_PARITY}[MatrixBandPart]",),
    ),
    Fault(
        "tf-prepare: integer Div folded as floor division",
        "passes/tf_to_tfl/fold_kernels.py",
        "return [(floor + ((np.remainder(a, b) != 0) & ((a < 0) != (b < 0)))).astype(floor.dtype)]",
        "return [floor]",
        (f"{_PARITY}[DivIntFolded]",),
    ),
    Fault(
        "legalize-tf: Lanczos' t without the half",
        "passes/tf_to_tfl/decomposed.py",
        "like(z, _LANCZOS_G + 0.5)",
        "like(z, _LANCZOS_G)",
        (f"{_PARITY}[Lgamma]", f"{_PARITY}[LgammaReflected]"),
    ),
    Fault(
        "fuse-activation: relu6 fused as RELU",
        "passes/fuse_activation.py",
        '"tfl.relu6": "RELU6"',
        '"tfl.relu6": "RELU"',
        ("tests/test_optimize.py::test_activations_fuse_into_their_producers_with_same_outputs",),
    ),
    Fault(
        "fuse-mul-into-weights: bias left unscaled",
        "passes/fuse_mul_into_weights.py",
        "producer = set_bias(producer, bias * c)",
        "producer = set_bias(producer, bias)",
        ("tests/test_optimize.py::test_unfused_corpus_model_is_refused[cnn]",),
    ),
    Fault(
        "quantize-int8: zero point's sign flipped",
        "passes/quantize/schemes.py",
        "np.round(qmin - lo / scale)",
        "np.round(qmin + lo / scale)",
        ("tests/test_quantize_int8.py::test_int8_matches_tensorflow[cnn]",),
    ),
    # --- cpu backend ----------------------------------------------------------------------------
    Fault(
        "cpu: float maximum lowered as minimum",
        "backends/cpu/kernels_elementwise.py",
        '"maximum": "arith.maximumf"',
        '"maximum": "arith.minimumf"',
        (f"{_CPU_OPS}[MAXIMUM-FLOAT32-FLOAT32]",),
    ),
    Fault(
        "cpu: int8 requantize shifts the product right by 32",
        "backends/cpu/kernels_int8_common.py",
        "    s = 31 + right",
        "    s = 32 + right",
        (
            f"{_CPU_INT8}::test_requantize_rounds_like_litert_blocks_and_tail",
            f"{_CPU_INT8}::test_per_channel_conv_with_padding_and_relu6",
        ),
    ),
    # --- mcu backend (C kernels) -----------------------------------------------------------------
    Fault(
        "mcu C: RoundingDivideByPOT ties upward for negatives",
        "backends/mcu/kernels/tflc_common.h",
        "const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);",
        "const int32_t threshold = mask >> 1;",
        (
            f"{_MCU}::test_int8_bit_exact_with_litert[cnn]",
            f"{_MCU}::test_int8_bit_exact_with_litert[mlp]",
            f"{_MCU}::test_int8_bit_exact_with_litert[upsample]",
            f"{_MCU}::test_int8_bit_exact_with_litert[transformer]",
        ),
    ),
    Fault(
        "mcu C: int8 average pool rounds negative sums up",
        "backends/mcu/kernels/pool_s8.c",
        "(acc + count / 2) / count : (acc - count / 2) / count",
        "(acc + count / 2) / count : (acc + count / 2) / count",
        (f"{_MCU}::test_int8_bit_exact_with_litert[cnn]",),
    ),
    # --- gpu backend -----------------------------------------------------------------------------
    Fault(
        "gpu: sub's operands swapped",
        "backends/gpu/lowering.py",
        '"sub": lambda b, x, y: b.fsub(x, y)',
        '"sub": lambda b, x, y: b.fsub(y, x)',
        (f"{_GPU}[sub]",),
    ),
    Fault(
        "gpu WGSL: floor printed as ceil",
        "backends/gpu/wgsl_printer.py",
        '"math.floor": "floor"',
        '"math.floor": "ceil"',
        (f"{_GPU}[resize_bilinear_half_pixel]",),
    ),
    Fault(
        "gpu: average pool divides by the window, not the count",
        "backends/gpu/lower_conv.py",
        "b.fdiv(acc, b.fmax(count, b.f32(1.0)))",
        "b.fdiv(acc, b.f32(float(kh * kw)))",
        (f"{_GPU}[average_pool_same]",),
    ),
    # --- the interpreter's kernel threads -------------------------------------------------
    Fault(
        "kernel threads: BLAS ranges follow the thread count",
        "runtime/kernels/common.py",
        "rows = gemm_ranges(m, k * o)",
        "rows = threads.ranges(m, m * k * o)",
        (f"{_THREADS}::test_mobilenet_v2_same_bits_on_more_threads[float32-blas-every-layer]",),
    ),
    Fault(
        "kernel threads: LiteRT-order ranges cut a 4-pixel tile",
        "runtime/kernels/litert_gemm.py",
        "pixels = threads.ranges(m, work, align=_NR)",
        "pixels = threads.ranges(m, work, align=1)",
        (f"{_THREADS}::test_batched_models_same_bits_on_more_threads[float32-litert-mlp-12]",),
    ),
    Fault(
        "kernel threads: the pool never used",
        "runtime/kernel_threads.py",
        'if helpers <= 0 or getattr(_worker, "active", False):',
        "if True:",
        (f"{_THREADS}::test_mobilenet_v2_same_bits_on_more_threads[int8-blas-large-layers]",),
    ),
)
