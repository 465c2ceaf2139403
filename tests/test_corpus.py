"""The corpus is what it claims: every model builds, converts in every mode and runs in LiteRT."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from corpus import (
    LITERT_KERNELS,
    MEDIAPIPE_MODEL_COUNT,
    SLOW_TF_MODELS,
    SMALL_TF_MODELS,
    cache_dir,
    convert_tf_model,
    custom_op_names,
    input_details,
    litert_can_run,
    litert_interpreter,
    litert_run,
    op_names,
    sample_inputs,
    tensor_types,
    tf_model_cases,
    tf_model_path,
    tf_reference,
)

# The builtins the small models exist to cover (float32 conversions).
EXPECTED_SMALL_MODEL_OPS = {
    "ADD", "AVERAGE_POOL_2D", "BATCH_MATMUL", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D",
    "ELU", "FULLY_CONNECTED", "GATHER", "GELU", "HARD_SWISH", "LEAKY_RELU", "LOGISTIC",
    "MAXIMUM", "MAX_POOL_2D", "MEAN", "MINIMUM", "MUL", "PAD", "PRELU", "REDUCE_MAX", "RELU6",
    "RESHAPE", "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR", "RSQRT", "SOFTMAX", "SPLIT",
    "SQUARED_DIFFERENCE", "STRIDED_SLICE", "SUB", "SUM", "TANH", "TILE", "TRANSPOSE",
    "TRANSPOSE_CONV",
}  # fmt: skip


def test_cache_dir_follows_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TFLC_CACHE", str(tmp_path / "cache"))
    assert cache_dir() == tmp_path / "cache"
    assert cache_dir().is_dir()


@pytest.mark.parametrize(("name", "mode"), tf_model_cases())
def test_tf_model_runs_in_litert(name: str, mode: str) -> None:
    path = tf_model_path(name, mode)
    outputs = litert_run(path, sample_inputs(path, seed=0))
    assert outputs
    for output in outputs:
        assert output.size > 0
        assert np.isfinite(output.astype(np.float32)).all()


@pytest.mark.parametrize(("name", "mode"), tf_model_cases(modes=["int8"]))
def test_int8_models_have_int8_inputs_and_outputs(name: str, mode: str) -> None:
    interpreter = litert_interpreter(tf_model_path(name, mode))
    details = interpreter.get_input_details() + interpreter.get_output_details()
    assert all(d["dtype"] == np.int8 for d in details)
    assert all(d["quantization"][0] > 0 for d in details)


@pytest.mark.parametrize(("name", "mode"), tf_model_cases(modes=["dynamic", "float16"]))
def test_weight_only_modes_quantize_weights_but_keep_float_io(name: str, mode: str) -> None:
    path = tf_model_path(name, mode)
    assert {"dynamic": "INT8", "float16": "FLOAT16"}[mode] in tensor_types(path)
    assert all(d["dtype"] == np.float32 for d in input_details(path))


@pytest.mark.parametrize(("name", "mode"), tf_model_cases(modes=["float32"]))
def test_float32_conversion_matches_tensorflow(name: str, mode: str) -> None:
    path = tf_model_path(name, mode)
    inputs = sample_inputs(path, seed=1)
    for actual, expected in zip(litert_run(path, inputs), tf_reference(name, inputs), strict=True):
        # TensorFlow's kernels vs LiteRT's XNNPACK: sums in another order; measured <= 4.4e-6
        # of max |expected| on the small models, mobilenet_v2 (slow) deeper
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)


def test_small_models_cover_the_common_builtins() -> None:
    covered = {op for name in SMALL_TF_MODELS for op in op_names(tf_model_path(name, "float32"))}
    assert EXPECTED_SMALL_MODEL_OPS <= covered


@pytest.mark.parametrize(
    ("name", "mode"),
    tf_model_cases(models=SMALL_TF_MODELS) + tf_model_cases(["int8"], SLOW_TF_MODELS),
)
def test_conversion_is_deterministic(name: str, mode: str) -> None:
    # The cached file may come from another process that built the models in another order.
    assert convert_tf_model(name, mode) == tf_model_path(name, mode).read_bytes()


def test_sample_inputs_are_deterministic_and_match_the_model() -> None:
    path = tf_model_path("tensor_ops", "int8")
    first, again, other = (sample_inputs(path, seed) for seed in (3, 3, 4))
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0], other[0])
    for value, detail in zip(first, input_details(path), strict=True):
        assert value.dtype == detail["dtype"] == np.int8
        assert list(value.shape) == detail["shape"]
    assert first[0].min() < -100 and first[0].max() > 100  # the whole int8 range


def test_input_details_read_from_the_flatbuffer_agree_with_litert() -> None:
    path = tf_model_path("tensor_ops", "int8")
    from_litert = litert_interpreter(path).get_input_details()
    for ours, theirs in zip(input_details(path), from_litert, strict=True):
        assert ours["name"] == theirs["name"]
        assert ours["shape"] == list(theirs["shape"])
        assert ours["dtype"] == theirs["dtype"]
        assert ours["quantization"] == pytest.approx(theirs["quantization"])
    assert all(
        np.array_equal(a, b)
        for a, b in zip(sample_inputs(path, 5), sample_inputs(from_litert, 5), strict=True)
    )


@pytest.mark.parametrize("kernels", sorted(LITERT_KERNELS))
def test_litert_kernel_sets_all_run_int8(kernels: str) -> None:
    path = tf_model_path("cnn", "int8")
    (output,) = litert_run(path, sample_inputs(path, seed=0), kernels=kernels)
    assert output.dtype == np.int8 and output.shape == (1, 10)


def test_mediapipe_corpus_has_its_fourteen_models(mediapipe_model_paths: list[Path]) -> None:
    assert len(mediapipe_model_paths) == MEDIAPIPE_MODEL_COUNT == 14
    assert len({p.name for p in mediapipe_model_paths}) == 14
    assert all(p.stat().st_size > 100_000 for p in mediapipe_model_paths)


def test_litert_runs_mediapipe_models_without_unknown_custom_ops(
    mediapipe_model_paths: list[Path],
) -> None:
    for path in mediapipe_model_paths:
        if litert_can_run(path):
            outputs = litert_run(path, sample_inputs(path, seed=0))
            assert all(np.isfinite(o).all() for o in outputs), path.name
        else:
            assert custom_op_names(path), f"{path.name} has no custom op, yet LiteRT fails"
