"""Resource limits: the largest buffer tflc plans, allocates or runs — one tensor, the cpu
target's workspace, the mcu target's arena.

A model can declare a tensor of any size, and many tensors each under the limit can plan a
workspace over it; either is refused with an error naming it before anything is allocated,
rather than failing deep in numpy or a compiled backend (or swapping the machine to a halt).
The limit is settable: `TFLC_MAX_TENSOR_BYTES` in the environment, or `set_max_tensor_bytes()`
in a process (None restores the default).
"""

from __future__ import annotations

import os

from tflc.errors import TflcError, brief

DEFAULT_MAX_TENSOR_BYTES = 4 << 30
ENVIRONMENT_VARIABLE = "TFLC_MAX_TENSOR_BYTES"
_max_tensor_bytes: int | None = None


def max_tensor_bytes() -> int:
    """The limit in force: set_max_tensor_bytes(), else the environment, else the default."""
    if _max_tensor_bytes is not None:
        return _max_tensor_bytes
    text = os.environ.get(ENVIRONMENT_VARIABLE)
    if not text:
        return DEFAULT_MAX_TENSOR_BYTES
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise TflcError(f"must be a positive number of bytes, got '{text}'", ENVIRONMENT_VARIABLE)
    return value


def set_max_tensor_bytes(limit: int | None) -> None:
    global _max_tensor_bytes
    if limit is not None and limit < 1:
        raise TflcError(f"must be a positive number of bytes, got {limit}", "max_tensor_bytes")
    _max_tensor_bytes = limit


def format_bytes(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def check_allocation(shape, itemsize: float, what: str) -> None:
    """Raises a `TflcError` (located by its caller) when an array of `shape` would be over the
    limit: kernels call it before they allocate a buffer whose size the model's options set."""
    problem = tensor_size_problem(shape, itemsize, what)
    if problem:
        raise TflcError(problem)


def tensor_size_problem(shape: list[int], itemsize: float, what: str = "tensor") -> str | None:
    """Why a `what` of `shape` (unknown dimensions as 1) is too large, or None."""
    count = 1
    for d in shape:
        count *= max(int(d), 1)
    size = int(count * itemsize)
    limit = max_tensor_bytes()
    if size > limit:
        return (
            f"{what} of shape {brief(shape)} needs {format_bytes(size)}, over the limit of "
            f"{format_bytes(limit)} ({ENVIRONMENT_VARIABLE})"
        )
    return None


def check_planned_buffer(size: int, what: str, where: str) -> None:
    """Raises a `TflcError` at `where` when a planned buffer (a workspace, an arena) of `size`
    bytes is over the limit: backends call it on their memory plan, before building code."""
    limit = max_tensor_bytes()
    if size > limit:
        raise TflcError(
            f"the {what} needs {format_bytes(size)}, over the limit of {format_bytes(limit)} "
            f"({ENVIRONMENT_VARIABLE})",
            where,
        )
