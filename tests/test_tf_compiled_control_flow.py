"""`tfl.while` and `tfl.if` compiled for the cpu and mcu targets, with no fallback, against LiteRT
running the same .tflite (float within 1e-5 relative, int8 and integers exactly).

The models are TensorFlow programs converted by tflc (`tf.while_loop`, `tf.cond`, Keras LSTM and
GRU layers, which tflc converts to a `tfl.while` over the time steps, not to a fused
UNIDIRECTIONAL_SEQUENCE_LSTM), and a few tfl programs written out where TensorFlow gives no
handle on the case (an int8 loop body, carried values swapped between iterations).
backends/cpu/control_flow.py and backends/mcu/control_flow.py say how the loops are built.
"""

from __future__ import annotations

import numpy as np
import pytest
import tf_support

tf_support.skip_if_gpu_stack_loaded()
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

import tflc  # noqa: E402
from corpus import litert_run  # noqa: E402

RTOL = 1e-5  # the targets' tanh, sigmoid and sums vs LiteRT's: measured about 1e-6
TARGETS = ("cpu", "mcu")


def counter_loop():
    @tf.function(input_signature=[tf.TensorSpec([4], tf.float32)])
    def model(x):
        def body(i, acc):
            return i + 1, acc * 0.5 + x

        _, acc = tf.while_loop(lambda i, acc: i < 5, body, [tf.constant(0), tf.zeros([4])])
        return acc

    return model


def input_trip_count_loop():
    @tf.function(input_signature=[tf.TensorSpec([], tf.int32), tf.TensorSpec([3], tf.float32)])
    def model(n, x):
        def body(i, y):
            return i + 1, tf.tanh(y) * 1.5 + 0.1

        _, y = tf.while_loop(lambda i, y: i < n, body, [tf.constant(0), x])
        return y

    return model


def cond_on_input():
    @tf.function(input_signature=[tf.TensorSpec([], tf.float32), tf.TensorSpec([3], tf.float32)])
    def model(p, x):
        return tf.cond(p > 0, lambda: x * 2.0 + p, lambda: tf.exp(x) - p)

    return model


def cond_around_loop():
    """A loop inside a branch: the cpu target cannot if-convert it (both branches would run)."""

    @tf.function(input_signature=[tf.TensorSpec([], tf.int32), tf.TensorSpec([3], tf.float32)])
    def model(n, x):
        def looped():
            body = lambda i, y: (i + 1, tf.sin(y) + x)  # noqa: E731
            return tf.while_loop(lambda i, y: i < n, body, [tf.constant(0), x])[1]

        return tf.cond(n > 2, looped, lambda: x * 3.0)

    return model


def recurrent(layer: str):
    keras.utils.set_random_seed(3)
    inputs = keras.Input((6, 3), batch_size=1)
    cell = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[layer](5)
    return keras.Model(inputs, cell(inputs))


MODELS = {
    "counter": counter_loop,
    "trip_count": input_trip_count_loop,
    "cond": cond_on_input,
    "cond_around_loop": cond_around_loop,
    "lstm": lambda: recurrent("lstm"),
    "gru": lambda: recurrent("gru"),
}
# Inputs that take every path: trip counts 0, 1 and several; both signs of a predicate.
INPUTS = {
    "counter": [[np.array([1.0, -2.0, 0.5, 3.0], np.float32)]],
    "trip_count": [
        [np.array(n, np.int32), np.array([0.3, -1.2, 2.0], np.float32)] for n in (0, 1, 7)
    ],
    "cond": [
        [np.array(p, np.float32), np.array([0.3, -1.2, 2.0], np.float32)] for p in (-0.5, 2.0)
    ],
    "cond_around_loop": [
        [np.array(n, np.int32), np.array([0.3, -1.2, 2.0], np.float32)] for n in (1, 3, 6)
    ],
}


@pytest.fixture(scope="module")
def flatbuffers():
    return {}


def flatbuffer_of(name: str, cache: dict) -> bytes:
    if name not in cache:
        cache[name] = tflc.convert(MODELS[name](), output="flatbuffer")
    return cache[name]


