"""The threads the interpreter's own kernels split their work over (`num_threads=`).

numpy releases the GIL in BLAS products and in ufuncs over large arrays, so the kernels that
carry the time (conv, depthwise conv, fully-connected, batch matmul, transpose conv) compute
their independent outputs (output rows, columns or batches) in contiguous ranges, which the
calling thread and a small pool take in order.
Threads never change a result: no range cuts a sum, and the ranges of a BLAS product are fixed
by its shape alone (`gemm_ranges`), because OpenBLAS picks its kernel (and so the order of a
sum) by the size of each call. The LiteRT-order products split where every output element
keeps its summation order (kernels/litert_gemm.py).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait

from tflc.errors import TflcError

# LiteRT's num_threads=-1 (None in its Python API) is "the implementation's default": its
# XNNPACK delegate and its ruy/gemmlowp kernels (CpuBackendContext) then run one thread.
LITERT_DEFAULT_THREADS = 1
# A BLAS product is cut into at most this many ranges: the counts divide evenly among 2, 3,
# 4 or 6 threads.
_RANGE_COUNTS = (12, 6, 4, 2)
# Work is counted in BLAS multiply-adds (about 0.04 ns each on one AVX-512 core); one pass of
# a numpy ufunc over one value costs about UFUNC_PASS of them. A range gets at least
# MIN_SPLIT_WORK (about 0.2 ms), well above the cost of waking a thread; tests lower it to
# split small models.
UFUNC_PASS = 32
MIN_SPLIT_WORK = 1 << 22

Range = tuple[int, int]
Work = Callable[[int, int], None]

# Tests set this to see which thread ran which range: on_range(thread_ident, start, stop).
on_range: Callable[[int, int, int], None] | None = None

_worker = threading.local()


def thread_count(num_threads: int | None) -> int:
    """The threads `Interpreter(num_threads=...)` gives its kernels: None and -1 are LiteRT's
    default, 0 is one thread (as in LiteRT)."""
    if num_threads is None:
        return LITERT_DEFAULT_THREADS
    if isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < -1:
        raise TflcError(
            f"num_threads must be an integer >= -1 or None, got {num_threads!r}", "Interpreter"
        )
    if num_threads == -1:
        return LITERT_DEFAULT_THREADS
    return max(num_threads, 1)


class KernelThreads:
    """`count` threads for one interpreter's kernels: the calling thread and a pool of
    count - 1 workers, made on first use and shut down with the interpreter."""

    def __init__(self, count: int):
        self.count = count
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def run(self, ranges: Sequence[Range], work: Work) -> None:
        """work(start, stop) for every range. The calling thread and up to count - 1 workers
        take the ranges in order, each the next one left: a worker the host is slow to wake
        finds them done by the others, so a loaded host costs no more than one thread. A call
        from inside a worker runs its ranges there (nothing waits on itself)."""
        ranges = list(ranges)
        helpers = min(self.count, len(ranges)) - 1
        if helpers <= 0 or getattr(_worker, "active", False):
            for rng in ranges:
                _run_range(work, rng)
            return
        pool = self._pool or self._start()
        queue = _RangeQueue(ranges)
        futures = [pool.submit(_worker_drains, queue, work) for _ in range(helpers)]
        try:
            queue.drain(work)
        finally:
            wait(futures)  # no worker still writes the output when the caller goes on
        for future in futures:
            future.result()  # a worker's exception, as the kernel would have raised it

    def for_work(self, work: int) -> KernelThreads:
        """These threads, or the caller's alone when `work` (in BLAS multiply-adds) is too
        little to pay for waking a thread."""
        return self if work >= MIN_SPLIT_WORK else SERIAL

    def ranges(self, total: int, work: int, align: int = 1) -> list[Range]:
        """[0, total) split among the threads (see split_evenly), or whole when `work` (in
        BLAS multiply-adds) is too little to pay for waking a thread."""
        return split_evenly(total, self.count if work >= MIN_SPLIT_WORK else 1, align)

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    def _start(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                workers = self.count - 1
                pool = ThreadPoolExecutor(workers, thread_name_prefix="tflc-kernel")
                # Start every worker now: the executor adds a thread only when none counts as
                # idle, and each finished task counts as one more idle thread, so later runs
                # could queue behind fewer workers than asked for.
                all_started = threading.Barrier(workers, timeout=60)
                for started in [pool.submit(all_started.wait) for _ in range(workers)]:
                    started.result()
                weakref.finalize(self, pool.shutdown, wait=False)
                self._pool = pool
            return self._pool


SERIAL = KernelThreads(1)  # kernels run outside an interpreter (constant folding) use this


def split_evenly(total: int, parts: int, align: int = 1) -> list[Range]:
    """[0, total) in at most `parts` contiguous ranges of near-equal size; every boundary a
    multiple of `align` and every range at least `align` long (a short tail joins the range
    before it)."""
    units = total // align
    parts = max(min(parts, units), 1)
    bounds = [align * (units * i // parts) for i in range(parts)] + [total]
    return [(bounds[i], bounds[i + 1]) for i in range(parts) if bounds[i + 1] > bounds[i]]


def blocks(total: int, size: int) -> list[Range]:
    """[0, total) in ranges of `size` (the last shorter): elementwise work in cache-sized
    pieces, whose temporaries the allocator reuses instead of mapping fresh pages."""
    size = max(size, 1)
    return [(start, min(start + size, total)) for start in range(0, total, size)]


def gemm_ranges(rows: int, macs_per_row: int, align: int = 8) -> list[Range]:
    """Row ranges of a BLAS product fixed by its shape alone (never by the thread count), so
    that every thread count makes the same BLAS calls and gets the same bits."""
    total = rows * macs_per_row
    for count in _RANGE_COUNTS:
        if total >= count * MIN_SPLIT_WORK and rows >= count * align:
            return split_evenly(rows, count, align)
    return [(0, rows)]


class _RangeQueue:
    """Ranges handed out one at a time, in order; none after a range failed."""

    def __init__(self, ranges: list[Range]):
        self._ranges = ranges
        self._next = 0
        self._lock = threading.Lock()

    def drain(self, work: Work) -> None:
        while True:
            with self._lock:
                if self._next >= len(self._ranges):
                    return
                rng = self._ranges[self._next]
                self._next += 1
            try:
                _run_range(work, rng)
            except BaseException:
                with self._lock:
                    self._next = len(self._ranges)
                raise


def _worker_drains(queue: _RangeQueue, work: Work) -> None:
    _worker.active = True
    try:
        queue.drain(work)
    finally:
        _worker.active = False


def _run_range(work: Work, rng: Range) -> None:
    if on_range is not None:
        on_range(threading.get_ident(), *rng)
    work(*rng)
