"""`tflc compile --dump-ir DIR`: the module after each stage of the compile pipeline, one
numbered file per stage (`01-import.mlir`, `02-tfl-fold-constants.mlir`, ...).

A dump session is active for the calls made inside `dumping_to(dir)`; `run_pipeline` writes a
file after each pass it runs and the backends write theirs with `write_stage` (both do nothing
outside a session), so the numbering follows the order in which the stages ran.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterator
from pathlib import Path

from tflc.errors import TflcError

_session: contextvars.ContextVar[_DumpSession | None] = contextvars.ContextVar(
    "tflc_ir_dump", default=None
)


class _DumpSession:
    def __init__(self, directory: Path):
        self.directory = directory
        self.count = 0

    def write(self, stage: str, text: str) -> Path:
        self.count += 1
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", stage).strip("-") or "stage"
        path = self.directory / f"{self.count:02d}-{safe}.mlir"
        path.write_text(text if text.endswith("\n") else text + "\n")
        return path


@contextlib.contextmanager
def dumping_to(directory: str | Path) -> Iterator[None]:
    """Stages run inside the block are written to `directory` (created; old dumps removed)."""
    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise TflcError("exists and is not a directory; --dump-ir names a directory", str(out))
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("[0-9][0-9]*-*.mlir"):  # a dump from an earlier run would mix in
        old.unlink()
    token = _session.set(_DumpSession(out))
    try:
        yield
    finally:
        _session.reset(token)


def active() -> bool:
    return _session.get() is not None


def write_stage(stage: str, module_or_op) -> None:
    """Writes the module as it is after `stage`, when a dump session is active."""
    session = _session.get()
    if session is not None:
        session.write(stage, module_or_op.operation.get_asm(enable_debug_info=True))


def pass_writing_stage(stage: str):
    """A Python MLIR pass that writes the module after the pass before it."""

    def run(op, _mlir_pass) -> None:
        write_stage(stage, op)

    return run
