"""Stateful TensorFlow programs: resource variables, lookup tables and string tensors.

Each model is converted by `tflc.convert` and run, invoke after invoke on one interpreter, in
LiteRT and in tflc's interpreter; the outputs are compared with TensorFlow calling the function
the same number of times (on a fresh copy of the state), and the written models with the ones
TensorFlow's converter writes (the same resource builtins, an initializer subgraph run by
CALL_ONCE). `tfl-translate`'s round trip (flatbuffer -> MLIR -> flatbuffer) keeps them runnable.
"""

from __future__ import annotations

import numpy as np
import pytest
import tf_support
import tflc

tf_support.skip_if_gpu_stack_loaded()
tf = pytest.importorskip("tensorflow")
from ai_edge_litert.interpreter import Interpreter  # noqa: E402
from tflc.errors import TflcError  # noqa: E402

INVOKES = 3


class Counter(tf.Module):
    def __init__(self):
        self.count = tf.Variable(0, dtype=tf.int32)

    @tf.function(input_signature=[])
    def __call__(self):
        self.count.assign_add(1)
        return self.count.read_value()


class Accumulator(tf.Module):
    """A float tensor updated from the input: assign, assign_add and assign_sub."""

    def __init__(self):
        self.total = tf.Variable(np.linspace(-1.0, 1.0, 6, dtype=np.float32).reshape(2, 3))
        self.last = tf.Variable(tf.zeros([2, 3]))

    @tf.function(input_signature=[tf.TensorSpec([2, 3], tf.float32)])
    def __call__(self, x):
        before = self.total.read_value()
        self.total.assign_add(x * 2.0)
        self.total.assign_sub(self.last)
        self.last.assign(x)
        return self.total.read_value() + 0.5, before


class ConditionalUpdate(tf.Module):
    """Assignments inside the branches of a tf.cond (an If whose result nothing reads)."""

    def __init__(self):
        self.v = tf.Variable(1.0)

    @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
    def __call__(self, x):
        if x > 0:
            self.v.assign_add(x)
        else:
            self.v.assign(-x)
        return self.v.read_value()


class LoopUpdate(tf.Module):
    """Assignments inside a tf.while_loop's body."""

    def __init__(self):
        self.v = tf.Variable([0.0, 1.0])

    @tf.function(input_signature=[tf.TensorSpec([], tf.int32)])
    def __call__(self, n):
        for _ in tf.range(n):
            self.v.assign(self.v * 2.0 + 1.0)
        return self.v.read_value()


class TwoSignatures(tf.Module):
    """One signature writes a variable the other reads: state in both."""

    def __init__(self):
        self.a = tf.Variable(10.0)
        self.b = tf.Variable(100.0)

    @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
    def add(self, x):
        self.a.assign_add(x)
        self.b.assign_sub(x)
        return {"a": self.a.read_value()}

    @tf.function(input_signature=[])
    def get(self):
        self.b.assign_add(1.0)
        return {"a": self.a.read_value(), "b": self.b.read_value()}


def _string_to_id_table():
    keys = tf.constant(["apple", "banana", "cherry", "", "durian fruit"])
    values = tf.constant([3, 1, 4, 1, 5], tf.int64)
    return tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(keys, values), -7)


class StringToId(tf.Module):
    def __init__(self):
        self.table = _string_to_id_table()

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, words):
        return self.table.lookup(words), self.table.size()


class IdToString(tf.Module):
    def __init__(self):
        keys = tf.constant([10, 20, 30], tf.int64)
        values = tf.constant(["ten", "twenty", "thirty"])
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(keys, values), "unknown"
        )

    @tf.function(input_signature=[tf.TensorSpec([4], tf.int64)])
    def __call__(self, ids):
        return (self.table.lookup(ids),)


class StringPassThrough(tf.Module):
    """String inputs and outputs, and a string constant."""

    @tf.function(input_signature=[tf.TensorSpec([3], tf.string), tf.TensorSpec([3], tf.float32)])
    def __call__(self, words, x):
        return words, tf.constant(["a", "bc"]), x * 2.0


class StringMatrix(tf.Module):
    """A 2-D string input reshaped, and a 2-D string constant."""

    @tf.function(input_signature=[tf.TensorSpec([2, 2], tf.string)])
    def __call__(self, words):
        return tf.reshape(words, [4]), tf.constant([["a", "b"], ["cc", ""]])


IDS = np.array([20, 5, 10, 30], np.int64)
WORDS = np.array([b"cherry", b"kiwi", b"", b"apple", b"durian fruit"], dtype=object)


