"""Measures how far the gpu target's float outputs are from LiteRT's, op by op, on this machine's
Vulkan adapter (lavapipe here): the figures behind the gpu tests' tolerance classes
(tests/test_gpu_support.py, FLOAT_CLASS_RTOL).

    python benchmarks/gpu_op_errors.py [--ops ADD MUL ...] [--models | --every-mediapipe]

(--ops draws test_gpu_ops' inputs in another order, from its one generator: the figures quoted
in test_gpu_support are those of the full run.)

Runs every float single-op kernel case the gpu tests run (tests/test_gpu_kernel_cases.py, the
cases TensorFlow checks left out: TensorFlow cannot share a process with the GPU stack) and the
gpu op cases (tests/test_gpu_ops.py) on the tests' seeded inputs; prints, per op, the max error
relative to the largest |LiteRT| output and in float32 ulps, then the max per tolerance class
(runtime/op_traits.py: float32_class). Exits 1 when an op's figure exceeds its tolerance
(test_gpu_support.op_rtol), or with --models a model's exceeds its MODEL_RTOL or
SMALL_MODEL_RTOL.
"""

from __future__ import annotations

import argparse
import sys
import zlib
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    finite = np.isfinite(expected)
    a, e = actual[finite].astype(np.float64), expected[finite].astype(np.float64)
    scale = max(float(np.abs(e).max(initial=0.0)), 1e-30)
    return float(np.abs(a - e).max(initial=0.0)) / scale


def ulps(actual: np.ndarray, expected: np.ndarray) -> int:
    """Max distance in float32 steps (the sign-magnitude bits mapped onto a line)."""
    finite = np.isfinite(expected) & np.isfinite(actual)

    def line(x):
        bits = x.astype(np.float32).view(np.int32).astype(np.int64)
        return np.where(bits < 0, -(bits & 0x7FFFFFFF), bits)

    return int(np.abs(line(actual[finite]) - line(expected[finite])).max(initial=0))


def kernel_case_errors(ops: set[str] | None):
    """(op, case id, relative error, ulps) of each float kernel case, on the tests' inputs."""
    from compiled_kernel_cases import case_ids
    from kernel_case import expected_outputs, model_of, random_value
    from test_gpu_kernel_cases import CASES, DECLINED
    from test_interpreter_ops import is_graph_input
    from tflc.compiler import compile as tflc_compile

    for case, case_id in zip(CASES, case_ids(CASES), strict=True):
        floats = [s["type"] == "FLOAT32" and s["scale"] is None for s in case.outputs]
        if case_id in DECLINED or case.tf_reference or not any(floats):
            continue
        if ops and case.op not in ops:
            continue
        compiled = tflc_compile(model_of(case), target="gpu", optimize=False)
        rng = np.random.default_rng(zlib.crc32(case.id.encode()))
        graph_inputs = [(i, s) for i, s in enumerate(case.inputs) if is_graph_input(s)]
        for _ in range(2 if graph_inputs else 1):
            xs = [random_value(rng, s, case.ranges.get(i)) for i, s in graph_inputs]
            for a, e in zip(compiled(*xs), expected_outputs(case, xs), strict=True):
                if e.dtype == np.float32:
                    yield case.op, case_id, relative_error(a, e), ulps(a, e)


def gpu_op_case_errors(ops: set[str] | None):
    """The same for tests/test_gpu_ops.py's cases (conv, pooling, softmax, ... on its inputs)."""
    import test_gpu_ops
    from test_gpu_support import litert_outputs
    from tflc.compiler import compile as tflc_compile

    for name in sorted(test_gpu_ops.CASES):
        op, operands, out_shape, options = test_gpu_ops.CASES[name]
        if ops and op.upper() not in ops:
            continue
        model = test_gpu_ops.one_op(op, operands, out_shape, **options)
        inputs = [test_gpu_ops.rand(*o) for o in operands if isinstance(o, tuple)]
        (got,) = tflc_compile(model, target="gpu")(*inputs)
        (want,) = litert_outputs(model, inputs)
        yield op.upper(), name, relative_error(got, want), ulps(got, want)


