"""The fuzzer's subprocess: runs mutants through tflc's entry points and reports each outcome.

    python -m fuzz_models.worker JOBS.json

JOBS.json holds the settings and a list of jobs (mutant file, seed, index, entry points). For each
(mutant, entry point) the worker writes `{"start": ...}` and then `{"done": ...}` as one JSON line
to its protocol pipe (its original stdout); the parent enforces the time limit and attributes a
crash (the worker dies) or a hang (no `done` in time) to the job last started. The worker limits
its own address space (RLIMIT_AS), so a runaway allocation is a MemoryError, not the OOM killer,
and faulthandler writes the Python stack of a crash or hang to a file the parent reads.
"""

from __future__ import annotations

import contextlib
import faulthandler
import io
import json
import os
import re
import resource
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np

# Classes of outcome.
CLEAN, ERROR, INTERNAL, UNPLACED, TRACEBACK, CRASH, HANG = (
    "clean",
    "error",
    "internal",
    "unplaced",  # a TflcError that names no place: the user cannot tell where the problem is
    "traceback",
    "crash",
    "hang",
)
CLASSES = (CLEAN, ERROR, INTERNAL, UNPLACED, TRACEBACK, CRASH, HANG)
FAILURES = (UNPLACED, TRACEBACK, CRASH, HANG)  # what the fuzzer must never see
MAX_INPUT_BYTES = 256 << 20  # random inputs larger than this are not built

# TflcErrors that are not about the model but wrap a failure of tflc itself.
_INTERNAL_PATTERNS = (
    (re.compile(r"kernel failed: (\w+)"), "kernel failed"),
    (re.compile(r"building the generated C failed"), "generated C does not build"),
)
_HOST_STATUS = re.compile(r"the host build exited with status (-?\d+)")


def tflc_root() -> Path:
    import tflc

    return Path(tflc.__file__).resolve().parent


def innermost_tflc_frame(tb) -> str:
    """`path:function:line` of the innermost frame in tflc's own code (not its tests)."""
    root = tflc_root()
    found = "-"
    for frame in traceback.extract_tb(tb):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(root) and not path.is_relative_to(root / "tests"):
            found = f"{path.relative_to(root)}:{frame.name}:{frame.lineno}"
    return found


def _random_inputs(descs: list[tuple[list[int], object]], rng: np.random.Generator) -> list | None:
    """Random arrays for (shape, dtype) descriptions, or None when they would be too large."""
    arrays = []
    for shape, dtype in descs:
        shape = [max(int(d), 1) if int(d) < 0 else int(d) for d in shape]
        dtype = np.dtype(dtype) if dtype is not None else np.dtype(object)
        if dtype.itemsize * int(np.prod(shape, dtype=np.float64)) > MAX_INPUT_BYTES:
            return None
        if dtype.kind == "f":
            arrays.append(rng.standard_normal(shape).astype(dtype))
        elif dtype.kind in "iu":
            info = np.iinfo(dtype)
            lo, hi = max(info.min, -128), min(info.max, 127)
            arrays.append(rng.integers(lo, hi + 1, size=shape).astype(dtype))
        elif dtype.kind == "b":
            arrays.append(rng.integers(0, 2, size=shape).astype(bool))
        elif dtype.kind == "c":
            arrays.append(rng.standard_normal(shape).astype(dtype))
        else:
            arrays.append(np.full(shape, b"fuzz", dtype=object))
    return arrays


def _run_interpreter(path: str, rng: np.random.Generator, options: dict) -> None:
    from tflc.runtime.interpreter import Interpreter

    interp = Interpreter(model_path=path)
    interp.allocate_tensors()
    details = interp.get_input_details()
    arrays = _random_inputs([(list(d["shape"]), d["dtype"]) for d in details], rng)
    if arrays is None:
        return
    for d, x in zip(details, arrays, strict=True):
        interp.set_tensor(d["index"], x)
    interp.invoke()
    for d in interp.get_output_details():
        interp.get_tensor(d["index"])


def _run_compiled(target: str, **compile_options) -> Callable:
    def run(path: str, rng: np.random.Generator, options: dict) -> None:
        import tflc

        compiled = tflc.compile(path, target=target, **compile_options)
        arrays = _random_inputs([(d["shape"], d["dtype"]) for d in compiled.inputs], rng)
        if arrays is None:
            return
        if target == "mcu" and options.get("sanitize"):
            _sanitized_call(compiled, arrays)
        else:
            compiled(*arrays)

    return run


