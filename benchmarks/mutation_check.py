"""Mutation check of the test suite: does it fail on deliberate one-line faults?

    python benchmarks/mutation_check.py [--only NAME,...] [--list] [--no-baseline]
        [--timeout 900] [--keep DIR]

Copies the repository (its git-tracked and untracked-but-not-ignored files) to a temporary
directory named `tflc`, checks that every fault's test selection passes there unmutated (the
baseline: a fault "caught" by a test that fails anyway proves nothing), then applies one fault
of `mutation_faults.FAULTS` at a time, runs its selected tests with PYTHONPATH at the copy, and
restores the file. Prints one row per fault: caught or not, by which tests, seconds. Exits
non-zero when a fault survives, when a fault's line is not found exactly once, or when the
baseline fails. The working tree is never edited.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mutation_faults import FAULTS, Fault

REPO = Path(__file__).resolve().parents[1]
FAILED_LINE = re.compile(r"^(FAILED|ERROR) (\S+)")
GPU_TEST = re.compile(r"gpu|test_fallback_option")


@dataclass
class Outcome:
    fault: Fault
    caught: bool
    by: list[str]
    seconds: float
    note: str = ""


def copy_repository(dest: Path) -> None:
    """The files git would commit (tracked, and untracked ones not ignored), nothing built."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        rel = Path(os.fsdecode(raw))
        src = REPO / rel
        if not src.is_file():  # deleted in the work tree but still tracked
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel, follow_symlinks=False)


def run_pytest(
    copy: Path, selection: tuple[str, ...], timeout: float
) -> tuple[int, list[str], str]:
    """pytest's exit status, the failed or erroring test ids, and the output's tail."""
    env = dict(os.environ, PYTHONPATH=str(copy.parent), PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-rfE", "-p", "no:cacheprovider"]
    # The GPU tests run apart: next to them the TensorFlow modules skip themselves
    # (tests/tf_support.gpu_stack_loaded), and a selection of those would run nothing.
    gpu = [t for t in selection if GPU_TEST.search(t.split("::")[0])]
    groups = [g for g in (gpu, [t for t in selection if t not in gpu]) if g]
    status, failed, out = 0, [], ""
    for group in groups:
        try:
            done = subprocess.run(
                [*cmd, *group], cwd=copy, env=env, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            return -1, failed, f"timed out after {timeout:.0f} s"
        out = done.stdout + done.stderr
        failed += [m.group(2) for line in out.splitlines() if (m := FAILED_LINE.match(line))]
        status = status or done.returncode
    return status, failed, out[-2000:]


def apply_fault(copy: Path, fault: Fault) -> str:
    """Edits the copy; returns the file's original text to restore."""
    path = copy / fault.path
    original = path.read_text()
    count = original.count(fault.old)
    if count != 1:
        raise ValueError(f"{fault.name}: {fault.old!r} occurs {count} times in {fault.path}")
    path.write_text(original.replace(fault.old, fault.new))
    return original


def check_fault(copy: Path, fault: Fault, timeout: float) -> Outcome:
    start = time.monotonic()
    original = apply_fault(copy, fault)
    try:
        status, failed, tail = run_pytest(copy, fault.tests, timeout)
    finally:
        (copy / fault.path).write_text(original)
    seconds = time.monotonic() - start
    if status == -1:  # a hang is a failure the suite reports too (by its timeout)
        return Outcome(fault, True, ["(timeout)"], seconds)
    if status in (3, 4, 5):  # internal error, bad usage (an unknown test id), nothing selected
        raise RuntimeError(f"{fault.name}: pytest exited {status}: {tail.strip()[-500:]}")
    caught = status != 0
    note = "" if failed or not caught else tail.strip().splitlines()[-1]
    return Outcome(fault, caught, failed, seconds, note)


def short_test_id(test: str) -> str:
    return test.removeprefix("tests/")


def print_table(outcomes: list[Outcome]) -> None:
    width = max(len(o.fault.name) for o in outcomes)
    print(f"{'fault':<{width}}  caught  {'seconds':>7}  by")
    for o in outcomes:
        by = ", ".join(short_test_id(t) for t in o.by[:2]) + (" ..." if len(o.by) > 2 else "")
        caught = "yes" if o.caught else "NO"
        print(f"{o.fault.name:<{width}}  {caught:<6}  {o.seconds:7.0f}  {by or o.note}")
    survived = sum(not o.caught for o in outcomes)
    print(f"\n{len(outcomes) - survived} of {len(outcomes)} faults caught; {survived} survived")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", help="comma-separated fault names")
    p.add_argument("--list", action="store_true", help="print the faults and their tests")
    p.add_argument("--no-baseline", action="store_true", help="skip the unmutated run")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per fault")
    p.add_argument("--keep", type=Path, help="copy into this directory and keep it")
    args = p.parse_args()

    faults = list(FAULTS)
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {f.name for f in faults}
        if unknown:
            p.error(f"unknown fault(s) {', '.join(sorted(unknown))}")
        faults = [f for f in faults if f.name in wanted]
    if args.list:
        for f in faults:
            print(f"{f.name}: {f.path}: {f.old!r} -> {f.new!r}\n    tests: {' '.join(f.tests)}")
        return 0

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="tflc-mutation-"))
    copy = workdir / "tflc"  # the package's name, so PYTHONPATH=workdir imports the copy
    try:
        if copy.exists():
            shutil.rmtree(copy)
        copy.mkdir(parents=True)
        copy_repository(copy)
        for f in faults:  # every fault's line must be there before anything runs
            apply_fault(copy, f)
            shutil.copy2(REPO / f.path, copy / f.path)
        if not args.no_baseline:
            selection = [t for f in faults for t in f.tests]
            status, failed, tail = run_pytest(copy, tuple(dict.fromkeys(selection)), 4 * 3600)
            if status != 0:
                print(f"baseline: the selected tests fail unmutated ({failed or tail})")
                return 2
            print("baseline: every selected test passes unmutated\n")
        outcomes = []
        for f in faults:
            outcomes.append(check_fault(copy, f, args.timeout))
            o = outcomes[-1]
            print(
                f"  {f.name}: {'caught' if o.caught else 'SURVIVED'} ({o.seconds:.0f} s)",
                flush=True,
            )
        print()
        print_table(outcomes)
        return 0 if all(o.caught for o in outcomes) else 1
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
