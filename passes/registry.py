"""The pass registry and pipeline runner shared by tfl-opt and the Python API.

A tflc pass is a module `passes/<name_with_underscores>.py` defining `PASS = Pass(...)`; its
name is `tfl-<name-with-dashes>` (or `tf-...` for tf passes). Pipelines mix them with upstream
MLIR passes by name: `tfl-canonicalize,cse,tfl-dce`. Upstream passes are never re-implemented.
The helpers passes share live in subpackages (`quantize/`, `rewrite/`, `tf_to_tfl/`,
`tosa/`), not scanned.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import sys
from collections.abc import Callable
from dataclasses import dataclass

from mlir import ir
from mlir.passmanager import PassManager
from tflc.dialects.tfl_verifier import verify
from tflc.errors import TflcError


@dataclass(frozen=True)
class Pass:
    name: str  # "tfl-fuse-activation"
    summary: str  # one line, shown by `tfl-opt --list-passes`
    run: Callable[[ir.Operation], None]  # rewrites the builtin.module op in place


@functools.cache
def get_all_passes() -> dict[str, Pass]:
    """Every tflc pass by name, found by importing the modules of this package."""
    import tflc.passes as package

    passes = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.ispkg or info.name.startswith("_") or info.name == "registry":
            continue
        module = importlib.import_module(f"tflc.passes.{info.name}")
        p = getattr(module, "PASS", None)
        if isinstance(p, Pass):
            passes[p.name] = p
    return dict(sorted(passes.items()))


def split_pipeline(pipeline: str) -> list[str]:
    """Top-level elements of a textual pipeline, `builtin.module(...)` unwrapped."""
    text = pipeline.strip()
    if text.startswith("builtin.module(") and text.endswith(")"):
        text = text[len("builtin.module(") : -1]
    elements, depth, current = [], 0, []
    for ch in text:
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        if ch == "," and depth == 0:
            elements.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    if "".join(current).strip():
        elements.append("".join(current).strip())
    return [e for e in elements if e]


class PipelineError(TflcError):
    """A pass failed; `pass_name` says which."""

    def __init__(self, what: str, where: str | None, pass_name: str):
        super().__init__(what, where)
        self.pass_name = pass_name


def run_pipeline(
    module, pipeline: str, print_ir_after_all: bool = False, source: str = "<module>"
) -> None:
    """Runs `pipeline` on `module` in place; raises `PipelineError` naming the failing pass."""
    registry = get_all_passes()
    with module.context:
        for element in split_pipeline(pipeline):
            name = element.split("{")[0].split("(")[0].strip()
            if name in registry:
                _run_tflc_pass(module, registry[name], print_ir_after_all, source)
            else:
                _run_upstream(module, element, print_ir_after_all, source)


def _run_tflc_pass(module, p: Pass, print_ir_after_all: bool, source: str) -> None:
    try:
        p.run(module.operation)
        verify(module, source)
    except TflcError as e:
        raise PipelineError(e.what, e.where or source, p.name) from None
    if print_ir_after_all:
        # stderr, where MLIR's own IR printing goes, so stdout keeps only the final IR.
        print(f"// -----// IR Dump After {p.name} //----- //", file=sys.stderr)
        print(module.operation.get_asm(enable_debug_info=False), file=sys.stderr)


def _run_upstream(module, element: str, print_ir_after_all: bool, source: str) -> None:
    try:
        pm = PassManager.parse(f"builtin.module({element})")
    except ValueError as e:
        raise PipelineError(
            f"unknown pass or bad pipeline element '{element}' ({e})", source, element
        ) from None
    if print_ir_after_all:
        pm.enable_ir_printing(print_after_all=True)
    try:
        pm.run(module.operation)
    except ir.MLIRError as e:
        raise PipelineError(f"pass '{element}' failed: {e}", source, element) from None