def inputs_of(name: str, compiled) -> list[list[np.ndarray]]:
    if name in INPUTS:
        return INPUTS[name]
    rng = np.random.default_rng(7)
    return [[rng.uniform(-2, 2, d["shape"]).astype(np.float32)] for d in compiled.inputs[:1]] * 2


def assert_matches(ours: list[np.ndarray], ref: list[np.ndarray]) -> None:
    for o, r in zip(ours, ref, strict=True):
        assert o.dtype == r.dtype and o.shape == r.shape
    assert tf_support.max_relative_error(ours, ref) <= RTOL


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", list(MODELS))
def test_converted_control_flow_compiles_and_matches_litert(name, target, flatbuffers):
    flatbuffer = flatbuffer_of(name, flatbuffers)
    text = tflc.to_text(tflc.load(flatbuffer))
    if name in ("lstm", "gru"):  # what tflc.convert writes for Keras recurrent layers
        assert '"tfl.while"' in text and "unidirectional_sequence" not in text
    compiled = tflc.compile(flatbuffer, target=target)
    assert not compiled.report.get("fallback_ops")
    for xs in inputs_of(name, compiled):
        assert_matches(compiled(*xs), litert_run(flatbuffer, xs))


@pytest.mark.parametrize("name", ["lstm", "cond_around_loop"])
def test_threads_share_the_kernels_of_loops_and_branches(name, flatbuffers):
    # Each kernel's chunk counter is rearmed inside the loop (module_builder.py), and a
    # condition's buffer outlives its region (memory_plan.py): with two threads every
    # iteration still runs every chunk once, and every thread takes the same path.
    flatbuffer = flatbuffer_of(name, flatbuffers)
    compiled = tflc.compile(flatbuffer, target="cpu", num_threads=2)
    for xs in inputs_of(name, compiled) * 2:
        assert_matches(compiled(*xs), litert_run(flatbuffer, xs))


def test_profile_of_a_loop_returns_the_model_outputs(flatbuffers):
    flatbuffer = flatbuffer_of("trip_count", flatbuffers)
    compiled = tflc.compile(flatbuffer, target="cpu")
    xs = INPUTS["trip_count"][2]
    profile = type(compiled.profile_kernels(*xs))()
    assert_matches(compiled.run_timed(xs, profile, 0), litert_run(flatbuffer, xs))


def test_mcu_loop_is_clean_under_the_sanitizers(flatbuffers):
    flatbuffer = flatbuffer_of("gru", flatbuffers)
    compiled = tflc.compile(flatbuffer, target="mcu")
    assert "for (tflc_iterations0 = 0;; ++tflc_iterations0) {" in compiled.files["model.c"].decode()
    x = np.random.default_rng(5).uniform(-2, 2, (1, 6, 3)).astype(np.float32)
    assert_matches(compiled(x, sanitize=True), litert_run(flatbuffer, [x]))


SWAP = """
module {
  func.func @main(%a: tensor<3xf32>, %b: tensor<3xf32>, %n: tensor<i32>)
      -> (tensor<3xf32>, tensor<3xf32>) {
    %i = "tfl.pseudo_const"() {value = dense<0> : tensor<i32>} : () -> tensor<i32>
    %0:4 = "tfl.while"(%a, %b, %i, %n) {cond_subgraph_index = @cond, body_subgraph_index = @body}
      : (tensor<3xf32>, tensor<3xf32>, tensor<i32>, tensor<i32>)
      -> (tensor<3xf32>, tensor<3xf32>, tensor<i32>, tensor<i32>)
    return %0#0, %0#1 : tensor<3xf32>, tensor<3xf32>
  }
  func.func private @cond(%a: tensor<3xf32>, %b: tensor<3xf32>, %i: tensor<i32>, %n: tensor<i32>)
      -> tensor<i1> {
    %0 = "tfl.less"(%i, %n) : (tensor<i32>, tensor<i32>) -> tensor<i1>
    return %0 : tensor<i1>
  }
  func.func private @body(%a: tensor<3xf32>, %b: tensor<3xf32>, %i: tensor<i32>, %n: tensor<i32>)
      -> (tensor<3xf32>, tensor<3xf32>, tensor<i32>, tensor<i32>) {
    %one = "tfl.pseudo_const"() {value = dense<1> : tensor<i32>} : () -> tensor<i32>
    %0 = "tfl.add"(%i, %one) {fused_activation_function = "NONE", pot_scale_int16 = true}
      : (tensor<i32>, tensor<i32>) -> tensor<i32>
    %1 = "tfl.sub"(%a, %b) {fused_activation_function = "NONE", pot_scale_int16 = true}
      : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
    return %b, %1, %0, %n : tensor<3xf32>, tensor<3xf32>, tensor<i32>, tensor<i32>
  }
}
"""


