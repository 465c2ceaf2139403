"""The cpu target's runtime-kernel fallback: ops without a native kernel run in tflc's
interpreter between natively compiled steps, only when asked (`fallback="runtime"`)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
import tflc
from corpus import sample_inputs
from test_cpu import assert_close
from tflc.compiler import compile as tflc_compile
from tflc.errors import TflcError

# relu -> a user's custom op -> add: native, host, native.
CUSTOM_BETWEEN_NATIVE_OPS = textwrap.dedent("""
    func.func @main(%arg0: tensor<1x8xf32>) -> tensor<1x8xf32> {
      %0 = "tfl.relu"(%arg0) : (tensor<1x8xf32>) -> tensor<1x8xf32>
      %1 = "tfl.custom"(%0) {custom_code = "Cube", custom_option = #tfl<const_bytes : "0x">}
        : (tensor<1x8xf32>) -> tensor<1x8xf32>
      %2 = "tfl.add"(%1, %arg0) {fused_activation_function = "NONE", pot_scale_int16 = true}
        : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
      return %2 : tensor<1x8xf32>
    }
""")


@pytest.fixture
def cube_kernel():
    tflc.register_kernel("Cube", lambda node, x: x * x * x)
    yield
    from tflc.runtime.kernels import unregister_kernel

    unregister_kernel("Cube")


def _custom_model() -> object:
    return tflc.parse(CUSTOM_BETWEEN_NATIVE_OPS, "cube.mlir")


def test_without_fallback_the_error_names_the_op_and_the_option() -> None:
    with pytest.raises(TflcError, match="Cube.*--fallback runtime") as e:
        tflc_compile(_custom_model(), target="cpu")
    assert "cube.mlir:4" in str(e.value)


def test_user_kernel_runs_between_native_steps(cube_kernel, tmp_path: Path) -> None:
    cm = tflc_compile(_custom_model(), target="cpu", fallback="runtime")
    assert cm.report["native_steps"] == 2 and cm.report["host_steps"] == 1
    assert "Cube" in cm.report["fallback_ops"][0]
    x = np.linspace(-2, 2, 8, dtype=np.float32).reshape(1, 8)
    (y,) = cm(x)
    r = np.maximum(x, 0)  # relu, the kernel's products, one add: float32 gives them exactly
    np.testing.assert_array_equal(y, r * r * r + x)
    cm.save(tmp_path)
    loaded = tflc.load_compiled(tmp_path)
    assert np.array_equal(loaded(x)[0], y)
    with pytest.raises(TflcError, match=r"got shape \[2, 8\], expected \[1, 8\]"):
        loaded(np.zeros((2, 8), np.float32))
    assert set(loaded.profile(x, repeats=2)["per_host_step_ms"]) == {"model_step1"}


def test_unknown_fallback_value_is_an_error() -> None:
    with pytest.raises(TflcError, match="fallback must be"):
        tflc_compile(_custom_model(), target="cpu", fallback="gpu")


@pytest.mark.slow
def test_face_landmark_with_attention_runs_its_custom_ops_on_the_runtime(
    mediapipe_model_paths: list[Path],
) -> None:
    # Landmarks2TransformMatrix, TransformTensorBilinear and TransformLandmarks have no cpu
    # kernel; LiteRT cannot run them either: the reference runs the model op by op, the
    # builtins in LiteRT, the custom ops as their float64 formulas (tests/op_by_op_oracle.py).
    import op_by_op_oracle

    (path,) = [p for p in mediapipe_model_paths if p.stem == "face_landmark_with_attention"]
    cm = tflc_compile(str(path), target="cpu", fallback="runtime", num_threads=2)
    assert cm.report["host_steps"] == 11 and cm.report["native_steps"] >= 2
    inputs = sample_inputs(path, seed=0)
    assert_close(cm(*inputs), op_by_op_oracle.run(path, inputs))
