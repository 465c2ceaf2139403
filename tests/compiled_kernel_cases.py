"""The interpreter's single-op kernel cases run through a compiled target: which cases a target
takes (its own list of supported ops), their test ids, and one check of a case against its oracle
(tests/test_cpu_ops_vs_litert.py, tests/test_mcu_ops_vs_litert.py).

Integer and bool outputs must equal the oracle's; float (and complex, part by part) outputs
within test_interpreter_ops.float_rtol of the largest magnitude: 0 for ops float32 gives
exactly, else 1e-5 (the targets' math libraries and fused multiply-adds round differently from
LiteRT's by a few ulp). A case the target declines must raise a one-line TflcError saying why.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable

import numpy as np
import pytest
from kernel_case import KernelCase, expected_outputs, random_value
from kernel_cases import ALL_CASES
from test_interpreter_ops import FLOAT_CASES, assert_close, float_rtol, is_graph_input
from tflc.errors import TflcError


def cases_for(
    supports: Callable[[str], bool], extra: Iterable[KernelCase] = ()
) -> list[KernelCase]:
    """The shared cases (and `extra`) whose op the target `supports` (by opcode name)."""
    cases = [*ALL_CASES, *extra]
    cases += [
        KernelCase(op, ins, outs, opts, table, v) for op, ins, outs, opts, table, v in FLOAT_CASES
    ]
    return [c for c in cases if supports(c.op) and not c.known_mismatch]


def case_ids(cases: list[KernelCase]) -> list[str]:
    """Each case's id, numbered where several cases share one."""
    seen: dict[str, int] = {}
    ids = []
    for c in cases:
        seen[c.id] = seen.get(c.id, -1) + 1
        ids.append(c.id + (f"-{seen[c.id]}" if seen[c.id] else ""))
    return ids


def _parts(x: np.ndarray) -> np.ndarray:
    """A float array as is; a complex one as its (real, imaginary) float pairs."""
    return np.ascontiguousarray(x).view(x.real.dtype) if x.dtype.kind == "c" else x


def check_compiled_case(
    case: KernelCase,
    case_id: str,
    declined: dict[str, str],
    compile_case: Callable[[KernelCase], object],
    run: Callable[[object, list[np.ndarray]], list[np.ndarray]] = lambda c, xs: c(*xs),
    oracle: Callable[[KernelCase, list[np.ndarray]], list[np.ndarray]] = expected_outputs,
    rtol: float | None = None,
    int8_steps: int = 0,
) -> None:
    """Compiles `case`, runs it on seeded random inputs and compares with `oracle`; a case in
    `declined` must instead be refused with an error matching its entry. `rtol` (default:
    test_interpreter_ops.float_rtol of the op) and `int8_steps` (quantized int8 outputs, in
    steps) are the target's contract where it differs (the gpu target's: float32 shaders, int8
    computed in float)."""
    if case_id in declined:
        with pytest.raises(TflcError, match=declined[case_id]) as e:
            compile_case(case)
        assert "\n" not in str(e.value)
        return
    compiled = compile_case(case)
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    graph_inputs = [(i, s) for i, s in enumerate(case.inputs) if is_graph_input(s)]
    for _ in range(2 if graph_inputs else 1):
        xs = [random_value(rng, s, case.ranges.get(i)) for i, s in graph_inputs]
        expected = oracle(case, xs)
        actual = run(compiled, xs)
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert a.shape == e.shape and a.dtype == e.dtype, (a.shape, e.shape, a.dtype, e.dtype)
            if e.dtype.kind in "fc":  # complex: its real and imaginary parts as floats
                assert_close(_parts(a), _parts(e), float_rtol(case.op) if rtol is None else rtol)
            elif int8_steps and e.dtype == np.int8 and case.covers()[1] == "INT8":
                steps = int(np.abs(a.astype(np.int32) - e.astype(np.int32)).max(initial=0))
                assert steps <= int8_steps, f"{steps} int8 steps from the oracle"
            else:
                np.testing.assert_array_equal(a, e)