def _run(interpreter, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """One invoke. allocate_tensors runs before each: LiteRT keeps resource state through it,
    and so must tflc's interpreter."""
    for detail, x in zip(interpreter.get_input_details(), inputs, strict=True):
        if list(detail["shape"]) != list(np.shape(x)):
            interpreter.resize_tensor_input(detail["index"], list(np.shape(x)))
    interpreter.allocate_tensors()
    for detail, x in zip(interpreter.get_input_details(), inputs, strict=True):
        interpreter.set_tensor(detail["index"], x)
    interpreter.invoke()
    return [np.array(interpreter.get_tensor(d["index"])) for d in interpreter.get_output_details()]


def _invokes(make_interpreter, flatbuffer: bytes, inputs: list[list[np.ndarray]]):
    interpreter = make_interpreter(model_content=flatbuffer)
    return [_run(interpreter, xs) for xs in inputs]


def _tf_invokes(model: tf.Module, inputs: list[list[np.ndarray]]):
    results = []
    for xs in inputs:
        out = model(*xs)
        out = out if isinstance(out, list | tuple) else [out]
        results.append([np.asarray(y) for y in out])
    return results


def _assert_same(got, want) -> None:
    for step, (outs, refs) in enumerate(zip(got, want, strict=True)):
        assert len(outs) == len(refs), step
        for out, ref in zip(outs, refs, strict=True):
            ref = np.asarray(ref)
            assert out.dtype == ref.dtype or (out.dtype.kind, ref.dtype.kind) == ("O", "O"), step
            np.testing.assert_array_equal(out.reshape(ref.shape), ref, err_msg=f"invoke {step}")


def _check(make_model, inputs: list[list[np.ndarray]], round_trip: bool = True) -> bytes:
    """Converts a fresh model, runs it in LiteRT and in tflc's interpreter against TensorFlow
    calling another fresh one; returns the flatbuffer."""
    flatbuffer = tflc.convert(make_model(), output="flatbuffer")
    want = _tf_invokes(make_model(), inputs)
    _assert_same(_invokes(Interpreter, flatbuffer, inputs), want)
    _assert_same(_invokes(tflc.Interpreter, flatbuffer, inputs), want)
    if round_trip:
        again = tflc.api.to_flatbuffer(tflc.load(flatbuffer))
        _assert_same(_invokes(Interpreter, again, inputs), want)
        _assert_same(_invokes(tflc.Interpreter, again, inputs), want)
    return flatbuffer


def _ops(flatbuffer: bytes) -> list[list[str]]:
    """Builtin operator names of each subgraph."""
    import tflite
    from tflite.BuiltinOperator import BuiltinOperator

    names = {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}
    model = tflite.Model.GetRootAsModel(flatbuffer, 0)
    subgraphs = []
    for s in range(model.SubgraphsLength()):
        sg = model.Subgraphs(s)
        ops = []
        for o in range(sg.OperatorsLength()):
            code = model.OperatorCodes(sg.Operators(o).OpcodeIndex())
            ops.append(names[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())])
        subgraphs.append(ops)
    return subgraphs


def _operator_codes(flatbuffer: bytes) -> list[tuple[int, int]]:
    """(builtin code, version) of each operator code."""
    import tflite

    model = tflite.Model.GetRootAsModel(flatbuffer, 0)
    codes = [model.OperatorCodes(i) for i in range(model.OperatorCodesLength())]
    return sorted((max(c.BuiltinCode(), c.DeprecatedBuiltinCode()), c.Version()) for c in codes)


def _tf_converter(model: tf.Module) -> bytes:
    cf = model.__call__.get_concrete_function()
    return bytes(tf.lite.TFLiteConverter.from_concrete_functions([cf], model).convert())


def test_counter_counts_in_litert_and_tflc():
    flatbuffer = _check(Counter, [[]] * INVOKES)
    for run in (Interpreter, tflc.Interpreter):
        got = [int(outs[0]) for outs in _invokes(run, flatbuffer, [[]] * INVOKES)]
        assert got == [1, 2, 3], run
    ours, theirs = _ops(flatbuffer), _ops(_tf_converter(Counter()))
    assert ours == theirs
    assert ours[0][0] == "CALL_ONCE"
    assert ours[1] == ["VAR_HANDLE", "ASSIGN_VARIABLE"]


def test_float_variable_updated_from_input():
    rng = np.random.default_rng(5)
    inputs = [[rng.standard_normal((2, 3)).astype(np.float32)] for _ in range(INVOKES)]
    flatbuffer = _check(Accumulator, inputs)
    assert {"READ_VARIABLE", "ASSIGN_VARIABLE", "VAR_HANDLE"} <= set(_ops(flatbuffer)[0])


