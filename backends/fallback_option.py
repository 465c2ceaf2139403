"""The `fallback` compile option, defined once for every target and for `tflc compile`.

`fallback="runtime"` (CLI: `--fallback runtime`): ops the target cannot compile (custom ops, ops
without a kernel or shader yet) run with tflc's runtime kernels (the numpy interpreter) on the
host CPU, between the compiled steps; the report lists them and their cost. Without it such an
op is an error that names it and suggests this option. The cpu and gpu targets take it; the mcu
target refuses it (its C runs where no interpreter does); the tflite target has nothing to fall
back from (an interpreter runs every op) and ignores it.
"""

from __future__ import annotations

import warnings
from typing import Any

from tflc.errors import TflcError

OPTION = "fallback"
RUNTIME = "runtime"
NONE = "none"
# Earlier spellings that keep working: the gpu target's "cpu" meant the same thing.
SYNONYMS = {"cpu": RUNTIME}
ACCEPTED = (NONE, RUNTIME, *SYNONYMS)
TARGETS_WITH_FALLBACK = ("cpu", "gpu")

CLI_FLAG = "--fallback"
CLI_HELP = (
    f"'{RUNTIME}': ops the target cannot compile run with tflc's runtime (interpreter) "
    "kernels on the host CPU between compiled steps, at a cost the report states "
    f"({' and '.join(TARGETS_WITH_FALLBACK)} targets; '{'/'.join(SYNONYMS)}' is an older spelling of it); "
    f"'{NONE}' (default): such ops are an error"
)


def fallback_enabled(options: dict[str, Any], target: str) -> bool:
    """Whether `options` ask `target` to fall back; a value outside ACCEPTED is an error."""
    given = options.get(OPTION)
    value = (
        NONE if given is None else SYNONYMS.get(given, given) if isinstance(given, str) else given
    )
    if value not in (NONE, RUNTIME):
        raise TflcError(
            f"{OPTION} must be one of {', '.join(ACCEPTED)}, got '{given}'",
            f"{target} target {CLI_FLAG}",
        )
    return value == RUNTIME


def without_fallback(options: dict[str, Any], target: str, refusal: str | None) -> dict[str, Any]:
    """`options` less the fallback option, for a target that has no fallback: its value is
    checked, and asking for one is an error saying `refusal` (None: it is ignored)."""
    if fallback_enabled(options, target) and refusal:
        raise TflcError(f"the {target} target has no fallback: {refusal}", f"{CLI_FLAG} {RUNTIME}")
    return {k: v for k, v in options.items() if k != OPTION}


def suggest_fallback(what: str) -> str:
    """How to run `what` anyway, for the end of a "cannot compile" message: the spelling the
    CLI's --help documents, and the Python one."""
    return (
        f'{CLI_FLAG} {RUNTIME} (fallback="{RUNTIME}" from Python) runs {what} with tflc\'s '
        "runtime kernels on the host CPU"
    )


def warn_if_nothing_compiled(report: dict[str, Any], target: str, compiled_steps: int) -> None:
    """A fallback that leaves no compiled step runs the whole model in the interpreter: say so
    in the report and as a warning, since the compile itself succeeded."""
    if compiled_steps:
        return
    message = (
        f"every op falls back to tflc's runtime kernels: the {target} target compiled nothing, "
        "so the model runs at the interpreter's speed"
    )
    report["fallback_warning"] = message
    warnings.warn(message, stacklevel=3)
