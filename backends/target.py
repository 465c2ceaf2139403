"""What every backend provides, and how `tflc.compile` finds one by name."""

from __future__ import annotations

import importlib
from typing import Any, Protocol

from tflc.errors import TflcError

# target name -> module defining `TARGET` (imported lazily: backends pull in heavy toolchains).
TARGETS: dict[str, str] = {
    "tflite": "tflc.backends.tflite.target",
    "cpu": "tflc.backends.cpu.target",
    "gpu": "tflc.backends.gpu.target",
    "mcu": "tflc.backends.mcu.target",
}


class CompiledModel(Protocol):
    """What `tflc.compile` returns: callable on numpy arrays, saveable, with a report."""

    inputs: list[dict[str, Any]]
    outputs: list[dict[str, Any]]
    report: dict[str, Any]

    def __call__(self, *arrays) -> list: ...

    def save(self, directory) -> None: ...


class Target(Protocol):
    name: str

    def emit(self, module, options: dict[str, Any]) -> CompiledModel: ...


def get_target(name: str) -> Target:
    if name not in TARGETS:
        raise TflcError(
            f"unknown target '{name}' (choose from {', '.join(sorted(TARGETS))})", "--target"
        )
    try:
        module = importlib.import_module(TARGETS[name])
    except ModuleNotFoundError as e:
        raise TflcError(f"the {name} backend is not available ({e})", "--target") from None
    return module.TARGET