@pytest.mark.parametrize(
    "make_model", [Counter, Accumulator, StringToId, IdToString, StringPassThrough]
)
def test_operator_codes_and_versions_as_tensorflow_writes_them(make_model):
    ours = tflc.convert(make_model(), output="flatbuffer")
    assert _operator_codes(ours) == _operator_codes(_tf_converter(make_model()))


def test_counter_from_saved_model(tmp_path):
    tf.saved_model.save(Counter(), str(tmp_path))
    flatbuffer = tflc.convert(str(tmp_path), output="flatbuffer")
    for run in (Interpreter, tflc.Interpreter):
        got = [int(outs[0]) for outs in _invokes(run, flatbuffer, [[]] * INVOKES)]
        assert got == [1, 2, 3], run


def test_assignments_in_cond_branches_and_loop_bodies():
    _check(ConditionalUpdate, [[np.float32(2.0)], [np.float32(-5.0)], [np.float32(0.5)]])
    _check(LoopUpdate, [[np.int32(3)], [np.int32(0)], [np.int32(2)]])


def test_signatures_share_state(tmp_path):
    model = TwoSignatures()
    tf.saved_model.save(model, str(tmp_path), signatures={"add": model.add, "get": model.get})
    flatbuffer = tflc.convert(str(tmp_path), output="flatbuffer")
    reference = TwoSignatures()
    calls = [("add", {"x": np.float32(2.0)}), ("get", {}), ("add", {"x": np.float32(3.0)})]
    calls.append(("get", {}))
    want = [
        getattr(reference, key)(**{k: tf.constant(v) for k, v in kw.items()}) for key, kw in calls
    ]
    for make_interpreter in (Interpreter, tflc.Interpreter):
        interpreter = make_interpreter(model_content=flatbuffer)
        for (key, kwargs), ref in zip(calls, want, strict=True):
            got = interpreter.get_signature_runner(key)(**kwargs)
            assert sorted(got) == sorted(ref), make_interpreter
            for name, value in ref.items():
                np.testing.assert_array_equal(np.asarray(got[name]).reshape(()), value.numpy())


def test_unsupported_table_types_are_one_line_errors():
    class FloatValues(tf.Module):
        def __init__(self):
            init = tf.lookup.KeyValueTensorInitializer(tf.constant([1, 2]), tf.constant([0.5, 2.0]))
            self.table = tf.lookup.StaticHashTable(init, -1.0)

        @tf.function(input_signature=[tf.TensorSpec([2], tf.int32)])
        def __call__(self, x):
            return self.table.lookup(x)

    with pytest.raises(TflcError) as e:
        tflc.convert(FloatValues())
    assert "lookup table" in str(e.value) and "\n" not in str(e.value)


def test_string_matrix():
    words = np.array([[b"p", b"q"], [b"rst", b""]], dtype=object)
    _check(StringMatrix, [[words]])


def test_tf_function_capturing_a_variable():
    def make_function():
        scale = tf.Variable([1.0, 2.0])

        @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
        def scaled(x):
            scale.assign(scale * x)
            return scale + 0.0

        return scaled

    _check(make_function, [[np.array([2.0, 3.0], np.float32)]] * INVOKES, round_trip=False)


def test_concrete_function_keeps_state():
    model = Counter()
    flatbuffer = tflc.convert(model.__call__.get_concrete_function(), output="flatbuffer")
    got = [int(outs[0]) for outs in _invokes(Interpreter, flatbuffer, [[]] * INVOKES)]
    assert got == [1, 2, 3]


def test_read_only_variables_stay_constants():
    class Scale(tf.Module):
        def __init__(self):
            self.w = tf.Variable([2.0, 3.0])

        @tf.function(input_signature=[tf.TensorSpec([2], tf.float32)])
        def __call__(self, x):
            return x * self.w

    flatbuffer = _check(Scale, [[np.array([1.0, -1.0], np.float32)]])
    assert _ops(flatbuffer) == [["MUL"]]


def test_string_to_int64_lookup_table():
    inputs = [[WORDS], [WORDS[::-1].copy()], [WORDS[:2].copy()]]
    flatbuffer = _check(StringToId, inputs)
    main, initializer = _ops(flatbuffer)
    assert main[0] == "CALL_ONCE" and {"HASHTABLE_FIND", "HASHTABLE_SIZE"} <= set(main)
    assert initializer == ["HASHTABLE", "HASHTABLE_IMPORT"]
    assert sorted(_ops(_tf_converter(StringToId()))[1]) == sorted(initializer)


def test_int64_to_string_lookup_table():
    _check(IdToString, [[IDS], [IDS[::-1].copy()]])


