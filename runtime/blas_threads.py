"""One BLAS thread while the interpreter's kernels run.

numpy's OpenBLAS starts a thread per core for every large product. The interpreter splits its
kernels over its own `num_threads` (runtime/kernel_threads.py), so BLAS threads on top would
oversubscribe the cores (measured on a shared 2-core host: MobileNetV2's convs ran 7-10x slower
with OpenBLAS's two threads than with one) and would make results depend on the thread count
(OpenBLAS chooses its kernel by the threads it may use). OpenBLAS is found among the loaded
libraries and capped through its own `openblas_set_num_threads`, without a new dependency.
Another BLAS (MKL, Accelerate) is left as it is: set its thread variable
(`MKL_NUM_THREADS=1`, `VECLIB_MAXIMUM_THREADS=1`) before numpy is imported.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import threading
from collections.abc import Iterator
from pathlib import Path

# OpenBLAS's thread functions under the prefixes of numpy's wheels (scipy-openblas, 64-bit
# integers) and of a plain build.
_SYMBOL_FORMS = (
    "scipy_openblas_{}_num_threads64_",
    "openblas_{}_num_threads64_",
    "openblas_{}_num_threads",
)

_lock = threading.Lock()
_users = 0
_saved = 0


@functools.cache
def _openblas() -> tuple[ctypes._CFuncPtr, ctypes._CFuncPtr] | None:
    """(get, set) of the OpenBLAS numpy loaded, or None where there is none to find."""
    import numpy  # noqa: F401 - loads its BLAS

    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:  # not Linux
        return None
    paths = {line.split()[-1] for line in maps.splitlines() if "openblas" in line.lower()}
    for path in sorted(p for p in paths if p.startswith("/")):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for form in _SYMBOL_FORMS:
            getter = getattr(lib, form.format("get"), None)
            setter = getattr(lib, form.format("set"), None)
            if getter is not None and setter is not None:
                getter.restype = ctypes.c_int
                setter.argtypes = [ctypes.c_int]
                return getter, setter
    return None


def can_cap_blas() -> bool:
    """Whether numpy's BLAS is an OpenBLAS this module can cap."""
    return _openblas() is not None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """BLAS runs single-threaded inside; the previous count is restored when the last of
    several nested or concurrent users leaves."""
    global _users, _saved
    blas = _openblas()
    if blas is None:
        yield
        return
    get, set_ = blas
    with _lock:
        if _users == 0:
            _saved = get()
            if _saved != 1:
                set_(1)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and _saved != 1:
                set_(_saved)
