"""The kernel table: one entry per op name (builtin "CONV_2D" or a custom code).

A kernel is `fn(node, *inputs) -> array | tuple of arrays`: `node` is the `Node` being run
(options, tensor metadata, a per-node cache), `inputs` are the input arrays in operator order
with `None` for an omitted optional input. Builtin kernels live in the modules of this package,
one family per module; each registers itself with `@kernel("NAME", ...)`.

A kernel may come with a check, `check(node) -> str | None`, run when the interpreter is built:
it names what the kernel cannot run (an input type, an option) so that the user hears of it
before any work is done.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable

from tflc.runtime.kernels.node import Node

KernelFn = Callable[..., object]
CheckFn = Callable[[Node], "str | None"]

KERNELS: dict[str, KernelFn] = {}
CHECKS: dict[str, CheckFn] = {}
_USER_KERNELS: dict[str, KernelFn] = {}

_BUILTIN_MODULES = (
    "activations",
    "control_flow",
    "conv",
    "conv_transpose",
    "custom_mediapipe",
    "elementwise",
    "embedding",
    "hashtable",
    "image",
    "lsh",
    "matmul",
    "misc",
    "pooling",
    "quantize",
    "quantized_activations",
    "quantized_elementwise",
    "random",
    "reduce",
    "sequence",
    "shape",
    "slicing",
    "stablehlo_index",
    "stablehlo_linalg",
    "stablehlo_reduce",
    "stablehlo_shape",
    "text",
    "unary",
)
_loaded = False


def kernel(*names: str, check: CheckFn | None = None) -> Callable[[KernelFn], KernelFn]:
    """Registers the decorated function as the kernel of each op in `names`."""

    def register(fn: KernelFn) -> KernelFn:
        for name in names:
            KERNELS[name] = fn
            if check is not None:
                CHECKS[name] = check
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


def unregister_kernel(name: str) -> None:
    """Removes a kernel added with `register_kernel` (builtin kernels stay)."""
    _USER_KERNELS.pop(name, None)


def lookup(name: str) -> KernelFn | None:
    _load_builtin_kernels()
    return _USER_KERNELS.get(name) or KERNELS.get(name)


def builtin_kernel(name: str) -> KernelFn:
    """The builtin kernel of `name`, whatever `register_kernel` put in front of it."""
    _load_builtin_kernels()
    return KERNELS[name]


def unsupported_reason(name: str, node: Node) -> str | None:
    """Why the builtin kernel of `name` cannot run `node`, or None if it can."""
    if name in _USER_KERNELS or name not in CHECKS:
        return None
    return CHECKS[name](node)


def input_count_problem(fn: KernelFn, node: Node) -> str | None:
    """Why `fn` cannot take `node`'s inputs, read off its signature (an opcode the file changed
    leaves another op's operands), or None; kernels taking *args are not checked."""
    fn = KERNELS.get(getattr(fn, "alias_of", ""), fn)  # a StableHLO alias runs a builtin
    low, high = _input_range(fn)
    if low is None or low <= len(node.inputs) <= high:
        return None
    expected = f"{low}" if low == high else f"{low} to {high}"
    return f"has {len(node.inputs)} inputs, its kernel takes {expected}"


@functools.cache
def _input_range(fn: KernelFn) -> tuple[int | None, int]:
    try:
        params = list(inspect.signature(fn).parameters.values())[1:]  # after `node`
    except (TypeError, ValueError):  # not introspectable: a C callable
        return None, 0
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return None, 0
    required = sum(1 for p in positional if p.default is p.empty)
    return required, len(positional)


def supported_ops() -> list[str]:
    _load_builtin_kernels()
    return sorted(set(KERNELS) | set(_USER_KERNELS))


def _load_builtin_kernels() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in _BUILTIN_MODULES:
            importlib.import_module(f"tflc.runtime.kernels.{module}")


__all__ = [
    "CHECKS",
    "KERNELS",
    "Node",
    "builtin_kernel",
    "input_count_problem",
    "kernel",
    "lookup",
    "register_kernel",
    "supported_ops",
    "unregister_kernel",
    "unsupported_reason",
]
