"""`tfl.if` on the cpu target: small branches by if-conversion (both compiled, a select keeps the
taken one's results), branches with integer division as native branches
(backends/cpu/control_flow.py); checked against LiteRT running the same model's subgraphs."""

from __future__ import annotations

import numpy as np
import pytest
from corpus import litert_run
from tflc.api import parse, to_flatbuffer
from tflc.compiler import compile as tflc_compile

pytest.importorskip("ai_edge_litert")

RTOL = 1e-6  # tanh of the same float32 values in two math libraries: an ulp or two apart

IF_MODEL = """
module {
  func.func @main(%p: tensor<i1>, %x: tensor<2x3xf32>, %n: tensor<3xi32>)
      -> (tensor<2x3xf32>, tensor<3xi32>) {
    %0:2 = "tfl.if"(%p, %x, %n) {then_subgraph_index = @then, else_subgraph_index = @else}
      : (tensor<i1>, tensor<2x3xf32>, tensor<3xi32>) -> (tensor<2x3xf32>, tensor<3xi32>)
    return %0#0, %0#1 : tensor<2x3xf32>, tensor<3xi32>
  }
  func.func private @then(%x: tensor<2x3xf32>, %n: tensor<3xi32>)
      -> (tensor<2x3xf32>, tensor<3xi32>) {
    %0 = "tfl.tanh"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
    return %0, %n : tensor<2x3xf32>, tensor<3xi32>
  }
  func.func private @else(%x: tensor<2x3xf32>, %n: tensor<3xi32>)
      -> (tensor<2x3xf32>, tensor<3xi32>) {
    %c = "tfl.pseudo_const"() {value = dense<-3> : tensor<i32>} : () -> tensor<i32>
    %0 = "tfl.neg"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
    %1 = "tfl.ELSE_OP"(%n, %c) ELSE_ATTRS : (tensor<3xi32>, tensor<i32>) -> tensor<3xi32>
    return %0, %1 : tensor<2x3xf32>, tensor<3xi32>
  }
}
"""


def if_model(else_op: str, attrs: str = "") -> str:
    return IF_MODEL.replace("ELSE_OP", else_op).replace("ELSE_ATTRS", attrs)


def test_if_matches_litert_on_both_branches():
    module = parse(if_model("mul", '{fused_activation_function = "NONE"}'))
    flatbuffer = to_flatbuffer(module)
    compiled = tflc_compile(module, target="cpu")
    assert not compiled.report.get("fallback_ops")
    rng = np.random.default_rng(1)
    for p in (True, False):
        xs = [np.array(p), rng.uniform(-2, 2, (2, 3)).astype(np.float32)]
        xs.append(rng.integers(-50, 50, 3).astype(np.int32))
        ours, ref = compiled(*xs), litert_run(flatbuffer, xs)
        np.testing.assert_array_equal(ours[1], ref[1])
        scale = float(np.abs(ref[0]).max())
        assert float(np.abs(ours[0] - ref[0]).max()) <= RTOL * scale


def test_if_with_integer_division_in_a_branch_runs_the_taken_branch_only():
    # If-conversion would run both branches, and the untaken floor_div by a zero input would
    # trap the process: such an if compiles to native branches (scf.if) instead.
    by_input = '"tfl.ELSE_OP"(%n, %n) ELSE_ATTRS : (tensor<3xi32>, tensor<3xi32>)'
    text = IF_MODEL.replace(
        '"tfl.ELSE_OP"(%n, %c) ELSE_ATTRS : (tensor<3xi32>, tensor<i32>)', by_input
    )
    module = parse(text.replace("ELSE_OP", "floor_div").replace("ELSE_ATTRS", ""))
    flatbuffer = to_flatbuffer(module)
    compiled = tflc_compile(module, target="cpu")
    assert not compiled.report.get("fallback_ops")
    rng = np.random.default_rng(2)
    for p, n in ((True, [0, 5, -7]), (False, [3, -9, 11])):
        xs = [np.array(p), rng.uniform(-2, 2, (2, 3)).astype(np.float32), np.array(n, np.int32)]
        ours, ref = compiled(*xs), litert_run(flatbuffer, xs)
        np.testing.assert_array_equal(ours[1], ref[1])
        scale = float(np.abs(ref[0]).max())
        assert float(np.abs(ours[0] - ref[0]).max()) <= RTOL * scale