def test_lookup_table_from_saved_model(tmp_path):
    tf.saved_model.save(StringToId(), str(tmp_path))
    flatbuffer = tflc.convert(str(tmp_path), output="flatbuffer")
    want = _tf_invokes(StringToId(), [[WORDS]])
    _assert_same(_invokes(Interpreter, flatbuffer, [[WORDS]]), want)
    _assert_same(_invokes(tflc.Interpreter, flatbuffer, [[WORDS]]), want)


def test_string_inputs_outputs_and_constants():
    words = np.array([b"x", b"", b"longer words"], dtype=object)
    _check(StringPassThrough, [[words, np.arange(3, dtype=np.float32)]])


@pytest.mark.parametrize(
    "make_model, inputs",
    [(Counter, [[]] * INVOKES), (StringToId, [[WORDS], [WORDS[:3].copy()]])],
    ids=["variable", "table"],
)
def test_translate_round_trip_keeps_state(tmp_path, make_model, inputs):
    from tflc.tools import tfl_translate

    model = tmp_path / "model.tflite"
    model.write_bytes(tflc.convert(make_model(), output="flatbuffer"))
    text, again = tmp_path / "model.mlir", tmp_path / "again.tflite"
    assert tfl_translate.main(["--tflite-to-mlir", str(model), "-o", str(text)]) == 0
    assert tfl_translate.main(["--mlir-to-tflite", str(text), "-o", str(again)]) == 0
    want = _tf_invokes(make_model(), inputs)
    _assert_same(_invokes(Interpreter, again.read_bytes(), inputs), want)
    _assert_same(_invokes(tflc.Interpreter, again.read_bytes(), inputs), want)


@pytest.mark.parametrize(
    "make_model, inputs",
    [(Accumulator, [[np.full((2, 3), 0.25, np.float32)]] * INVOKES), (IdToString, [[IDS]])],
    ids=["variable", "table"],
)
def test_tensorflow_converter_models_through_tflc(make_model, inputs):
    """TensorFlow's converter's stateful models (outputs in its own order): tflc.load and
    export keep them running as LiteRT runs the original."""
    original = _tf_converter(make_model())
    again = tflc.api.to_flatbuffer(tflc.load(original))
    want = _invokes(Interpreter, original, inputs)
    _assert_same(_invokes(Interpreter, again, inputs), want)
    _assert_same(_invokes(tflc.Interpreter, again, inputs), want)


@pytest.mark.parametrize("make_model", [Accumulator, StringToId, IdToString])
def test_conversion_is_deterministic(make_model):
    first = tflc.convert(make_model(), output="flatbuffer")
    assert tflc.convert(make_model(), output="flatbuffer") == first


@pytest.mark.parametrize("target", ["cpu", "mcu"])
@pytest.mark.parametrize("make_model", [Counter, StringToId], ids=["variable", "table"])
def test_compile_refuses_state_by_name(target, make_model):
    module = tflc.convert(make_model())
    with pytest.raises(TflcError) as e:
        tflc.compile(module, target=target)
    message = str(e.value)
    assert "\n" not in message.strip()
    assert any(name in message for name in ("call_once", "CALL_ONCE", "var_handle", "hashtable"))


def test_tflc_run_cli_runs_state_and_strings(tmp_path, capsys):
    from tflc.tools import run_cli

    counter, strings = tmp_path / "counter.tflite", tmp_path / "strings.tflite"
    counter.write_bytes(tflc.convert(Counter(), output="flatbuffer"))
    strings.write_bytes(tflc.convert(StringPassThrough(), output="flatbuffer"))
    assert run_cli.main([str(counter), "--runs", str(INVOKES)]) == 0  # no inputs to give
    assert f"first=[{INVOKES}]" in capsys.readouterr().out  # one interpreter, state kept
    assert run_cli.main([str(strings), "--random-inputs"]) == 0
    assert "object first=[b'" in capsys.readouterr().out


def test_keras_string_lookup_layer():
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(3)
    words = keras.Input(shape=(3,), dtype="string")
    ids = keras.layers.StringLookup(vocabulary=["apple", "banana", "cherry"])(words)
    model = keras.Model(words, keras.layers.Embedding(5, 2)(ids))
    x = np.array([[b"cherry", b"kiwi", b"apple"]], dtype=object)
    flatbuffer = tflc.convert(model, output="flatbuffer", batch_size=1)
    want = [[np.asarray(model(tf.constant(x)))]]
    _assert_same(_invokes(Interpreter, flatbuffer, [[x]]), want)
    _assert_same(_invokes(tflc.Interpreter, flatbuffer, [[x]]), want)
