"""Dynamic-range (hybrid) models on the cpu target: int8 weights, float activations quantized
at run time. The oracle is LiteRT's builtin kernel set, whose hybrid kernels the cpu target
reproduces step for step; LiteRT's default XNNPACK delegate quantizes activations its own way
(on MobileNetV2 its logits differ from the builtin kernels' by about 16 %)."""

from __future__ import annotations

import numpy as np
import pytest
from corpus import litert_run, sample_inputs, tf_model_path
from test_cpu import assert_close
from tflc.compiler import compile as tflc_compile


@pytest.mark.parametrize(
    "name", ["mlp", "cnn", "upsample", "activations", "tensor_ops", "transformer"]
)
def test_dynamic_range_models_match_litert_builtin_kernels(name: str) -> None:
    path = tf_model_path(name, "dynamic")
    cm = tflc_compile(str(path), target="cpu")
    inputs = sample_inputs(path, seed=0)
    # sums in another order than the builtin kernels' (measured <= 1.5e-7 on these models)
    assert_close(cm(*inputs), litert_run(path, inputs, kernels="builtin"), rtol=1e-5)


@pytest.mark.slow
def test_dynamic_range_mobilenet_v2_is_bit_exact_with_litert_builtin_kernels() -> None:
    # 35 hybrid convs in a row: any float difference upstream of a run-time quantization
    # moves its scale or a rounding step, so only identical arithmetic gives equal bits.
    path = tf_model_path("mobilenet_v2", "dynamic")
    cm = tflc_compile(str(path), target="cpu", num_threads=2)
    assert "dynamic_range_inexact_layers" not in cm.report
    for seed in range(2):
        inputs = sample_inputs(path, seed=seed)
        ref = litert_run(path, inputs, kernels="builtin")
        for threads in (1, 2):
            cm.num_threads = threads
            got = cm(*inputs)
            assert np.array_equal(got[0], ref[0]), (seed, threads)


def test_float_order_option_is_checked() -> None:
    from tflc.errors import TflcError

    with pytest.raises(TflcError, match="float_order"):
        tflc_compile(str(tf_model_path("mlp", "dynamic")), target="cpu", float_order="fast")
