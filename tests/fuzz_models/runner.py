"""The fuzzer's driver: makes mutants, runs them in worker subprocesses, deduplicates failures.

Mutants go to workers in batches (one Python start-up serves many mutants). The driver reads
each worker's protocol lines with a deadline per (mutant, entry point): a worker that dies is a
crash of the job it last started, one that misses the deadline is a hang and is killed; either
way a fresh worker carries on with the rest of the batch.
"""

from __future__ import annotations

import json
import os
import queue
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from fuzz_models.mutations import CorpusModel, Mutant, corpus_model, make_mutant
from fuzz_models.worker import CLASSES, CRASH, FAILURES, HANG

TESTS_DIR = Path(__file__).resolve().parents[1]
ALL_ENTRY_POINTS = ("load", "interpreter", "cpu", "mcu", "translate")
FAST_ENTRY_POINTS = ("load", "interpreter", "translate")
READY_TIMEOUT = 180.0  # importing tflc and MLIR on a busy machine


@dataclass
class FuzzConfig:
    seed: int = 0
    mutants: int = 100
    start: int = 0  # first mutant index
    entry_points: tuple[str, ...] = FAST_ENTRY_POINTS
    models: str = "all"  # "small" (TF models), "mediapipe" or "all"
    workers: int = 1
    batch: int = 25
    timeout: float = 60.0  # seconds per (mutant, entry point)
    memory_limit: int = 4 << 30  # RLIMIT_AS of a worker
    tensor_limit: int = 1 << 30  # TFLC_MAX_TENSOR_BYTES in the workers
    sanitize: bool = False  # run the MCU host build under ASan/UBSan
    only: tuple[int, ...] = ()  # run just these mutant indices


@dataclass
class Outcome:
    index: int
    model: str
    mutation: str
    entry: str
    cls: str
    type: str = ""
    frame: str = "-"
    message: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        # The line number is left out: the same site keeps its key while the code around moves.
        return (self.entry, self.cls, self.type, re.sub(r":\d+$", "", self.frame))


@dataclass
class FuzzReport:
    config: FuzzConfig
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    stopped_early: bool = False  # interrupted: the batches under way finished, no others ran

    def counts(self) -> Counter:
        return Counter(o.cls for o in self.outcomes)

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.cls in FAILURES]

    def distinct(self, classes=FAILURES) -> dict[tuple, list[Outcome]]:
        groups: dict[tuple, list[Outcome]] = {}
        for o in self.outcomes:
            if o.cls in classes:
                groups.setdefault(o.key, []).append(o)
        return groups


def load_corpus(models: str = "all") -> list[CorpusModel]:
    """The corpus models as bytes, in a fixed order (a seed names the same mutants each run)."""
    if str(TESTS_DIR) not in sys.path:
        sys.path.insert(0, str(TESTS_DIR))
    import corpus

    paths: list[tuple[str, Path]] = []
    if models in ("small", "all"):
        for name in corpus.SMALL_TF_MODELS:
            for mode in corpus.MODES:
                paths.append((f"{name}.{mode}", corpus.tf_model_path(name, mode)))
        paths.append(("cnn.int16x8", corpus.tf_model_path("cnn", "int16x8")))
    if models in ("mediapipe", "all"):
        paths += [(p.stem, p) for p in corpus.mediapipe_models()]
    if not paths:
        raise ValueError(f"unknown model set {models!r}: small, mediapipe or all")
    return [corpus_model(name, path.read_bytes()) for name, path in paths]


def run_fuzz(
    config: FuzzConfig, corpus: list[CorpusModel] | None = None, progress=None
) -> FuzzReport:
    """Runs `config.mutants` mutants (or `config.only`) and returns every outcome."""
    corpus = corpus if corpus is not None else load_corpus(config.models)
    indices = list(config.only) or list(range(config.start, config.start + config.mutants))
    batches = [indices[i : i + config.batch] for i in range(0, len(indices), config.batch)]
    return _run(
        config,
        [lambda b=b: [make_mutant(corpus, config.seed, i) for i in b] for b in batches],
        progress,
    )


