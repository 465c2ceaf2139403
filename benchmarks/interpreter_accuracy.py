"""Prints how far tflc's interpreter is from LiteRT on every float and dynamic-range model of
the corpus: max error relative to the largest output magnitude, against LiteRT's builtin
kernels, against its default (XNNPACK) kernels, and between those two.

    python benchmarks/interpreter_accuracy.py [--modes dynamic float32 float16 mediapipe]
        [--float-order auto|litert|blas]

The bounds are tests (tests/test_interpreter_models.py); this prints the figures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from corpus import (  # noqa: E402
    TF_MODELS,
    custom_op_names,
    litert_run,
    mediapipe_models,
    sample_inputs,
    tf_model_path,
)
from tflc.runtime.interpreter import Interpreter  # noqa: E402


def rel_error(actual: np.ndarray, expected: np.ndarray) -> float:
    scale = max(float(np.abs(expected).max(initial=0.0)), 1e-30)
    return float(np.abs(actual.astype(np.float64) - expected).max(initial=0.0)) / scale


def report(label: str, path: Path, seeds: tuple[int, ...], float_order: str) -> None:
    for seed in seeds:
        inputs = sample_inputs(path, seed=seed)
        builtin = litert_run(path, inputs, kernels="builtin")
        default = litert_run(path, inputs, kernels="default")
        ours = Interpreter(model_path=path, float_order=float_order)(*inputs)
        worst = lambda xs, ys: max(rel_error(x, y) for x, y in zip(xs, ys, strict=True))  # noqa: E731
        print(
            f"{label:34s} seed {seed}  vs builtin {worst(ours, builtin):.2e}  "
            f"vs default {worst(ours, default):.2e}  LiteRT builtin vs default "
            f"{worst(builtin, default):.2e}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--modes", nargs="+", default=["dynamic", "float32", "float16", "mediapipe"]
    )
    parser.add_argument("--float-order", default="auto", choices=["auto", "litert", "blas"])
    args = parser.parse_args()
    for mode in args.modes:
        if mode == "mediapipe":
            for path in mediapipe_models():
                if not custom_op_names(path):
                    report(f"mediapipe {path.stem}", path, (0,), args.float_order)
            continue
        for name in TF_MODELS:
            report(f"{name} {mode}", tf_model_path(name, mode), (0, 1), args.float_order)


if __name__ == "__main__":
    main()
