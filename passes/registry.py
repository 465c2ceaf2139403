"""The pass registry and pipeline runner shared by tfl-opt and the Python API.

A tflc pass is a module `passes/<name_with_underscores>.py` defining `PASS = Pass(...)`; its
name is `tfl-<name-with-dashes>` (or `tf-...` for tf passes). Pipelines mix them with upstream
MLIR passes by name: `tfl-canonicalize,cse,tfl-dce`. Upstream passes are never re-implemented.
The helpers passes share live in subpackages (`quantize/`, `rewrite/`, `tf_to_tfl/`,
`tosa/`), not scanned.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from mlir import ir
from mlir.passmanager import PassManager
from tflc.dialects.tfl_verifier import verify
from tflc.errors import TflcError
from tflc.passes import ir_dump, ir_printing


@dataclass(frozen=True)
class Pass:
    name: str  # "tfl-fuse-activation"
    summary: str  # one line, shown by `tfl-opt --list-passes`
    run: Callable[[ir.Operation], None]  # rewrites the builtin.module op in place


# Modules of this package that serve the pass manager rather than define a pass.
_NOT_PASSES = {"registry", "ir_dump", "ir_printing"}


@functools.cache
def get_all_passes() -> dict[str, Pass]:
    """Every tflc pass by name, found by importing the modules of this package."""
    import tflc.passes as package

    passes = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.ispkg or info.name.startswith("_") or info.name in _NOT_PASSES:
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


@dataclass(frozen=True)
class Instrumentation:
    """What mlir-opt's `--mlir-print-ir-*` and `--mlir-timing` ask of a pipeline. Pass names are
    pipeline arguments (`cse`, `tfl-dce`); nested passes match too."""

    print_before: frozenset[str] = frozenset()
    print_after: frozenset[str] = frozenset()
    print_before_all: bool = False
    print_after_all: bool = False
    timing: bool = False
    large_elements_limit: int | None = None  # elide printed constants with more elements


def run_pipeline(
    module,
    pipeline: str,
    instrumentation: Instrumentation | None = None,
    source: str = "<module>",
) -> None:
    """Runs `pipeline` on `module` in place, in one MLIR PassManager (tflc passes join it as
    Python passes, so MLIR's own IR printing and timing see every pass); raises `PipelineError`
    naming the failing pass."""
    if instrumentation is None and _enclosing.get() is not None:
        # A pipeline a pass runs (tfl-optimize's) prints as the one around it asked, as MLIR's
        # dynamic pipelines do; its timing stays in its pass's line of the enclosing report.
        instrumentation = dataclasses.replace(_enclosing.get(), timing=False)
    token = _enclosing.set(instrumentation)
    try:
        _run_in_one_pass_manager(module, pipeline, instrumentation, source)
    finally:
        _enclosing.reset(token)


# The instrumentation of the pipeline being run, for the pipelines its passes run.
_enclosing: contextvars.ContextVar[Instrumentation | None] = contextvars.ContextVar(
    "tflc_pipeline_instrumentation", default=None
)


def _run_in_one_pass_manager(
    module, pipeline: str, instrumentation: Instrumentation | None, source: str
) -> None:
    registry = get_all_passes()
    elements = split_pipeline(pipeline)
    failure: list[tuple[str, BaseException]] = []
    finished: list[int] = []  # indices of the tflc passes that completed
    with module.context:
        pm = PassManager("builtin.module")
        for index, element in enumerate(elements):
            name = element_name(element)
            if name in registry:
                pm.add(
                    _as_mlir_pass(registry[name], index, source, failure, finished),
                    name=display_name(name),
                    argument=name,
                    description=registry[name].summary,
                )
            else:
                try:
                    pm.add(element)
                except ValueError as e:
                    raise PipelineError(
                        f"unknown pass or bad pipeline element '{element}' ({e})", source, element
                    ) from None
            if ir_dump.active():
                pm.add(ir_dump.pass_writing_stage(name), name="DumpIR", argument="tflc-dump-ir")
        ambiguous = _upstream_run_longer_than_one(elements, registry)
        try:
            with ir_printing.printed(pm, instrumentation, ambiguous) as printing:
                if instrumentation and instrumentation.timing:
                    pm.enable_timing()
                pm.run(module.operation)
        except ir.MLIRError as e:
            if failure:
                name, error = failure[0]
                if isinstance(error, TflcError):
                    raise PipelineError(error.what, error.where or source, name) from None
                raise error from None
            culprit = printing.failed_pass or _failed_upstream(elements, registry, finished)
            raise PipelineError(f"pass '{culprit}' failed: {e}", source, culprit) from None
        finally:
            del pm  # MLIR prints the timing report when its PassManager is destroyed


def element_name(element: str) -> str:
    """`canonicalize{max-iterations=3}` -> `canonicalize`."""
    return element.split("{")[0].split("(")[0].strip()


def display_name(pass_name: str) -> str:
    """MLIR shows a pass by its class name: `tfl-fuse-pad` -> `TflFusePad`."""
    return "".join(part.capitalize() for part in pass_name.split("-"))


def _as_mlir_pass(p: Pass, index: int, source: str, failure: list, finished: list[int]):
    def run(op: ir.Operation, mlir_pass) -> None:
        try:
            p.run(op)
            verify(op, source)
        except BaseException as e:  # re-raised by run_pipeline once MLIR has unwound
            failure.append((p.name, e))
            mlir_pass.signal_pass_failure()
            return
        finished.append(index)

    return run


def _upstream_run_longer_than_one(elements: list[str], registry: dict[str, Pass]) -> bool:
    """Whether two upstream elements follow each other: a failure between tflc passes would not
    name its pass by itself."""
    upstream = [element_name(e) not in registry for e in elements]
    return any(a and b for a, b in zip(upstream, upstream[1:], strict=False))


def _failed_upstream(elements: list[str], registry: dict[str, Pass], finished: list[int]) -> str:
    """The upstream element after the last tflc pass that finished."""
    start = finished[-1] + 1 if finished else 0
    for element in elements[start:]:
        if element_name(element) not in registry:
            return element
    return elements[-1]