def run_mutants(config: FuzzConfig, mutants: list[Mutant]) -> FuzzReport:
    """Runs given mutants (regression cases built by hand) through `config.entry_points`."""
    batches = [mutants[i : i + config.batch] for i in range(0, len(mutants), config.batch)]
    return _run(config, [lambda b=b: b for b in batches])


def _run(config: FuzzConfig, batches: list, progress=None) -> FuzzReport:
    """Runs each batch (a function giving its mutants) in its own worker, `config.workers` at
    a time."""
    todo: queue.Queue = queue.Queue()
    for batch in batches:
        todo.put(batch)
    report = FuzzReport(config)
    lock = threading.Lock()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tflc-fuzz-") as tmp:
        stop = threading.Event()

        def work() -> None:
            while not stop.is_set():
                try:
                    batch = todo.get_nowait()
                except queue.Empty:
                    return
                outcomes = _run_batch(config, batch(), Path(tmp))
                with lock:
                    report.outcomes.extend(outcomes)
                    if progress is not None:
                        progress(report)

        threads = [threading.Thread(target=work) for _ in range(max(config.workers, 1))]
        for t in threads:
            t.start()
        try:
            _wait_for(threads)
        except KeyboardInterrupt:  # Ctrl-C or SIGINT: report what ran rather than nothing
            stop.set()
            report.stopped_early = True
            _wait_for(threads)
    report.outcomes.sort(key=lambda o: (o.index, o.entry))
    report.seconds = time.perf_counter() - start
    return report


def _wait_for(threads: list[threading.Thread]) -> None:
    """Until every thread ends. Polled, not joined: after KeyboardInterrupt cut a join short,
    the next join of that thread returned at once here (Python 3.11) while it still ran."""
    while any(t.is_alive() for t in threads):
        time.sleep(0.2)


def _run_batch(config: FuzzConfig, mutants: list[Mutant], tmp: Path) -> list[Outcome]:
    by_index = {m.index: m for m in mutants}
    jobs = []
    for m in mutants:
        path = tmp / f"mutant{m.index}.tflite"
        path.write_bytes(m.data)
        jobs.append((m.index, path))
    pending = [(i, e) for i, _ in jobs for e in config.entry_points]
    outcomes: list[Outcome] = []
    try:
        while pending:
            results = _run_worker(config, jobs, pending, tmp)
            for index, entry, outcome in results:
                m = by_index[index]
                outcomes.append(Outcome(index, m.model, m.mutation, entry, **outcome))
                pending.remove((index, entry))
    finally:
        for _, path in jobs:
            path.unlink(missing_ok=True)
    return outcomes


def _run_worker(config: FuzzConfig, jobs, pending, tmp: Path) -> list[tuple[int, str, dict]]:
    """Runs `pending` (mutant index, entry point) pairs in one worker until they are done or the
    worker crashes or hangs; returns the outcomes it reported (the last one a crash or hang)."""
    work_dir = Path(tempfile.mkdtemp(prefix="worker-", dir=tmp))
    wanted = {}
    for index, entry in pending:
        wanted.setdefault(index, []).append(entry)
    spec = {
        "memory_limit": config.memory_limit,
        "timeout": config.timeout,
        "fault_log": str(work_dir / "fault.log"),
        "options": {"sanitize": config.sanitize},
        "jobs": [
            {"path": str(path), "seed": config.seed, "index": i, "entry_points": wanted[i]}
            for i, path in jobs
            if i in wanted
        ],
    }
    (work_dir / "jobs.json").write_text(json.dumps(spec))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]),
        "TMPDIR": str(work_dir),
        "TFLC_MAX_TENSOR_BYTES": str(config.tensor_limit),
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "fuzz_models.worker", str(work_dir / "jobs.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=work_dir,
        env=env,
        start_new_session=True,  # a hang is killed with everything it started
    )
    results: list[tuple[int, str, dict]] = []
    started: tuple[int, str] | None = None
    deadline = time.monotonic() + READY_TIMEOUT
    buffer = b""
    try:
        while True:
            wait = deadline - time.monotonic()
            ready = select.select([proc.stdout], [], [], max(wait, 0))[0] if wait > 0 else []
            if not ready:
                _kill(proc)
                results.append(_lost(started, pending, HANG, "timeout", work_dir, config))
                return results
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                status = proc.wait()
                if started is not None:
                    kind = f"signal {-status}" if status < 0 else f"exit {status}"
                    results.append(_lost(started, pending, CRASH, kind, work_dir, config))
                elif status != 0 or len(results) < len(pending):
                    results.append(_lost(None, pending, CRASH, f"exit {status}", work_dir, config))
                return results
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                msg = json.loads(line)
                if "start" in msg:
                    started = (msg["start"], msg["entry"])
                    deadline = time.monotonic() + config.timeout
                elif "done" in msg:
                    outcome = {k: v for k, v in msg.items() if k not in ("done", "entry")}
                    outcome["cls"] = outcome.pop("class")
                    results.append((msg["done"], msg["entry"], outcome))
                    started = None
    finally:
        if proc.poll() is None:
            _kill(proc)
        proc.stdout.close()