@pytest.mark.parametrize("target", TARGETS)
def test_carried_values_read_from_each_other_swap_correctly(target):
    # (a, b) <- (b, a - b): the copy into a must not be read as the new b.
    module = tflc.parse(SWAP)
    flatbuffer = tflc.to_flatbuffer(module)
    compiled = tflc.compile(module, target=target)
    a, b = np.array([1.0, 2.0, -3.0], np.float32), np.array([0.5, -4.0, 2.0], np.float32)
    for n in (0, 1, 2, 5):
        xs = [a, b, np.array(n, np.int32)]
        assert_matches(compiled(*xs), litert_run(flatbuffer, xs))


Q = "!quant.uniform<i8:f32, 0.05:3>"
INT8_LOOP = f"""
module {{
  func.func @main(%x: tensor<8x{Q}>, %n: tensor<i32>) -> tensor<8x{Q}> {{
    %i = "tfl.pseudo_const"() {{value = dense<0> : tensor<i32>}} : () -> tensor<i32>
    %0:3 = "tfl.while"(%x, %i, %n) {{cond_subgraph_index = @cond, body_subgraph_index = @body}}
      : (tensor<8x{Q}>, tensor<i32>, tensor<i32>) -> (tensor<8x{Q}>, tensor<i32>, tensor<i32>)
    return %0#0 : tensor<8x{Q}>
  }}
  func.func private @cond(%y: tensor<8x{Q}>, %i: tensor<i32>, %n: tensor<i32>) -> tensor<i1> {{
    %0 = "tfl.less"(%i, %n) : (tensor<i32>, tensor<i32>) -> tensor<i1>
    return %0 : tensor<i1>
  }}
  func.func private @body(%y: tensor<8x{Q}>, %i: tensor<i32>, %n: tensor<i32>)
      -> (tensor<8x{Q}>, tensor<i32>, tensor<i32>) {{
    %one = "tfl.pseudo_const"() {{value = dense<1> : tensor<i32>}} : () -> tensor<i32>
    %0 = "tfl.add"(%i, %one) {{fused_activation_function = "NONE", pot_scale_int16 = true}}
      : (tensor<i32>, tensor<i32>) -> tensor<i32>
    %c = "tfl.pseudo_qconst"() {{qtype = tensor<8x!quant.uniform<i8:f32, 0.02:-5>>,
      value = dense<[20, -90, 7, 127, -128, 3, 60, -33]> : tensor<8xi8>}}
      : () -> tensor<8x!quant.uniform<i8:f32, 0.02:-5>>
    %1 = "tfl.mul"(%y, %c) {{fused_activation_function = "NONE"}}
      : (tensor<8x{Q}>, tensor<8x!quant.uniform<i8:f32, 0.02:-5>>) -> tensor<8x{Q}>
    %2 = "tfl.add"(%1, %y) {{fused_activation_function = "RELU6", pot_scale_int16 = true}}
      : (tensor<8x{Q}>, tensor<8x{Q}>) -> tensor<8x{Q}>
    return %2, %0, %n : tensor<8x{Q}>, tensor<i32>, tensor<i32>
  }}
}}
"""


