"""Kernels whose result depends on state kept between invokes or on other subgraphs: resource
variables with CALL_ONCE, the one-step LSTM, and CALL. Each model is invoked several times in
one tflc interpreter and one LiteRT interpreter, fed the same inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from control_flow_models import call_models
from corpus import litert_interpreter, litert_run
from stablehlo_model_builder import GraphBuilder
from test_interpreter_ops import assert_close, single_op_model, spec
from tflc.runtime.interpreter import Interpreter

pytest.importorskip("ai_edge_litert")

RNG = np.random.default_rng(21)
# the kernels these tests run against LiteRT (counted by test_kernel_coverage)
STATEFUL_OPS = frozenset("VAR_HANDLE READ_VARIABLE ASSIGN_VARIABLE CALL_ONCE LSTM CALL".split())
ADD_OPTIONS = ("AddOptions", {"fused_activation_function": "NONE"})
FLOAT_RTOL = 1e-5  # LSTM's sigmoid and tanh: numpy's vs LiteRT's, a few ulp apart


def run_invokes(model: bytes, feeds: list[list[np.ndarray]]) -> tuple[list, list]:
    """Outputs of each invoke in tflc and in LiteRT (builtin kernels), state kept throughout."""
    ours = Interpreter(model_content=model)
    lite = litert_interpreter(model, "builtin")
    lite.allocate_tensors()
    actual, expected = [], []
    for xs in feeds:
        actual.append(ours(*xs))
        for detail, x in zip(lite.get_input_details(), xs, strict=True):
            lite.set_tensor(detail["index"], x)
        lite.invoke()
        expected.append([lite.get_tensor(d["index"]) for d in lite.get_output_details()])
    return actual, expected


def accumulator_model(initial: np.ndarray) -> bytes:
    """y = v + x; v = y, where CALL_ONCE's init subgraph sets v to `initial`."""
    model = GraphBuilder()
    main, init = model.subgraph(), model.subgraph()
    handle_options = ("VarHandleOptions", {"container": "", "shared_name": "acc"})

    h = init.tensor([], "RESOURCE")
    init.op("VAR_HANDLE", [], [h], options=handle_options)
    init.op("ASSIGN_VARIABLE", [h, init.const(initial, "FLOAT32")], [])

    x, y = main.tensor(initial.shape), main.tensor(initial.shape)
    h, v = main.tensor([], "RESOURCE"), main.tensor(initial.shape)
    main.op("CALL_ONCE", [], [], options=("CallOnceOptions", {"init_subgraph_index": 1}))
    main.op("VAR_HANDLE", [], [h], options=handle_options)
    main.op("READ_VARIABLE", [h], [v])
    main.op("ADD", [v, x], [y], options=ADD_OPTIONS)
    main.op("ASSIGN_VARIABLE", [h, y], [])
    main.io([x], [y])
    return model.write()


def test_variables_accumulate_across_invokes_like_litert():
    initial = RNG.standard_normal((2, 3)).astype(np.float32)
    feeds = [[RNG.standard_normal((2, 3)).astype(np.float32)] for _ in range(3)]
    actual, expected = run_invokes(accumulator_model(initial), feeds)
    for a, e in zip(actual, expected, strict=True):
        np.testing.assert_array_equal(a[0], e[0])  # the same float additions in the same order
    assert not np.array_equal(actual[0][0], actual[2][0])  # the state did carry over


def lstm_step_model(b=2, i=5, c=6) -> tuple[bytes, dict]:
    """The one-step LSTM builtin (not the sequence op): 24 inputs, state in variables."""

    def weights(shape):
        return spec(shape, data=RNG.standard_normal(shape) * 0.4)

    ins = [spec((b, i))]
    ins += [weights((c, i)) for _ in range(4)] + [weights((c, c)) for _ in range(4)]
    ins += [weights((c,)) for _ in range(3)]  # peephole
    ins += [weights((c,)) for _ in range(4)]  # gate biases
    ins += [None, None]  # no projection
    ins += [spec((b, c), variable=True), spec((b, c), variable=True)]
    ins += [None] * 4  # no layer norm
    opts = {"fused_activation_function": "TANH", "cell_clip": 3.0, "proj_clip": 0.0}
    return single_op_model("LSTM", ins, [spec((b, c))], opts, "LSTMOptions"), ins[0]


def test_one_step_lstm_carries_state_like_litert():
    model, x = lstm_step_model()
    feeds = [[RNG.uniform(-2, 2, x["shape"]).astype(np.float32)] for _ in range(3)]
    actual, expected = run_invokes(model, feeds)
    for a, e in zip(actual, expected, strict=True):
        assert_close(a[0], e[0], FLOAT_RTOL)


def test_call_runs_its_subgraph_like_litert_runs_that_subgraph():
    """LiteRT has no kernel for CALL: the oracle is LiteRT running the callee as the model."""
    model, callee_only = call_models()
    xs = [RNG.standard_normal((3, 4)).astype(np.float32) for _ in range(2)]
    (actual,) = Interpreter(model_content=model)(*xs)
    (expected,) = litert_run(callee_only, xs, kernels="builtin")
    np.testing.assert_array_equal(actual, expected)
