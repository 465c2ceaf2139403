"""One interpreter kernel run against an oracle on a one-operator model.

A `KernelCase` names the op, its operands (`spec` dicts from test_interpreter_ops: those with
`data` are constants, the others graph inputs filled with seeded random values) and its options.
The oracle is LiteRT's builtin kernels running the same model; where LiteRT has no kernel for
the op, `reference` names the builtin it means (a StableHLO alias) and LiteRT runs that op on
the same operands, or `tf_reference` computes the outputs in TensorFlow.

Integer, bool and quantized outputs must be equal. Float outputs must be equal where float32
gives them exactly (runtime/op_traits.float32_class "exact" and "rounded": moves, comparisons,
clamps, one correctly rounded add/sub/mul), else may differ by test_interpreter_ops.FLOAT_RTOL
of the largest magnitude: both sides evaluate the same float32 formula, but transcendental
functions come from different math libraries (numpy vs LiteRT's libm / Eigen), a few ulp
apart, and sums may run in another order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
from corpus import litert_run
from test_interpreter_ops import (
    INT_RANGES,
    assert_close,
    float_rtol,
    is_graph_input,
    single_op_model,
)
from tflc.runtime.interpreter import Interpreter
from tflc.runtime.tflite_model import TENSOR_DTYPES

TRIALS = 2


@dataclass
class KernelCase:
    op: str
    inputs: list[dict | None]
    outputs: list[dict]
    options: dict | None = None
    table: str | None = None
    version: int = 1
    reference: str | None = None  # the builtin LiteRT runs in place of `op`
    tf_reference: Callable[..., list] | None = None  # TensorFlow, given every operand in order
    name: str = ""
    ranges: dict[int, tuple[float, float]] = field(default_factory=dict)  # input index -> range
    known_mismatch: str | None = None  # a disagreement with the oracle not fixed yet: why

    @property
    def id(self) -> str:
        quantized = any(s is not None and s["scale"] is not None for s in self.inputs)
        types = "-".join(s["type"] for s in self.inputs if s is not None) or "none"
        return f"{self.op}-{'q' if quantized else ''}{types}{'-' + self.name if self.name else ''}"

    def covers(self) -> tuple[str, str]:
        """(op, kind) this case runs: kind "INT8" with a quantized int8 operand, else "plain"."""
        int8 = any(
            s is not None and s["type"] == "INT8" and s["scale"] is not None for s in self.inputs
        )
        return self.op, "INT8" if int8 else "plain"


def random_value(rng: np.random.Generator, s: dict, value_range=None) -> np.ndarray:
    """Seeded random operand of `s`'s type and shape; `value_range` bounds it (inclusive)."""
    shape, t = s["shape"], s["type"]
    if t == "BOOL":
        return rng.random(shape) < 0.5
    if t in ("FLOAT32", "FLOAT64"):
        lo, hi = value_range or (-2.0, 2.0)
        return rng.uniform(lo, hi, shape).astype(TENSOR_DTYPES[t])
    if t == "COMPLEX64":
        return (rng.uniform(-2, 2, shape) + 1j * rng.uniform(-2, 2, shape)).astype(np.complex64)
    lo, hi = value_range or INT_RANGES.get(t, (-50, 50))
    return rng.integers(lo, hi, shape, endpoint=True).astype(TENSOR_DTYPES[t])


def model_of(case: KernelCase, op: str | None = None) -> bytes:
    return single_op_model(
        op or case.op, case.inputs, case.outputs, case.options, case.table, case.version
    )


def expected_outputs(case: KernelCase, xs: list[np.ndarray]) -> list[np.ndarray]:
    if case.tf_reference is not None:
        pytest.importorskip("tensorflow")
        fed = iter(xs)
        operands = [
            next(fed) if is_graph_input(s) else None if s is None else np.asarray(s["data"])
            for s in case.inputs
        ]
        return [np.asarray(o) for o in case.tf_reference(*operands)]
    return litert_run(model_of(case, case.reference), xs, kernels="builtin")


def run_case(case: KernelCase, seed: int) -> None:
    rng = np.random.default_rng(seed)
    interpreter = Interpreter(model_content=model_of(case))
    graph_inputs = [(i, s) for i, s in enumerate(case.inputs) if is_graph_input(s)]
    for _ in range(TRIALS if graph_inputs else 1):
        xs = [random_value(rng, s, case.ranges.get(i)) for i, s in graph_inputs]
        expected = expected_outputs(case, xs)
        actual = interpreter(*xs)
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert a.shape == e.shape, (a.shape, e.shape)
            assert a.dtype == e.dtype, (a.dtype, e.dtype)
            if e.dtype.kind in "fc":
                for part in (np.real, np.imag) if e.dtype.kind == "c" else (np.asarray,):
                    assert_close(part(a), part(e), float_rtol(case.op))
            else:
                np.testing.assert_array_equal(a, e)
