"""The steps of a gpu manifest: `dispatch` and `host` steps, and `if` / `while` steps that
nest theirs (backends/gpu/control_flow.py): {"kind": "if", "cond", "then", "else"} and
{"kind": "while", "cond_steps", "cond", "body"}, `cond` the arena place of a one-element value."""

from __future__ import annotations

from collections.abc import Iterator

NESTED = {"if": ("then", "else"), "while": ("cond_steps", "body")}


def all_steps(steps: list[dict]) -> Iterator[dict]:
    """Every step, those inside `if` and `while` steps too, in manifest order."""
    for step in steps:
        yield step
        for key in NESTED.get(step["kind"], ()):
            yield from all_steps(step[key])


def for_device(steps: list[dict], device_class: str) -> list[dict]:
    """`steps` with each dispatch's variant for `device_class` ("cpu": lavapipe's kernels)."""
    picked = []
    for step in steps:
        step = {**step, **step.get("variants", {}).get(device_class, {})}
        for key in NESTED.get(step["kind"], ()):
            step[key] = for_device(step[key], device_class)
        picked.append(step)
    return picked
