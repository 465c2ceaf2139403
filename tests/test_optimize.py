"""The optimization pipeline on real models: it must keep outputs and never add operators.

Besides the converted corpus (already fused by TensorFlow's converter), each float model is
"unfused" here: activations split out of their ops, batch-norm-like mul + add chains put
after every conv and fully connected layer, SAME convolutions turned into explicit pads plus
VALID ones, reshape round trips inserted. `optimize` must bring it back to at most
TensorFlow's operator count, with outputs within 1e-5 (relative to the output's scale).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import corpus
import numpy as np
import pytest
import tflc
from mlir import ir
from tflc.dialects import tfl
from tflc.passes.optimize import optimize
from tflc.passes.rewrite.tfl import (
    activation,
    float_const,
    make_const,
    output_channel_axis,
    set_activation,
    static_shape,
)
from tflc.runtime.kernels.geometry import same_padding

# Rewrites that change the arithmetic (a fused activation or GELU for its formula, a conv for
# its unfused batch norm, ...) round differently: measured up to 6.1e-6 (mobilenet_v2's unfused
# batch norms refolded), 1.5e-6 (cnn), 8e-8 (the activation, softmax and GELU patterns).
# Rewrites that keep the arithmetic (dropped transposes, ops fused into producers, the mediapipe
# models) are held to 0.
RTOL = 1e-5
FLOAT_MODELS = [m for m in corpus.SMALL_TF_MODELS]
_ACTIVATION_OPS = {"RELU": "relu", "RELU6": "relu6", "RELU_N1_TO_1": "relu_n1_to_1"}


def operator_count(model: bytes | str) -> int:
    flatbuffer = corpus._read_flatbuffer(model)
    return sum(
        flatbuffer.Subgraphs(i).OperatorsLength() for i in range(flatbuffer.SubgraphsLength())
    )


def assert_close(expected: list[np.ndarray], actual: list[np.ndarray], rtol: float = RTOL) -> None:
    assert len(expected) == len(actual)
    for e, a in zip(expected, actual, strict=True):
        assert e.shape == a.shape and e.dtype == a.dtype
        if e.dtype.kind != "f":
            np.testing.assert_array_equal(a, e)
            continue
        scale = max(float(np.max(np.abs(e))), 1e-30)
        err = float(np.max(np.abs(a.astype(np.float64) - e.astype(np.float64)))) / scale
        assert err <= rtol, f"relative error {err:.3g} > {rtol}"


# ---- unfusing ------------------------------------------------------------------------------


def _after(op: ir.Operation, name: str, operands, result_type, **options) -> ir.Value:
    """Creates `name` right after `op` (before its next op)."""
    with ir.InsertionPoint(op), op.location:
        new = tfl.create(name, operands, [result_type], **options)
    new.move_after(op)
    return new.result


def _redirect(old: ir.Value, new: ir.Value) -> None:
    """Uses of `old` other than `new`'s own op now read `new`."""
    owner = new.owner.operation
    old.replace_all_uses_except(new, owner)


def unfuse(module, seed: int = 0) -> None:
    """Undoes, in place, the fusions the optimizer should redo (see the module docstring)."""
    rng = np.random.default_rng(seed)
    with module.context, ir.Location.unknown():
        _unfuse_block(module.body.operations[0].regions[0].blocks[0], rng)


def _unfuse_block(block: ir.Block, rng: np.random.Generator) -> None:
    for op in list(block.operations):
        op = op.operation
        if op.name in ("tfl.conv_2d", "tfl.depthwise_conv_2d", "tfl.fully_connected"):
            _split_affine(op, rng)
        if op.name in ("tfl.conv_2d", "tfl.depthwise_conv_2d"):
            _explicit_pad(op)
        if op.name == "tfl.fully_connected":
            _reshape_round_trip(op)