def _lost(started, pending, cls: str, kind: str, work_dir: Path, config: FuzzConfig):
    """The outcome of the job a worker died or hung in (or of the first pending one if it died
    before starting any), with the innermost tflc frame of faulthandler's stack."""
    index, entry = started if started is not None else pending[0]
    fault = work_dir / "fault.log"
    text = fault.read_text(errors="replace") if fault.exists() else ""
    return index, entry, {"cls": cls, "type": kind, "frame": _fault_frame(text), "message": ""}


_FAULT_FRAME = re.compile(r'File "([^"]+)", line (\d+) in (\S+)')


def _fault_frame(text: str) -> str:
    """Innermost tflc frame of the last stack faulthandler wrote (innermost frame first)."""
    from fuzz_models.worker import tflc_root

    root = tflc_root()
    stacks = re.split(r"(?m)^(?:Fatal Python error|Timeout|Thread|Current thread)", text)
    for filename, line, function in _FAULT_FRAME.findall(stacks[-1] if stacks else ""):
        path = Path(filename).resolve()
        if path.is_relative_to(root) and not path.is_relative_to(root / "tests"):
            return f"{path.relative_to(root)}:{function}:{line}"
    return "-"


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


# --- the table -------------------------------------------------------------------------------


def format_report(report: FuzzReport, classes=FAILURES, examples: int = 1) -> str:
    """Counts per entry point and class, then one row per distinct failure."""
    c = report.config
    entries = [e for e in ALL_ENTRY_POINTS if e in c.entry_points]
    classes_seen = CLASSES
    by = Counter((o.entry, o.cls) for o in report.outcomes)
    mutants = len({o.index for o in report.outcomes})
    lines = [
        f"seed {c.seed}, {mutants} mutants of {c.models} models, "
        f"{len(report.outcomes)} runs in {report.seconds:.0f} s"
        + (" (stopped early)" if report.stopped_early else ""),
        f"{'entry point':12}" + "".join(f"{k:>10}" for k in classes_seen),
    ]
    for e in entries:
        lines.append(f"{e:12}" + "".join(f"{by[(e, k)]:>10}" for k in classes_seen))
    total = report.counts()
    lines.append(f"{'total':12}" + "".join(f"{total[k]:>10}" for k in classes_seen))
    groups = report.distinct(classes)
    if groups:
        lines.append("")
        lines.append(f"{len(groups)} distinct ({'/'.join(classes)}):")
        lines.append(f"{'entry':11} {'class':9} {'type':22} {'n':>4}  innermost tflc frame")
        for key, group in sorted(groups.items(), key=lambda kv: (kv[0][1], -len(kv[1]))):
            entry, cls, kind, _ = key
            lines.append(f"{entry:11} {cls:9} {kind[:22]:22} {len(group):>4}  {group[0].frame}")
            for o in group[:examples]:
                lines.append(f"    e.g. #{o.index} {o.model}: {o.mutation[:90]}")
                if o.message:
                    lines.append(f"         {o.message[:150]}")
    return "\n".join(lines)
