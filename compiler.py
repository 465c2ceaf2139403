"""`tflc.compile`: one entry point for every target."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tflc.backends.target import CompiledModel, get_target


def compile(model, target: str = "cpu", optimize: bool = True, **options: Any) -> CompiledModel:  # noqa: A001 - the product's verb
    """Compiles `model` (a .tflite path or bytes, or a tfl module) for `target`.

    A .tflite is read with its concrete shapes (unknown batch dims as 1, TFLite's default), since
    every backend plans memory for static shapes. `optimize` runs the tfl optimization pipeline
    first (on a copy when given a module).
    """
    from tflc.api import load

    start = time.perf_counter()
    if isinstance(model, str | Path):
        options.setdefault("source", str(model))
    if isinstance(model, str | Path | bytes):
        module = load(model, static_shapes=True)
    else:
        module = model.operation.clone().opview if optimize else model
    if optimize:
        from tflc.passes.registry import run_pipeline

        run_pipeline(module, "tfl-optimize", source=str(options.get("source", "<module>")))
    compiled = get_target(target).emit(module, options)
    compiled.report.setdefault("compile_seconds", round(time.perf_counter() - start, 3))
    return compiled
