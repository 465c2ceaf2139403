"""GPU backend on the corpus: TensorFlow-built models and mediapipe's float models vs LiteRT.

Also the artifacts (`tflc compile --target gpu -o out/`, loaded by the runtime alone) and the CPU
fallback. Compile-only checks are in test_gpu_compile.py.
"""

from __future__ import annotations

import json

import corpus
import numpy as np
import pytest
from test_gpu_support import (
    HOST_OP,
    MODEL_RTOL,
    SMALL_MODEL_RTOL,
    assert_close,
    host_op_model,
    litert_outputs,
    require_vulkan,
)
from tflc.errors import TflcError

pytestmark = require_vulkan()

FAST_MEDIAPIPE = ["hand_recrop", "face_detection_short_range"]
# Custom ops LiteRT cannot run: compared op by op in test_mediapipe_custom_ops_fall_back_to_the_cpu.
NO_ORACLE = {"face_landmark_with_attention"}


def _compile(path, **options):
    from tflc.compiler import compile

    return compile(str(path), target="gpu", **options)


def _check_model(path, rtol=MODEL_RTOL, **options):
    cm = _compile(path, **options)
    inputs = corpus.sample_inputs(path, seed=0)
    assert_close(corpus.litert_run(path, inputs), cm(*inputs), rtol)
    return cm


@pytest.mark.parametrize("name,mode", [("cnn", "float32"), ("cnn", "float16"), ("mlp", "float32")])
def test_tf_model_matches_litert(name, mode):
    cm = _check_model(corpus.tf_model_path(name, mode), SMALL_MODEL_RTOL)
    assert cm.report["fallback_ops"] == []


def test_cpu_fallback_runs_unsupported_ops_on_the_host():
    from tflc.compiler import compile

    model = host_op_model()
    cm = compile(model, target="gpu", fallback="cpu")
    assert cm.report["fallback_ops"] == [HOST_OP] and cm.report["dispatch_count"] == 2
    x = np.random.default_rng(0).standard_normal((2, 6)).astype(np.float32)
    assert_close(litert_outputs(model, [x]), cm(x))


@pytest.mark.slow
def test_mediapipe_custom_ops_fall_back_to_the_cpu():
    """face_landmark_with_attention: LiteRT lacks its custom ops (the host steps run tflc's
    kernels for them); the reference runs the model op by op, the builtins in LiteRT, the
    custom ops as their float64 formulas (tests/op_by_op_oracle.py)."""
    import op_by_op_oracle

    path = _mediapipe("face_landmark_with_attention")
    cm = _compile(path, fallback="cpu")
    assert any(op.startswith("custom:Transform") for op in cm.report["fallback_ops"])
    inputs = corpus.sample_inputs(path, seed=0)
    assert_close(op_by_op_oracle.run(path, inputs), cm(*inputs))


def _mediapipe(name):
    for path in corpus.mediapipe_models():
        if path.stem == name:
            return path
    pytest.skip(f"mediapipe model {name} not in the corpus")


@pytest.mark.parametrize("name", FAST_MEDIAPIPE)
def test_mediapipe_model_matches_litert(name):
    _check_model(_mediapipe(name), fallback="cpu")


@pytest.mark.slow
def test_every_mediapipe_float_model_matches_litert(mediapipe_model_paths):
    checked = 0
    for path in mediapipe_model_paths:
        if path.stem in NO_ORACLE or path.stem in FAST_MEDIAPIPE:
            continue
        _check_model(path, fallback="cpu")
        checked += 1
    assert checked >= 10


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["float32", "float16"])
def test_mobilenet_v2_matches_litert(mode):
    cm = _check_model(corpus.tf_model_path("mobilenet_v2", mode))
    assert cm.report["dispatch_count"] <= 54  # 65 ops: bias, ReLU6 and residual adds fused


def test_cli_artifacts_run_with_the_runtime_alone(tmp_path):
    from tflc.runtime.gpu_runtime import GpuModel
    from tflc.tools.tflc_cli import main

    path = corpus.tf_model_path("mlp", "float32")
    out = tmp_path / "out"
    assert main(["compile", str(path), "--target", "gpu", "-o", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert [b["name"] for b in manifest["bindings"]] == ["arena", "weights"]
    for step in manifest["steps"]:
        assert (out / step["shader"]).read_text().startswith("@group(0)")
    model = GpuModel.load(out)
    inputs = corpus.sample_inputs(path, seed=1)
    assert_close(corpus.litert_run(path, inputs), model(*inputs), SMALL_MODEL_RTOL)


def test_wrong_input_shape_is_an_error():
    cm = _compile(corpus.tf_model_path("mlp", "float32"))
    with pytest.raises(TflcError, match=r"input 0 '.*': got shape \[3, 3\], expected"):
        cm(np.zeros((3, 3), np.float32))
