"""`Interpreter(num_threads=N)`: the heavy kernels split their outputs over N threads, and the
outputs are the same bits as on one thread, in both float orders and in int8
(runtime/kernel_threads.py). Timings are in benchmarks/interpreter.py --threads."""

from __future__ import annotations

import gc
import threading
import time

import numpy as np
import pytest
from corpus import mediapipe_models, sample_inputs, tf_model_path
from tflc.errors import TflcError
from tflc.runtime import blas_threads, kernel_threads
from tflc.runtime.interpreter import Interpreter
from tflc.runtime.kernel_threads import KernelThreads, split_evenly
from tflc.tools import run_cli

THREAD_COUNTS = (2, 3)  # 3 splits unevenly


class RangeLog:
    """The threads that ran kernel ranges, through kernel_threads.on_range."""

    def __init__(self) -> None:
        self.threads: set[int] = set()
        self.blas_counts: set[int] = set()
        self._lock = threading.Lock()

    def __call__(self, ident: int, start: int, stop: int) -> None:
        blas = blas_threads._openblas()
        if threading.current_thread() is threading.main_thread():
            time.sleep(0.0005)  # leaves the workers time to take ranges on a loaded host
        with self._lock:
            self.threads.add(ident)
            if blas is not None:
                self.blas_counts.add(blas[0]())


@pytest.fixture
def range_log(monkeypatch) -> RangeLog:
    log = RangeLog()
    monkeypatch.setattr(kernel_threads, "on_range", log)
    return log


def _run(path, inputs, num_threads: int, float_order: str, batch: int | None = None):
    interp = Interpreter(model_path=path, num_threads=num_threads, float_order=float_order)
    if batch is not None:
        for d in interp.get_input_details():
            interp.resize_tensor_input(d["index"], [batch, *d["shape"][1:]])
    return interp(*inputs)


def _check_same_bits_on_threads(path, inputs, float_order, log: RangeLog, batch=None) -> None:
    expected = _run(path, inputs, 1, float_order, batch)
    for n in THREAD_COUNTS:
        log.threads.clear()
        got = _run(path, inputs, n, float_order, batch)
        # The caller's thread runs the first ranges and the pool the rest (which of its workers
        # take them is the scheduler's choice: test_pool_runs_ranges_at_the_same_time).
        assert len(log.threads) >= 2, f"num_threads={n}: every range ran on one thread"
        for e, g in zip(expected, got, strict=True):
            assert e.dtype == g.dtype and e.shape == g.shape
            assert np.array_equal(e, g, equal_nan=True), f"num_threads={n} changed the bits"


@pytest.fixture
def split_small_work(monkeypatch) -> None:
    """Every kernel splits, the small layers too, as the large layers do."""
    monkeypatch.setattr(kernel_threads, "MIN_SPLIT_WORK", 1)


@pytest.mark.parametrize("every_layer", [False, True], ids=["large-layers", "every-layer"])
@pytest.mark.parametrize(
    "mode, float_order",
    [("float32", "blas"), ("float32", "litert"), ("int8", "blas")],
)
def test_mobilenet_v2_same_bits_on_more_threads(
    mode, float_order, every_layer, range_log, monkeypatch
) -> None:
    if every_layer:
        monkeypatch.setattr(kernel_threads, "MIN_SPLIT_WORK", 1)
    path = tf_model_path("mobilenet_v2", mode)
    _check_same_bits_on_threads(path, sample_inputs(path, seed=0), float_order, range_log)


def _batched_inputs(path, batch: int) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    inputs = []
    for x in sample_inputs(path, seed=0):
        rows = [x] + [rng.permutation(x.reshape(-1)).reshape(x.shape) for _ in range(batch - 1)]
        inputs.append(np.concatenate(rows, axis=0))
    return inputs


# conv, depthwise conv and FC (cnn), FC (mlp, 12 rows: 3 ranges of 4 in LiteRT's order),
# transpose conv (upsample) at batch > 1; batch
# matmul over attention heads (transformer, batch 1).
BATCHED_MODELS = [("cnn", 4), ("mlp", 12), ("upsample", 4), ("transformer", None)]


@pytest.mark.usefixtures("split_small_work")
@pytest.mark.parametrize("name, batch", BATCHED_MODELS)
@pytest.mark.parametrize(
    "mode, float_order",
    [("float32", "blas"), ("float32", "litert"), ("int8", "blas"), ("dynamic", "litert")],
)
def test_batched_models_same_bits_on_more_threads(
    name, batch, mode, float_order, range_log
) -> None:
    path = tf_model_path(name, mode)
    inputs = _batched_inputs(path, batch) if batch else sample_inputs(path, seed=0)
    _check_same_bits_on_threads(path, inputs, float_order, range_log, batch)


MEDIAPIPE = mediapipe_models()


