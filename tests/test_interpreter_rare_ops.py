"""Builtins outside the common CNN/RNN set against LiteRT's builtin kernels: sparse embedding
lookups, HASHTABLE_LOOKUP, the random ops and the resource hash tables."""

from __future__ import annotations

import numpy as np
import pytest
from corpus import litert_interpreter
from test_interpreter_ops import single_op_model, spec
from tflc.backends.tflite.flatbuffer_writer import write_model
from tflc.runtime.interpreter import Interpreter
from tflc.runtime.tflite_model import (
    Model,
    Operator,
    OperatorCode,
    SubGraph,
    Tensor,
    encode_strings,
)
from tflc.runtime.tflite_schema import BUILTIN_OPERATOR_CODES

pytest.importorskip("ai_edge_litert")


def run_litert(model: bytes, inputs: list[np.ndarray], invokes: int = 1) -> list[list[np.ndarray]]:
    """Outputs of `invokes` successive runs of one LiteRT interpreter (state carries over)."""
    lite = litert_interpreter(model, "builtin")
    lite.allocate_tensors()
    runs = []
    for _ in range(invokes):
        for d, x in zip(lite.get_input_details(), inputs, strict=True):
            lite.set_tensor(d["index"], x)
        lite.invoke()
        runs.append([lite.get_tensor(d["index"]).copy() for d in lite.get_output_details()])
    return runs


def run_tflc(model: bytes, inputs: list[np.ndarray], invokes: int = 1) -> list[list[np.ndarray]]:
    interp = Interpreter(model_content=model)
    return [interp(*inputs) for _ in range(invokes)]


def assert_same(actual: list[list[np.ndarray]], expected: list[list[np.ndarray]]) -> None:
    for run_a, run_e in zip(actual, expected, strict=True):
        for a, e in zip(run_a, run_e, strict=True):
            assert a.dtype == e.dtype and a.shape == e.shape
            np.testing.assert_array_equal(a, e)


@pytest.mark.parametrize("combiner", ["SUM", "MEAN", "SQRTN"])
def test_embedding_lookup_sparse(combiner):
    rng = np.random.default_rng(7)
    table = rng.standard_normal((10, 3, 2)).astype(np.float32)
    # 6 lookups into a [4, 5] bucket grid (rank-3 indices: bucket row, bucket col, position);
    # bucket (1, 2) is empty, bucket (3, 4) has one lookup with weight 0.
    indices = np.array(
        [[0, 0, 0], [0, 0, 1], [0, 1, 0], [2, 3, 0], [2, 3, 1], [3, 4, 0]], dtype=np.int32
    )
    weights = np.array([0.5, 2.0, -1.0, 1.5, 0.25, 0.0], dtype=np.float32)
    ids = np.array([1, 4, 9, 0, 0, 3], dtype=np.int32)
    dense_shape = np.array([4, 5, 2], dtype=np.int32)
    model = single_op_model(
        "EMBEDDING_LOOKUP_SPARSE",
        [
            spec(ids.shape, "INT32"),
            spec(indices.shape, "INT32"),
            spec(dense_shape.shape, "INT32", data=dense_shape),
            spec(weights.shape),
            spec(table.shape, data=table),
        ],
        [spec([4, 5, 3, 2])],
        {"combiner": combiner},
        "EmbeddingLookupSparseOptions",
    )
    inputs = [ids, indices, weights]
    assert_same(run_tflc(model, inputs), run_litert(model, inputs))


@pytest.mark.parametrize("value_type", ["FLOAT32", "INT32", "UINT8"])
def test_hashtable_lookup(value_type):
    keys = np.array([-7, 0, 3, 11, 42], dtype=np.int32)  # sorted, as the op requires
    values = (
        np.arange(5 * 3)
        .reshape(5, 3)
        .astype({"FLOAT32": np.float32, "INT32": np.int32, "UINT8": np.uint8}[value_type])
    )
    lookups = np.array([3, 5, -7, 42, 43, 0, -8], dtype=np.int32)
    model = single_op_model(
        "HASHTABLE_LOOKUP",
        [
            spec(lookups.shape, "INT32"),
            spec(keys.shape, "INT32", data=keys),
            spec(values.shape, value_type, data=values),
        ],
        [spec([7, 3], value_type), spec([7], "UINT8")],
    )
    assert_same(run_tflc(model, [lookups]), run_litert(model, [lookups]))


