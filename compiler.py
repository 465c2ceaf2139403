"""`tflc.compile`: one entry point for every target."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tflc.backends.target import CompiledModel, get_target


def compile(model, target: str = "cpu", optimize: bool = True, **options: Any) -> CompiledModel:  # noqa: A001 - the product's verb
    """Compiles `model` (a .tflite path or bytes, or a tfl module) for `target`.

    A .tflite is read with its concrete shapes (unknown batch dims as 1, TFLite's default), since
    every backend plans memory for static shapes; so is a module with unknown dims. `optimize`
    runs the tfl optimization pipeline first (on a copy when given a module). `dump_ir=DIR`
    writes the module after each stage (`01-import.mlir`, then one file per pass and per backend
    lowering, in the order they ran).
    """
    from tflc.passes import ir_dump

    dump_dir = options.pop("dump_ir", None)
    if dump_dir is None:
        return _compile(model, target, optimize, options)
    with ir_dump.dumping_to(dump_dir):
        return _compile(model, target, optimize, options)


def _compile(model, target: str, optimize: bool, options: dict[str, Any]) -> CompiledModel:
    from tflc.api import load
    from tflc.passes import ir_dump

    start = time.perf_counter()
    compile_target = get_target(target)  # an unknown target fails before any work
    if isinstance(model, str | Path):
        options.setdefault("source", str(model))
    if isinstance(model, str | Path | bytes):
        module = load(model, static_shapes=True)
    elif _has_unknown_dims(model):
        # A converted module keeps unknown dims (`?`, -1 in shape_signature); compile at the
        # .tflite's concrete shape, as for a file.
        from tflc.api import to_flatbuffer

        module = load(to_flatbuffer(model), static_shapes=True)
    else:
        module = model.operation.clone().opview if optimize else model
    ir_dump.write_stage("import", module)
    if optimize:
        from tflc.passes.registry import run_pipeline

        run_pipeline(module, "tfl-optimize", source=str(options.get("source", "<module>")))
    if compile_target.name != "tflite":
        from tflc.backends.interpreter_only import refuse_interpreter_only_ops

        refuse_interpreter_only_ops(module, compile_target.name)
    compiled = compile_target.emit(module, options)
    compiled.report.setdefault("compile_seconds", round(time.perf_counter() - start, 3))
    return compiled


def _has_unknown_dims(module) -> bool:
    from mlir import ir

    def unknown(t: ir.Type) -> bool:
        if not isinstance(t, ir.ShapedType):
            return False
        shaped = ir.ShapedType(t)
        return not shaped.has_rank or any(shaped.is_dynamic_dim(i) for i in range(shaped.rank))

    def walk(op) -> bool:
        for region in op.regions:
            for block in region.blocks:
                if any(unknown(a.type) for a in block.arguments):
                    return True
                for inner in block.operations:
                    if any(unknown(r.type) for r in inner.results) or walk(inner.operation):
                        return True
        return False

    with module.context:
        return walk(module.operation)
