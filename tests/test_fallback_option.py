"""The one `fallback` option (backends/fallback_option.py): every target's error suggests the
spelling `tflc compile --help` documents, that spelling works, older values still do, and a
compile that falls back for every op says so."""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pytest
import tflc
from test_gpu_support import host_op_model
from tflc.api import to_flatbuffer
from tflc.compiler import compile as tflc_compile
from tflc.errors import TflcError
from tflc.tools.tflc_cli import main

ONLY_CUBE = textwrap.dedent("""
    func.func @main(%arg0: tensor<1x8xf32>) -> tensor<1x8xf32> {
      %0 = "tfl.custom"(%arg0) {custom_code = "Cube", custom_option = #tfl<const_bytes : "0x">}
        : (tensor<1x8xf32>) -> tensor<1x8xf32>
      return %0 : tensor<1x8xf32>
    }
""")


RELU_CUBE_ADD = textwrap.dedent("""
    func.func @main(%arg0: tensor<2x6xf32>) -> tensor<2x6xf32> {
      %0 = "tfl.relu"(%arg0) : (tensor<2x6xf32>) -> tensor<2x6xf32>
      %1 = "tfl.custom"(%0) {custom_code = "Cube", custom_option = #tfl<const_bytes : "0x">}
        : (tensor<2x6xf32>) -> tensor<2x6xf32>
      %2 = "tfl.pseudo_const"() {value = dense<1.0> : tensor<6xf32>} : () -> tensor<6xf32>
      %3 = "tfl.add"(%1, %2) {fused_activation_function = "NONE", pot_scale_int16 = true}
        : (tensor<2x6xf32>, tensor<6xf32>) -> tensor<2x6xf32>
      return %3 : tensor<2x6xf32>
    }
""")


def _model_with_an_op_lacking_a_kernel(target: str) -> bytes:
    """relu -> an op `target` has no kernel for -> add. The cpu target's model holds a custom
    op (run by the `cube_kernel` fixture's kernel), the gpu's an LSH_PROJECTION."""
    if target == "cpu":
        return to_flatbuffer(tflc.parse(RELU_CUBE_ADD, "cube.mlir"))
    return host_op_model()


@pytest.fixture
def cube_kernel():
    tflc.register_kernel("Cube", lambda node, x: x * x * x)
    yield
    from tflc.runtime.kernels import unregister_kernel

    unregister_kernel("Cube")


def _only_host_op() -> bytes:
    return host_op_model(only=True)


def _suggested_flags(message: str) -> list[str]:
    (flag,) = re.findall(r"--fallback \w+", message)
    return flag.split()


@pytest.mark.parametrize("target", ["cpu", "gpu"])
def test_the_error_suggests_the_documented_flag_and_that_flag_compiles(
    target, tmp_path, capsys, cube_kernel
):
    path = tmp_path / "model.tflite"
    path.write_bytes(_model_with_an_op_lacking_a_kernel(target))
    with pytest.raises(TflcError) as e:
        tflc_compile(str(path), target=target)
    flags = _suggested_flags(str(e.value))
    with pytest.raises(SystemExit):  # --help prints and exits
        main(["compile", "--help"])
    assert flags[0] in capsys.readouterr().out
    args = ["compile", str(path), "--target", target, "-o", str(tmp_path / target), *flags]
    assert main(args) == 0
    assert "fallback_warning" not in capsys.readouterr().out  # relu and add still compile


def test_older_gpu_spelling_still_accepted_and_bad_values_are_one_line_errors():
    assert tflc_compile(host_op_model(), target="gpu", fallback="cpu").report["fallback_ops"]
    with pytest.raises(TflcError, match="fallback must be one of none, runtime, cpu, got 'gpu'"):
        tflc_compile(host_op_model(), target="gpu", fallback="gpu")


def test_gpu_compile_that_dispatches_nothing_warns():
    with pytest.warns(UserWarning, match="compiled nothing"):
        cm = tflc_compile(_only_host_op(), target="gpu", fallback="runtime")
    assert cm.report["dispatch_count"] == 0 and "fallback_warning" in cm.report


def test_cpu_compile_with_no_native_step_warns_and_still_runs(cube_kernel):
    with pytest.warns(UserWarning, match="compiled nothing"):
        cm = tflc_compile(tflc.parse(ONLY_CUBE, "cube.mlir"), target="cpu", fallback="runtime")
    assert cm.report["native_steps"] == 0 and "fallback_warning" in cm.report
    x = np.linspace(-2, 2, 8, dtype=np.float32).reshape(1, 8)
    np.testing.assert_array_equal(cm(x)[0], x * x * x)  # the kernel's products (x**3 is powf)


def test_mcu_refuses_a_fallback_and_says_why():
    with pytest.raises(TflcError, match="mcu target has no fallback"):
        tflc_compile(host_op_model(), target="mcu", fallback="runtime")