@pytest.mark.parametrize("op", ["RANDOM_UNIFORM", "RANDOM_STANDARD_NORMAL"])
@pytest.mark.parametrize("seeds", [(1, 2), (0, 7), (-5, 3), (12345678901, 2**33 + 7)])
def test_random_ops_reproduce_litert_philox_stream(op, seeds):
    """Same numbers for the same seeds, over two invokes (the generator's state carries)."""
    shape = np.array([3, 7], dtype=np.int32)  # 21 values: a partly used last Philox block
    model = single_op_model(
        op,
        [spec([2], "INT32")],
        [spec([3, 7])],
        {"seed": seeds[0], "seed2": seeds[1]},
        "RandomOptions",
    )
    assert_same(run_tflc(model, [shape], 2), run_litert(model, [shape], 2))


def test_random_standard_normal_large_matches_litert():
    shape = np.array([64, 33], dtype=np.int32)
    model = single_op_model(
        "RANDOM_STANDARD_NORMAL",
        [spec([2], "INT32")],
        [spec([64, 33])],
        {"seed": 11, "seed2": 5},
        "RandomOptions",
    )
    ((ours,),) = run_tflc(model, [shape])
    assert_same([[ours]], run_litert(model, [shape]))
    assert abs(float(ours.mean())) < 0.1 and abs(float(ours.std()) - 1) < 0.1


@pytest.mark.parametrize("out_type", ["INT32", "INT64"])
def test_multinomial_follows_the_distribution(out_type):
    """LiteRT draws from another generator than Philox: compare distributions, not numbers."""
    logits = np.log(np.array([[0.1, 0.6, 0.3, 0.0], [0.25, 0.25, 0.25, 0.25]], np.float32) + 1e-30)
    logits = logits.astype(np.float32)
    count = np.array(4000, dtype=np.int32)
    model = single_op_model(
        "MULTINOMIAL",
        [spec([2, 4]), spec([], "INT32")],
        [spec([2, 4000], out_type)],
        {"seed": 3, "seed2": 4},
        "RandomOptions",
    )
    (ours,), (again,) = run_tflc(model, [logits, count], 2)
    ((first,),) = run_litert(model, [logits, count])
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    for samples in (ours, again, first):
        assert samples.shape == (2, 4000) and samples.dtype == first.dtype
        for row in range(2):
            freq = np.bincount(samples[row], minlength=4) / 4000
            # 4000 draws: a frequency's standard deviation is sqrt(p (1 - p) / 4000) <= 0.0079,
            # so 0.03 is 3.8 of them
            np.testing.assert_allclose(freq, expected[row], atol=0.03)
    assert not np.array_equal(ours, again)  # the stream moves on between invokes
    ((same,),) = run_tflc(model, [logits, count])
    np.testing.assert_array_equal(same, ours)  # and restarts with a new interpreter


# --- resource hash tables -----------------------------------------------------------------


def hashtable_model(key_type: str, value_type: str, keys, values, default, imports: int = 1):
    """HASHTABLE -> HASHTABLE_IMPORT (x `imports`) -> HASHTABLE_FIND(query) -> HASHTABLE_SIZE."""
    buffers: list[bytes] = [b""]
    tensors: list[Tensor] = []

    def add(name, shape, type_, data=None) -> int:
        buffer = 0
        if data is not None:
            raw = data if isinstance(data, bytes) else np.ascontiguousarray(data).tobytes()
            buffers.append(raw)
            buffer = len(buffers) - 1
        tensors.append(Tensor(name, list(shape), type_, buffer))
        return len(tensors) - 1

    def const(name, type_, vals) -> int:
        if type_ == "STRING":
            return add(name, [len(vals)], type_, encode_strings(vals))
        return add(name, [len(vals)], type_, np.asarray(vals, np.int64))

    handle = add("handle", [1], "RESOURCE")
    query = add("query", [-1], key_type)
    tensors[query].shape = [3]
    imported = [
        (const(f"keys{i}", key_type, k), const(f"values{i}", value_type, v))
        for i, (k, v) in enumerate(zip(keys, values, strict=True))
    ][:imports]
    default_t = const("default", value_type, [default])
    found = add("found", [3], value_type)
    size = add("size", [1], "INT64")
    names = ["HASHTABLE", "HASHTABLE_IMPORT", "HASHTABLE_FIND", "HASHTABLE_SIZE"]
    codes = [
        OperatorCode(BUILTIN_OPERATOR_CODES[n], None, 1, BUILTIN_OPERATOR_CODES[n]) for n in names
    ]
    table = {"table_id": 1, "key_dtype": key_type, "value_dtype": value_type}
    ops = [Operator(0, [], [handle], builtin_options=("HashtableOptions", table))]
    ops += [Operator(1, [handle, k, v], []) for k, v in imported]
    ops += [Operator(2, [handle, query, default_t], [found]), Operator(3, [handle], [size])]
    graph = SubGraph("main", tensors, [query], [found, size], ops)
    return write_model(Model(3, "", codes, [graph], buffers, [], []))