@pytest.mark.parametrize("target", TARGETS)
def test_int8_kernels_inside_a_loop_match_litert_exactly(target):
    # tflc's int8 quantizer leaves loop bodies float, so the int8 body is written out here.
    module = tflc.parse(INT8_LOOP)
    flatbuffer = tflc.to_flatbuffer(module)
    compiled = tflc.compile(module, target=target)
    x = np.random.default_rng(6).integers(-128, 128, 8).astype(np.int8)
    for n in (0, 1, 3):
        xs = [x, np.array(n, np.int32)]
        (ours,) = compiled(*xs)
        (ref,) = litert_run(flatbuffer, xs, kernels="reference")
        np.testing.assert_array_equal(ours, ref)


INT8_IF = f"""
module {{
  func.func @main(%p: tensor<i1>, %x: tensor<8x{Q}>) -> tensor<8x{Q}> {{
    %0 = "tfl.if"(%p, %x) {{then_subgraph_index = @then, else_subgraph_index = @else}}
      : (tensor<i1>, tensor<8x{Q}>) -> tensor<8x{Q}>
    return %0 : tensor<8x{Q}>
  }}
  func.func private @then(%x: tensor<8x{Q}>) -> tensor<8x{Q}> {{
    %0 = "tfl.add"(%x, %x) {{fused_activation_function = "NONE", pot_scale_int16 = true}}
      : (tensor<8x{Q}>, tensor<8x{Q}>) -> tensor<8x{Q}>
    return %0 : tensor<8x{Q}>
  }}
  func.func private @else(%x: tensor<8x{Q}>) -> tensor<8x{Q}> {{
    %0 = "tfl.mul"(%x, %x) {{fused_activation_function = "RELU6"}}
      : (tensor<8x{Q}>, tensor<8x{Q}>) -> tensor<8x{Q}>
    return %0 : tensor<8x{Q}>
  }}
}}
"""


@pytest.mark.parametrize("target", TARGETS)
def test_int8_branches_match_litert_exactly(target):
    # Quantized results take native branches on cpu (its select has no int8 kernel).
    module = tflc.parse(INT8_IF)
    flatbuffer = tflc.to_flatbuffer(module)
    compiled = tflc.compile(module, target=target)
    x = np.random.default_rng(9).integers(-128, 128, 8).astype(np.int8)
    for p in (True, False):
        xs = [np.array(p), x]
        np.testing.assert_array_equal(
            compiled(*xs)[0], litert_run(flatbuffer, xs, kernels="reference")[0]
        )


GROWING = """
module {
  func.func @main(%x: tensor<2xf32>) -> tensor<?xf32> {
    %0:2 = "tfl.while"(%x, %x) {cond_subgraph_index = @cond, body_subgraph_index = @body}
      : (tensor<2xf32>, tensor<2xf32>) -> (tensor<?xf32>, tensor<2xf32>)
    return %0#0 : tensor<?xf32>
  }
  func.func private @cond(%y: tensor<?xf32>, %x: tensor<2xf32>) -> tensor<i1> {
    %c = "tfl.pseudo_const"() {value = dense<false> : tensor<i1>} : () -> tensor<i1>
    return %c : tensor<i1>
  }
  func.func private @body(%y: tensor<?xf32>, %x: tensor<2xf32>)
      -> (tensor<?xf32>, tensor<2xf32>) {
    %0 = "tfl.relu"(%y) : (tensor<?xf32>) -> tensor<?xf32>
    return %0, %x : tensor<?xf32>, tensor<2xf32>
  }
}
"""


@pytest.mark.parametrize("target", TARGETS)
def test_loop_whose_carried_shape_changes_is_refused_by_name(target):
    with pytest.raises(tflc.TflcError, match="carried value 0 goes from tensor<2xf32> to"):
        tflc.compile(tflc.parse(GROWING), target=target)


UNSUPPORTED_IN_BODY = SWAP.replace(
    '%1 = "tfl.sub"(%a, %b) {fused_activation_function = "NONE", pot_scale_int16 = true}\n'
    "      : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>",
    '%h = "tfl.pseudo_const"() {value = dense<[[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]]>'
    " : tensor<3x2xf32>} : () -> tensor<3x2xf32>\n"
    '    %p = "tfl.lsh_projection"(%h, %a) {type = "SPARSE"}\n'
    "      : (tensor<3x2xf32>, tensor<3xf32>) -> tensor<3xi32>\n"
    '    %1 = "tfl.cast"(%p) {in_data_type = "INT32", out_data_type = "FLOAT32"}\n'
    "      : (tensor<3xi32>) -> tensor<3xf32>",
)