def _split_affine(op: ir.Operation, rng: np.random.Generator) -> None:
    w = float_const(op.operands[1])
    bias = float_const(op.operands[2]) if len(op.operands) > 2 else None
    if w is None or bias is None or len(op.results) != 1:
        return
    act = activation(op)
    if act not in ("NONE", *_ACTIVATION_OPS):
        return
    channels = bias.shape[0]
    s = rng.uniform(0.5, 2.0, channels).astype(np.float32)
    shape = [1] * w.ndim
    shape[output_channel_axis(op.name)] = channels
    # conv(x, w / s, b0) * s + (bias - b0 * s) == conv(x, w) + bias; a nonzero b0 makes
    # tfl-fuse-mul-into-weights scale the bias as well as the weights.
    b0 = rng.uniform(-1.0, 1.0, channels).astype(np.float32)
    op.operands[1] = make_const(w / s.reshape(shape), op)
    op.operands[2] = make_const(b0, op)
    set_activation(op, "NONE")
    t = op.result.type
    scale = make_const(s, op)
    shift = make_const(bias - b0 * s, op)
    y = _after(op, "mul", [op.result, scale], t)
    _redirect(op.result, y)
    z = _after(y.owner, "add", [y, shift], t)
    _redirect(y, z)
    if act != "NONE":
        r = _after(z.owner, _ACTIVATION_OPS[act], [z], t)
        _redirect(z, r)


def _explicit_pad(op: ir.Operation) -> None:
    x, w = op.operands[0], static_shape(op.operands[1])
    shape = static_shape(x)
    if shape is None or w is None or op.attributes["padding"].value != "SAME":
        return
    pads = [[0, 0]]
    for axis, k, s, d in (
        (1, w[1], "stride_h", "dilation_h_factor"),
        (2, w[2], "stride_w", "dilation_w_factor"),
    ):
        pads.append(
            list(same_padding(shape[axis], k, op.attributes[s].value, op.attributes[d].value))
        )
    pads.append([0, 0])
    if not np.any(pads):
        return
    padded = [n + a + b for n, (a, b) in zip(shape, pads, strict=True)]
    with ir.InsertionPoint(op), op.location:
        paddings = tfl.constant(np.array(pads, np.int32))
        pad = tfl.create("pad", [x, paddings], [ir.RankedTensorType.get(padded, ir.F32Type.get())])
    op.operands[0] = pad.result
    op.attributes["padding"] = ir.StringAttr.get("VALID")


def _reshape_round_trip(op: ir.Operation) -> None:
    shape = static_shape(op.results[0])
    if shape is None or len(op.results) != 1:
        return
    t = op.result.type
    wide = ir.RankedTensorType.get([1, *shape], ir.F32Type.get())
    with ir.InsertionPoint(op), op.location:
        s1 = tfl.constant(np.array([1, *shape], np.int32))
        s2 = tfl.constant(np.array(shape, np.int32))
    a = _after(op, "reshape", [op.result, s1], wide)
    _redirect(op.result, a)
    b = _after(a.owner, "reshape", [a, s2], t)
    _redirect(a, b)


# ---- tests ---------------------------------------------------------------------------------


def _check_unfused(path, seed: int = 0) -> tuple[int, int, int]:
    reference = path.read_bytes()
    module = tflc.load(reference)
    unfuse(module, seed)
    unfused = tflc.to_flatbuffer(module)
    optimize(module)
    optimized = tflc.to_flatbuffer(module)
    inputs = corpus.sample_inputs(reference, seed=seed)
    expected = corpus.litert_run(reference, inputs)
    assert_close(expected, corpus.litert_run(unfused, inputs))
    assert_close(expected, corpus.litert_run(optimized, inputs))
    counts = operator_count(reference), operator_count(unfused), operator_count(optimized)
    assert counts[2] <= counts[0], f"optimized has {counts[2]} ops, TensorFlow {counts[0]}"
    return counts


@pytest.mark.parametrize("name", FLOAT_MODELS)
def test_unfused_corpus_model_is_refused(name):
    counts = _check_unfused(corpus.tf_model_path(name, "float32"))
    if name in ("cnn", "mlp"):
        assert counts[1] > counts[0], "unfusing should have added ops to this model"


@pytest.mark.slow
def test_unfused_mobilenet_v2_is_refused():
    tf_ops, unfused_ops, ours = _check_unfused(corpus.tf_model_path("mobilenet_v2", "float32"))
    assert unfused_ops > 2 * tf_ops and ours <= tf_ops