def _sanitized_call(compiled, arrays: list) -> None:
    """The MCU host build under ASan/UBSan. ASan reserves terabytes of shadow address space, so
    the binary runs without the worker's RLIMIT_AS (the parent's time limit still holds)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    try:
        compiled(*arrays, sanitize=True)
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _run_load(path: str, rng: np.random.Generator, options: dict) -> None:
    import tflc

    tflc.load(path)


def _run_translate(path: str, rng: np.random.Generator, options: dict) -> None:
    """`tfl-translate --tflite-to-mlir` in this process, with fd 2 captured (MLIR's diagnostics
    bypass sys.stderr): exit 1 must come with exactly one `error: ` line."""
    from tflc.tools import tfl_translate

    out = Path(options["scratch"], "out.mlir")
    with tempfile.TemporaryFile() as captured:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        text = io.StringIO()
        try:
            with contextlib.redirect_stderr(text):
                rc = tfl_translate.main(["--tflite-to-mlir", path, "-o", str(out)])
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        err = text.getvalue() + captured.read().decode(errors="replace")
    out.unlink(missing_ok=True)
    lines = err.splitlines()
    if rc == 0:
        return
    if rc == 1 and len(lines) == 1 and lines[0].startswith("error: "):
        raise CliError(lines[0].removeprefix("error: "))
    raise CliOutputError(f"exit {rc}, stderr: {err[-600:]!r}")


class CliError(Exception):
    """The CLI's one clean error line."""


class CliOutputError(Exception):
    """The CLI exited otherwise than 0, or 1 with one `error: ` line."""


def _self_test(path: str, rng: np.random.Generator, options: dict) -> None:
    """Not tflc: misbehaves by the mutant's first byte, so a test can check that crashes and
    hangs are caught and attributed to their mutant (tests/test_fuzz_models.py)."""
    kind = Path(path).read_bytes()[:1]
    if kind == b"S":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif kind == b"H":
        time.sleep(3600)
    elif kind == b"T":
        raise KeyError("self-test")


ENTRY_POINTS: dict[str, Callable] = {
    "self-test": _self_test,
    "load": _run_load,
    "interpreter": _run_interpreter,
    "cpu": _run_compiled("cpu"),
    "mcu": _run_compiled("mcu", measure_flash=False),
    "translate": _run_translate,
}


def classify(error: BaseException | None) -> dict:
    """The outcome of one run: class, exception type, innermost tflc frame, message."""
    from tflc.errors import TflcError

    if error is None:
        return {"class": CLEAN}
    message = str(error).splitlines()[0][:300] if str(error) else ""
    outcome = {"type": type(error).__name__, "message": message}
    if isinstance(error, CliError | TflcError):
        text = str(error)
        status = _HOST_STATUS.search(text)
        if status and int(status.group(1)) < 0 or "Sanitizer" in text:
            return {**outcome, "class": CRASH, "type": "host build", "frame": _host_frame(text)}
        for pattern, label in _INTERNAL_PATTERNS:
            found = pattern.search(text)
            if found:
                cause = error.__cause__
                frame = innermost_tflc_frame(cause.__traceback__) if cause else "-"
                kind = found.group(1) if found.groups() else label
                return {**outcome, "class": INTERNAL, "type": kind, "frame": frame}
        if isinstance(error, TflcError) and not error.where:
            frame = innermost_tflc_frame(error.__traceback__)
            return {**outcome, "class": UNPLACED, "frame": frame}
        return {**outcome, "class": ERROR}
    return {**outcome, "class": TRACEBACK, "frame": innermost_tflc_frame(error.__traceback__)}


def _host_frame(text: str) -> str:
    """The first frame of a sanitizer report (`#0 ... in fn file.c:line`), or the status."""
    found = re.search(r"#0 0x[0-9a-f]+ in (\S+) (\S+)", text) or _HOST_STATUS.search(text)
    return " ".join(found.groups()) if found else "-"


def main(jobs_path: str) -> int:
    spec = json.loads(Path(jobs_path).read_text())
    limit = int(spec["memory_limit"])
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    # The protocol keeps the original stdout; what tflc prints goes to /dev/null.
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    fault_log = open(spec["fault_log"], "w")  # noqa: SIM115 - lives as long as the process
    faulthandler.enable(fault_log)
    import tflc  # noqa: F401  (imported before the first job's clock starts)

    print(json.dumps({"ready": True}), file=proto)
    for job in spec["jobs"]:
        rng_seed = [int(job["seed"]), int(job["index"])]
        for entry in job["entry_points"]:
            print(json.dumps({"start": job["index"], "entry": entry}), file=proto)
            faulthandler.dump_traceback_later(spec["timeout"] * 0.9, file=fault_log)
            error = None
            try:
                with tempfile.TemporaryDirectory(prefix="fuzz-") as scratch:
                    options = {**spec.get("options", {}), "scratch": scratch}
                    ENTRY_POINTS[entry](job["path"], np.random.default_rng(rng_seed), options)
            except BaseException as e:  # noqa: BLE001 - classifying every outcome is the point
                error = e
            faulthandler.cancel_dump_traceback_later()
            outcome = classify(error)
            error = None  # drop the traceback (and the arrays its frames hold)
            print(json.dumps({"done": job["index"], "entry": entry, **outcome}), file=proto)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