def test_loop_with_an_op_the_cpu_cannot_compile_names_it_or_falls_back_whole():
    assert '"tfl.lsh_projection"' in UNSUPPORTED_IN_BODY
    module = tflc.parse(UNSUPPORTED_IN_BODY)
    with pytest.raises(tflc.TflcError, match="cannot compile 'tfl.lsh_projection'"):
        tflc.compile(module, target="cpu")
    # Under fallback="runtime" the loop runs on the host with its subgraphs (a scalar input
    # passes between the steps as a scalar).
    with pytest.warns(UserWarning, match="compiled nothing"):  # the loop is the whole model
        compiled = tflc.compile(module, target="cpu", fallback="runtime")
    assert [op.split(" at ")[0] for op in compiled.report["fallback_ops"]] == ["'tfl.while'"]
    flatbuffer = tflc.to_flatbuffer(module)
    xs = [np.array([1.0, -2.0, 0.0], np.float32), np.array([0.5, -4.0, 2.0], np.float32)]
    xs.append(np.array(3, np.int32))
    assert_matches(compiled(*xs), litert_run(flatbuffer, xs))


GATHER_BY_INPUT = """
module {
  func.func @main(%x: tensor<2x5x3xf32>, %i: tensor<4xi32>) -> tensor<2x4x3xf32> {
    %0 = "tfl.gather"(%x, %i) {axis = 1 : i32, batch_dims = 0 : i32}
      : (tensor<2x5x3xf32>, tensor<4xi32>) -> tensor<2x4x3xf32>
    return %0 : tensor<2x4x3xf32>
  }
}
"""


@pytest.mark.parametrize("target", TARGETS)
def test_gather_with_run_time_indices(target):
    # A recurrent layer's loop gathers its time step by the loop counter: indices known only
    # at run time (the cpu target's index tables need constants).
    module = tflc.parse(GATHER_BY_INPUT)
    flatbuffer = tflc.to_flatbuffer(module)
    compiled = tflc.compile(module, target=target, optimize=False)
    x = np.random.default_rng(8).uniform(-2, 2, (2, 5, 3)).astype(np.float32)
    xs = [x, np.array([4, 0, 2, 4], np.int32)]
    np.testing.assert_array_equal(compiled(*xs)[0], litert_run(flatbuffer, xs)[0])


RUNAWAY = """
module {
  func.func @main(%x: tensor<3xf32>) -> tensor<3xf32> {
    %0 = "tfl.while"(%x) {cond_subgraph_index = @cond, body_subgraph_index = @body}
      : (tensor<3xf32>) -> tensor<3xf32>
    return %0 : tensor<3xf32>
  }
  func.func private @cond(%y: tensor<3xf32>) -> tensor<i1> {
    %c = "tfl.pseudo_const"() {value = dense<true> : tensor<i1>} : () -> tensor<i1>
    return %c : tensor<i1>
  }
  func.func private @body(%y: tensor<3xf32>) -> tensor<3xf32> {
    %0 = "tfl.neg"(%y) : (tensor<3xf32>) -> tensor<3xf32>
    return %0 : tensor<3xf32>
  }
}
"""


@pytest.mark.parametrize("options", [{"target": "cpu"}, {"target": "mcu", "compare_tflm": False}])
def test_runaway_loop_is_reported_not_hung_on(options):
    # As the interpreter (runtime/kernels/control_flow.MAX_WHILE_ITERATIONS): the cpu target
    # sets a status word the loader reads, the mcu target's model_run returns 1.
    compiled = tflc.compile(tflc.parse(RUNAWAY), **options)
    with pytest.raises(tflc.TflcError, match="(did not finish|ran past its iteration limit)"):
        compiled(np.ones(3, np.float32))