@pytest.mark.parametrize("mode", corpus.MODES)
def test_corpus_cnn_every_mode_unchanged_outputs(mode):
    path = corpus.tf_model_path("cnn", mode)
    module = tflc.load(path)
    optimize(module)
    optimized = tflc.to_flatbuffer(module)
    assert operator_count(optimized) <= operator_count(path)
    inputs = corpus.sample_inputs(path, seed=1)
    assert_close(corpus.litert_run(path, inputs), corpus.litert_run(optimized, inputs), rtol=0)


MEDIAPIPE_SAMPLE = ["face_detection_short_range", "selfie_segmentation", "hand_landmark_lite"]


@pytest.mark.parametrize("name", MEDIAPIPE_SAMPLE)
def test_mediapipe_models(mediapipe_model_paths, name):
    path = next(p for p in mediapipe_model_paths if p.stem == name)
    module = tflc.load(path)
    optimize(module)
    optimized = tflc.to_flatbuffer(module)
    assert operator_count(optimized) <= operator_count(path)
    inputs = corpus.sample_inputs(path, seed=0)
    assert_close(corpus.litert_run(path, inputs), corpus.litert_run(optimized, inputs), rtol=0)


@pytest.mark.slow
def test_all_mediapipe_models(mediapipe_model_paths):
    for path in mediapipe_model_paths:
        module = tflc.load(path)
        optimize(module)
        optimized = tflc.to_flatbuffer(module)
        assert operator_count(optimized) <= operator_count(path), path.name
        if corpus.litert_can_run(path):
            inputs = corpus.sample_inputs(path, seed=0)
            assert_close(corpus.litert_run(path, inputs), corpus.litert_run(optimized, inputs))


def test_optimize_is_deterministic():
    path = corpus.tf_model_path("cnn", "float32")
    outputs = []
    for _ in range(2):
        module = tflc.load(path)
        unfuse(module)
        optimize(module)
        outputs.append(tflc.to_flatbuffer(module))
    assert outputs[0] == outputs[1]


def _tflc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tflc.tools.tflc_cli", *args], capture_output=True, text=True
    )


def test_cli_optimize(tmp_path):
    source = tmp_path / "unfused.tflite"
    module = tflc.load(corpus.tf_model_path("cnn", "float32"))
    unfuse(module)
    tflc.save(module, source)
    out = tmp_path / "out.tflite"
    result = _tflc("optimize", str(source), "-o", str(out), "-v")
    assert result.returncode == 0, result.stderr
    assert "->" in result.stdout
    assert operator_count(str(out)) < operator_count(str(source))