@pytest.mark.usefixtures("split_small_work")
@pytest.mark.parametrize("path", MEDIAPIPE, ids=[p.stem for p in MEDIAPIPE])
def test_mediapipe_models_same_bits_on_3_threads(path, range_log) -> None:
    """Production float models (mediapipe's custom transpose conv among them), LiteRT order."""
    inputs = sample_inputs(path, seed=0)
    expected = _run(path, inputs, 1, "litert")
    got = _run(path, inputs, 3, "litert")
    assert len(range_log.threads) >= 2
    for e, g in zip(expected, got, strict=True):
        assert np.array_equal(e, g, equal_nan=True)


@pytest.mark.parametrize("count", THREAD_COUNTS)
def test_pool_runs_ranges_at_the_same_time(count) -> None:
    """The ranges wait for each other: only `count` threads running at once get past the
    barrier (fewer would time out on it)."""
    threads = KernelThreads(count)
    barrier = threading.Barrier(count, timeout=30)
    seen = set()

    def work(start: int, stop: int) -> None:
        seen.add(threading.get_ident())
        barrier.wait()

    for _ in range(3):  # the pool's threads stay and serve every run
        threads.run([(i, i + 1) for i in range(count)], work)
    threads.shutdown()
    assert len(seen) == count


def test_a_failing_range_fails_the_run_after_every_started_range_ended() -> None:
    threads = KernelThreads(3)
    running = []

    def work(start: int, stop: int) -> None:
        running.append(start)
        if start == 1:
            raise ValueError("range 1")
        time.sleep(0.01)
        running.remove(start)

    with pytest.raises(ValueError, match="range 1"):
        threads.run([(i, i + 1) for i in range(6)], work)
    assert running == [1]  # every other range that started has ended
    threads.shutdown()


@pytest.mark.parametrize("align", [1, 4, 8])
@pytest.mark.parametrize("parts", [1, 2, 3, 12])
def test_split_evenly_covers_in_aligned_ranges(parts, align) -> None:
    assert split_evenly(0, parts, align) == []  # nothing to compute: no range
    for total in range(1, 70):
        ranges = split_evenly(total, parts, align)
        assert ranges[0][0] == 0 and ranges[-1][1] == total
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
        assert len(ranges) <= parts
        if total >= align:
            assert all(start % align == 0 and stop - start >= align for start, stop in ranges)


@pytest.mark.parametrize("num_threads, count", [(None, 1), (-1, 1), (0, 1), (1, 1), (4, 4)])
def test_num_threads_follows_litert(num_threads, count) -> None:
    """None and -1 are LiteRT's default (one thread for its kernels); 0 is one thread."""
    interp = Interpreter(model_path=tf_model_path("mlp", "float32"), num_threads=num_threads)
    assert interp.kernel_threads.count == count


@pytest.mark.parametrize("bad", [-2, 1.5, "2", True])
def test_bad_num_threads_is_an_error(bad) -> None:
    with pytest.raises(TflcError, match="num_threads must be an integer >= -1") as e:
        Interpreter(model_path=tf_model_path("mlp", "float32"), num_threads=bad)
    assert e.value.where == "Interpreter" and "\n" not in str(e.value)


@pytest.mark.skipif(not blas_threads.can_cap_blas(), reason="numpy's BLAS is not OpenBLAS")
@pytest.mark.usefixtures("split_small_work")
def test_blas_runs_one_thread_inside_kernels_only(range_log) -> None:
    get, set_ = blas_threads._openblas()
    before = get()
    set_(2)
    try:
        path = tf_model_path("cnn", "float32")
        Interpreter(model_path=path, num_threads=2)(*sample_inputs(path, seed=0))
        assert range_log.blas_counts == {1}
        assert get() == 2
    finally:
        set_(before)


def test_tflc_run_threads_flag(tmp_path, capsys) -> None:
    path = str(tf_model_path("cnn", "int8"))
    outputs = {}
    for n in (1, 2):
        out = tmp_path / f"out{n}.npz"
        assert run_cli.main([path, "--random-inputs", "--threads", str(n), "-o", str(out)]) == 0
        outputs[n] = dict(np.load(out))
    assert outputs[1].keys() == outputs[2].keys()
    for name, value in outputs[1].items():
        assert np.array_equal(value, outputs[2][name])
    assert run_cli.main([path, "--random-inputs", "--threads", "-3"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "error: Interpreter: num_threads must be an integer >= -1 or None, got -3"


def _kernel_workers() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("tflc-kernel")}


def test_pool_starts_on_first_split_and_ends_with_the_interpreter() -> None:
    """One thread makes no pool; N threads make N - 1 workers (the caller is the Nth), which
    end when the interpreter is collected."""
    path = tf_model_path("mobilenet_v2", "int8")
    inputs = sample_inputs(path, seed=0)
    before = _kernel_workers()  # other tests' pools may still be ending
    single = Interpreter(model_path=path, num_threads=1)
    single(*inputs)
    assert not _kernel_workers() - before
    interp = Interpreter(model_path=path, num_threads=3)
    assert not _kernel_workers() - before  # nothing started before a kernel splits
    interp(*inputs)
    workers = _kernel_workers() - before
    assert len(workers) == 2
    del interp
    gc.collect()  # nodes and their interpreter refer to each other
    for worker in workers:
        worker.join(timeout=10)
        assert not worker.is_alive()
