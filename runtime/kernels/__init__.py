"""The kernel table: one entry per op name (builtin "CONV_2D" or a custom code).

A kernel is `fn(node, *inputs) -> array | tuple of arrays`: `node` is the `Node` being run
(options, tensor metadata, a per-node cache), `inputs` are the input arrays in operator order
with `None` for an omitted optional input. Builtin kernels live in the modules of this package,
one family per module; each registers itself with `@kernel("NAME", ...)`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from tflc.runtime.kernels.node import Node

KernelFn = Callable[..., object]

KERNELS: dict[str, KernelFn] = {}
_USER_KERNELS: dict[str, KernelFn] = {}

_BUILTIN_MODULES = (
    "activations",
    "control_flow",
    "conv",
    "conv_transpose",
    "custom_mediapipe",
    "elementwise",
    "image",
    "matmul",
    "misc",
    "pooling",
    "quantize",
    "quantized_activations",
    "quantized_elementwise",
    "reduce",
    "sequence",
    "shape",
    "slicing",
    "unary",
)
_loaded = False


def kernel(*names: str) -> Callable[[KernelFn], KernelFn]:
    """Registers the decorated function as the kernel of each op in `names`."""

    def register(fn: KernelFn) -> KernelFn:
        for name in names:
            KERNELS[name] = fn
        return fn

    return register


def register_kernel(name: str, fn: KernelFn) -> None:
    """Registers (or replaces) the kernel for op `name`, e.g. a custom op's code.

    `fn(node, *inputs)` gets the `Node` (its `options`, `custom_options`, tensor metadata) and
    the input arrays, and returns the output array or a tuple of them.
    """
    if not callable(fn):
        raise TypeError(f"kernel for '{name}' must be callable")
    _USER_KERNELS[name] = fn


def lookup(name: str) -> KernelFn | None:
    _load_builtin_kernels()
    return _USER_KERNELS.get(name) or KERNELS.get(name)


def supported_ops() -> list[str]:
    _load_builtin_kernels()
    return sorted(set(KERNELS) | set(_USER_KERNELS))


def _load_builtin_kernels() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in _BUILTIN_MODULES:
            importlib.import_module(f"tflc.runtime.kernels.{module}")


__all__ = ["KERNELS", "Node", "kernel", "lookup", "register_kernel", "supported_ops"]