def test_cli_optimize_bad_input(tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a model")
    out = tmp_path / "out.tflite"
    result = _tflc("optimize", str(bad), "-o", str(out))
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert not out.exists()
    result = _tflc("optimize", str(tmp_path / "missing.tflite"), "-o", str(out))
    assert result.returncode == 1 and "no such file" in result.stderr


ACTIVATION_PATTERNS = """
func.func @main(%x: tensor<1x8x8x4xf32>) -> (tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>) {
  %three = "tfl.pseudo_const"() {value = dense<3.0> : tensor<f32>} : () -> tensor<f32>
  %six = "tfl.pseudo_const"() {value = dense<6.0> : tensor<f32>} : () -> tensor<f32>
  %zero = "tfl.pseudo_const"() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %alpha = "tfl.pseudo_const"() {value = dense<0.2> : tensor<f32>} : () -> tensor<f32>
  %0 = "tfl.add"(%x, %three) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<1x8x8x4xf32>, tensor<f32>) -> tensor<1x8x8x4xf32>
  %1 = "tfl.relu6"(%0) : (tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  %2 = "tfl.mul"(%x, %1) {fused_activation_function = "NONE"} : (tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  %3 = "tfl.div"(%2, %six) {fused_activation_function = "NONE"} : (tensor<1x8x8x4xf32>, tensor<f32>) -> tensor<1x8x8x4xf32>
  %4 = "tfl.mul"(%x, %alpha) {fused_activation_function = "NONE"} : (tensor<1x8x8x4xf32>, tensor<f32>) -> tensor<1x8x8x4xf32>
  %5 = "tfl.maximum"(%x, %4) : (tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  %6 = "tfl.maximum"(%x, %zero) : (tensor<1x8x8x4xf32>, tensor<f32>) -> tensor<1x8x8x4xf32>
  %7 = "tfl.minimum"(%6, %six) : (tensor<1x8x8x4xf32>, tensor<f32>) -> tensor<1x8x8x4xf32>
  return %3, %5, %7 : tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>
}
"""


def test_activation_patterns_fused_with_same_outputs():
    """hard swish, leaky relu and relu6 spelled with elementwise ops: one op each after."""
    module = tflc.parse(ACTIVATION_PATTERNS)
    before = tflc.to_flatbuffer(module)
    optimize(module)
    after = tflc.to_flatbuffer(module)
    assert operator_count(after) == 3
    assert sorted(corpus.op_names(after)) == ["HARD_SWISH", "LEAKY_RELU", "RELU6"]
    x = [np.random.default_rng(0).uniform(-8, 8, (1, 8, 8, 4)).astype(np.float32)]
    assert_close(corpus.litert_run(before, x), corpus.litert_run(after, x))


FUSABLE_ACTIVATIONS = """
func.func @main(%x: tensor<1x8x8x4xf32>, %y: tensor<1x8x8x4xf32>) -> (tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>) {
  %0 = "tfl.add"(%x, %y) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  %1 = "tfl.relu6"(%0) : (tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  %2 = "tfl.sub"(%x, %y) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  %3 = "tfl.relu_n1_to_1"(%2) : (tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  %4 = "tfl.mul"(%x, %y) {fused_activation_function = "NONE"} : (tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  %5 = "tfl.relu"(%4) : (tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  return %1, %3, %5 : tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>
}
"""


def test_activations_fuse_into_their_producers_with_same_outputs():
    """relu, relu6 and relu_n1_to_1 become their producer's fused activation; inputs in [-8, 8]
    reach past every clamp, so LiteRT's outputs tell the three apart."""
    module = tflc.parse(FUSABLE_ACTIVATIONS)
    before = tflc.to_flatbuffer(module)
    optimize(module)
    after = tflc.to_flatbuffer(module)
    assert sorted(corpus.op_names(after)) == ["ADD", "MUL", "SUB"]
    rng = np.random.default_rng(0)
    x = [rng.uniform(-8, 8, (1, 8, 8, 4)).astype(np.float32) for _ in range(2)]
    assert_close(corpus.litert_run(before, x), corpus.litert_run(after, x), rtol=0)


NORMALIZATION_PATTERNS = """
func.func @main(%x: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>) {
  %axis = "tfl.pseudo_const"() {value = dense<[-1]> : tensor<1xi32>} : () -> tensor<1xi32>
  %eps = "tfl.pseudo_const"() {value = dense<1.0e-12> : tensor<f32>} : () -> tensor<f32>
  %c = "tfl.pseudo_const"() {value = dense<-0.25> : tensor<8xf32>} : () -> tensor<8xf32>
  %0 = "tfl.reduce_max"(%x, %axis) {keep_dims = true} : (tensor<2x8xf32>, tensor<1xi32>) -> tensor<2x1xf32>
  %1 = "tfl.sub"(%x, %0) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %2 = "tfl.exp"(%1) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %3 = "tfl.sum"(%2, %axis) {keep_dims = true} : (tensor<2x8xf32>, tensor<1xi32>) -> tensor<2x1xf32>
  %4 = "tfl.div"(%2, %3) {fused_activation_function = "NONE"} : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %5 = "tfl.square"(%x) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %6 = "tfl.sum"(%5, %axis) {keep_dims = true} : (tensor<2x8xf32>, tensor<1xi32>) -> tensor<2x1xf32>
  %7 = "tfl.maximum"(%6, %eps) : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %8 = "tfl.rsqrt"(%7) : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %9 = "tfl.mul"(%x, %8) {fused_activation_function = "NONE"} : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %10 = "tfl.relu"(%x) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %11 = "tfl.neg"(%x) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %12 = "tfl.relu"(%11) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %13 = "tfl.mul"(%c, %12) {fused_activation_function = "NONE"} : (tensor<8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %14 = "tfl.add"(%10, %13) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %4, %9, %14 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>
}
"""


def test_softmax_l2_normalization_prelu_patterns():
    module = tflc.parse(NORMALIZATION_PATTERNS)
    before = tflc.to_flatbuffer(module)
    optimize(module)
    after = tflc.to_flatbuffer(module)
    assert sorted(corpus.op_names(after)) == ["L2_NORMALIZATION", "PRELU", "SOFTMAX"]
    assert operator_count(after) == 3
    x = [np.random.default_rng(0).uniform(-4, 4, (2, 8)).astype(np.float32)]
    assert_close(corpus.litert_run(before, x), corpus.litert_run(after, x))


TRANSPOSE_ROUND_TRIP = """
func.func @main(%x: tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32> {
  %to_nchw = "tfl.pseudo_const"() {value = dense<[0, 3, 1, 2]> : tensor<4xi32>} : () -> tensor<4xi32>
  %to_nhwc = "tfl.pseudo_const"() {value = dense<[0, 2, 3, 1]> : tensor<4xi32>} : () -> tensor<4xi32>
  %c = "tfl.pseudo_const"() {value = dense<[[[1.0]], [[-2.0]], [[3.0]]]> : tensor<3x1x1xf32>} : () -> tensor<3x1x1xf32>
  %0 = "tfl.transpose"(%x, %to_nchw) : (tensor<1x4x4x3xf32>, tensor<4xi32>) -> tensor<1x3x4x4xf32>
  %1 = "tfl.tanh"(%0) : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  %2 = "tfl.mul"(%c, %1) {fused_activation_function = "NONE"} : (tensor<3x1x1xf32>, tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  %3 = "tfl.transpose"(%2, %to_nhwc) : (tensor<1x3x4x4xf32>, tensor<4xi32>) -> tensor<1x4x4x3xf32>
  return %3 : tensor<1x4x4x3xf32>
}
"""


def test_transposes_cancel_through_elementwise_ops():
    module = tflc.parse(TRANSPOSE_ROUND_TRIP)
    before = tflc.to_flatbuffer(module)
    optimize(module)
    after = tflc.to_flatbuffer(module)
    assert sorted(corpus.op_names(after)) == ["MUL", "TANH"]
    x = [np.random.default_rng(0).uniform(-2, 2, (1, 4, 4, 3)).astype(np.float32)]
    assert_close(corpus.litert_run(before, x), corpus.litert_run(after, x), rtol=0)


@pytest.mark.parametrize(
    "name", [*FLOAT_MODELS, pytest.param("mobilenet_v2", marks=pytest.mark.slow)]
)
def test_convert_then_optimize_reaches_tensorflow_op_count(name):
    """tflc's own TF importer + optimize: no more operators than TensorFlow's converter."""
    module = tflc.convert(corpus.keras_model(name), batch_size=1)  # as the reference
    unoptimized = tflc.to_flatbuffer(module)
    optimize(module)
    optimized = tflc.to_flatbuffer(module)
    tf_path = corpus.tf_model_path(name, "float32")
    assert operator_count(optimized) <= operator_count(str(tf_path))
    inputs = corpus.sample_inputs(tf_path, seed=0)
    assert_close(
        corpus.litert_run(unoptimized, inputs), corpus.litert_run(optimized, inputs), rtol=0
    )


def test_tanh_gelu_formula_becomes_gelu():
    text = (Path(__file__).parent / "lit" / "passes" / "tfl-fuse-gelu.mlir").read_text()
    start = text.index("func.func @tanh_gelu_pow(")
    body = text[start : text.index("\n}\n", start) + 3].replace("@tanh_gelu_pow", "@main")
    module = tflc.parse(body)
    before = tflc.to_flatbuffer(module)
    optimize(module)
    after = tflc.to_flatbuffer(module)
    assert corpus.op_names(after) == ["GELU"] and operator_count(after) == 1
    x = [np.linspace(-6, 6, 8).astype(np.float32)]
    assert_close(corpus.litert_run(before, x), corpus.litert_run(after, x), rtol=1e-5)