@pytest.mark.parametrize("direction", ["int_to_string", "string_to_int"])
@pytest.mark.parametrize("imports", [1, 2])
def test_hashtable_ops_match_litert(direction, imports):
    ints = [[3, -1, 70000000000], [3, 9]]
    strings = [[b"three", b"minus one", b"big"], [b"THREE", b"nine"]]
    if direction == "int_to_string":
        model = hashtable_model("INT64", "STRING", ints, strings, b"?", imports)
        query = np.array([70000000000, 5, 3], dtype=np.int64)
    else:
        model = hashtable_model("STRING", "INT64", strings, ints, -7, imports)
        query = np.array([b"big", b"nine", b"three"], dtype=object)
    expected = run_litert(model, [query], 2)
    actual = run_tflc(model, [query], 2)
    for run_a, run_e in zip(actual, expected, strict=True):
        found, size = run_a
        np.testing.assert_array_equal(size, run_e[1])
        assert [bytes(v) if isinstance(v, bytes | np.bytes_) else int(v) for v in found] == [
            bytes(v) if isinstance(v, bytes | np.bytes_) else int(v) for v in run_e[0]
        ]


# --- text and hashing ---------------------------------------------------------------------


def skip_gram_model(ngram_size: int, max_skip: int, include_all: bool) -> bytes:
    tensors = [Tensor("text", [1], "STRING", 0), Tensor("grams", [0], "STRING", 0)]
    code = BUILTIN_OPERATOR_CODES["SKIP_GRAM"]
    options = {
        "ngram_size": ngram_size,
        "max_skip_size": max_skip,
        "include_all_ngrams": include_all,
    }
    op = Operator(0, [0], [1], builtin_options=("SkipGramOptions", options))
    graph = SubGraph("main", tensors, [0], [1], [op])
    return write_model(Model(3, "", [OperatorCode(code, None, 1, code)], [graph], [b""], [], []))


@pytest.mark.parametrize("sentence", [b"the quick brown fox jumps", b" a  b c\td ", b"one"])
@pytest.mark.parametrize("options", [(2, 0, False), (2, 1, False), (3, 1, True), (3, 2, False)])
def test_skip_gram_matches_litert(sentence, options):
    model = skip_gram_model(*options)
    text = np.array([sentence], dtype=object)
    ((expected,),) = run_litert(model, [text])
    ((actual,),) = run_tflc(model, [text])
    assert [bytes(v) for v in actual] == [bytes(v) for v in expected]


@pytest.mark.parametrize("kind", ["SPARSE", "DENSE"])
@pytest.mark.parametrize(
    "item_shape,type_",
    # hashed keys of 6, 8, 16, 32, 44 and 84 bytes: every length branch of Fingerprint64
    [
        ((2,), "INT8"),
        ((1,), "INT32"),
        ((3,), "INT32"),
        ((7,), "FLOAT32"),
        ((5, 2), "INT32"),
        ((20,), "INT32"),
    ],
)
@pytest.mark.parametrize("weighted", [False, True])
def test_lsh_projection_matches_litert(kind, item_shape, type_, weighted):
    rng = np.random.default_rng(len(item_shape) * 10 + item_shape[0])
    seeds = rng.standard_normal((4, 6)).astype(np.float32)
    rows = 5
    inputs = [spec(seeds.shape, data=seeds), spec((rows,) + item_shape, type_)]
    if weighted:
        inputs.append(spec([rows]))
    out = [4] if kind == "SPARSE" else [24]
    model = single_op_model(
        "LSH_PROJECTION", inputs, [spec(out, "INT32")], {"type": kind}, "LSHProjectionOptions"
    )
    if type_ == "FLOAT32":
        x = rng.standard_normal((rows,) + item_shape).astype(np.float32)
    else:
        x = rng.integers(-100, 100, (rows,) + item_shape).astype(np.dtype(type_.lower()))
    xs = [x] + ([rng.standard_normal(rows).astype(np.float32)] if weighted else [])
    assert_same(run_tflc(model, xs), run_litert(model, xs))