SMALL = ["mlp", "cnn", "upsample", "transformer", "activations", "tensor_ops"]
MODELS = [("cnn", "float32"), ("cnn", "float16"), ("mlp", "float32")]
MODELS += [(name, "dynamic") for name in SMALL]  # against their float twins
MEDIAPIPE = ["hand_recrop", "face_detection_short_range"]


def model_errors(every_mediapipe: bool):
    """(model, relative error) of the corpus models the gpu tests run (tests/test_gpu_models.py,
    test_gpu_int8.py's dynamic-range twins), against LiteRT on the float model."""
    import corpus
    from test_gpu_int8 import float_twin
    from tflc.compiler import compile as tflc_compile

    paths = [(f"{n}-{m}", corpus.tf_model_path(n, m)) for n, m in MODELS]
    paths += [
        (p.stem, p)
        for p in corpus.mediapipe_models()
        if every_mediapipe or p.stem in MEDIAPIPE
        if p.stem != "face_landmark_with_attention"  # custom ops LiteRT lacks: no oracle
    ]
    for name, path in paths:
        reference = float_twin(path) if name.endswith("dynamic") else path
        compiled = tflc_compile(str(path), target="gpu", fallback="cpu")
        for seed in range(2):
            inputs = corpus.sample_inputs(path, seed=seed)
            expected = corpus.litert_run(reference, inputs)
            got = compiled(*inputs)
            yield name, max(relative_error(a, e) for a, e in zip(got, expected, strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", nargs="*", help="builtin op names (default: all)")
    parser.add_argument("--models", action="store_true", help="also the corpus models")
    parser.add_argument("--every-mediapipe", action="store_true", help="all 13 (slow)")
    args = parser.parse_args()
    from test_gpu_support import (
        FLOAT_CLASS_RTOL,
        MODEL_RTOL,
        SMALL_MODEL_RTOL,
        op_rtol,
        vulkan_skip_reason,
    )
    from tflc.runtime.op_traits import float32_class

    if (reason := vulkan_skip_reason()) is not None:
        print(f"error: {reason}", file=sys.stderr)
        return 1
    ops = set(args.ops) if args.ops else None
    worst: dict[str, tuple[float, int, str]] = defaultdict(lambda: (0.0, 0, ""))
    per_class: dict[str, tuple[float, int, str]] = defaultdict(lambda: (0.0, 0, ""))
    for source in (kernel_case_errors(ops), gpu_op_case_errors(ops)):
        for op, case_id, rel, ulp in source:
            w = worst[op]
            worst[op] = (max(w[0], rel), max(w[1], ulp), case_id if rel > w[0] else w[2])
            c = per_class[float32_class(op)]
            per_class[float32_class(op)] = (
                max(c[0], rel),
                max(c[1], ulp),
                op if rel > c[0] else c[2],
            )
    print(f"{'op':28s} {'class':14s} {'rel error':>10s} {'tolerance':>10s} {'ulps':>10s}  worst")
    missed = False
    for op in sorted(worst):
        rel, ulp, case_id = worst[op]
        missed |= rel > op_rtol(op)  # the op's own: its class's, or the spec's looser bound
        print(
            f"{op:28s} {float32_class(op):14s} {rel:10.3g} {op_rtol(op):10.3g} {ulp:10d}  {case_id}"
        )
    print(f"\n{'class':14s} {'rel error':>10s} {'tolerance':>10s} {'ulps':>10s}  worst op")
    for name in sorted(per_class):
        rel, ulp, op = per_class[name]
        print(f"{name:14s} {rel:10.3g} {FLOAT_CLASS_RTOL[name]:10.3g} {ulp:10d}  {op}")
    if args.models or args.every_mediapipe:
        print(f"\n{'model':34s} {'rel error':>10s} {'tolerance':>10s}")
        worst_model: dict[str, float] = defaultdict(float)
        for name, rel in model_errors(args.every_mediapipe):
            worst_model[name] = max(worst_model[name], rel)
        for name, rel in worst_model.items():
            rtol = SMALL_MODEL_RTOL if name.split("-")[0] in SMALL else MODEL_RTOL
            missed |= rel > rtol
            print(f"{name:34s} {rel:10.3g} {rtol:10.3g}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
