"""`--mlir-print-ir-before/after[-all]` through MLIR's own IR printing instrumentation, and the
name of the upstream pass that failed.

MLIR's PassManager prints before or after every pass; its bindings take no per-pass filter. For
`--mlir-print-ir-after=cse` MLIR writes each dump into a file tree (one file per dump, named by
its order) in a temporary directory, and the dumps of the named passes are echoed to stderr, as
they were written, header included. The same tree receives MLIR's dump after a failed pass,
whose header names the pass: that is how a failure among several upstream passes in one
PassManager is attributed.
"""

from __future__ import annotations

import contextlib
import re
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# MLIR's dump header: `// -----// IR Dump After CSE (cse) //----- //`, `... After CSE Failed (cse)`
_HEADER = re.compile(
    r"IR Dump (?P<when>Before|After) .*?(?P<failed> Failed)? \((?P<argument>[^()]*)\) //"
)


@dataclass
class PrintingOutcome:
    failed_pass: str | None = None  # the pass argument MLIR reported failed, when asked


@contextlib.contextmanager
def printed(pm, instrumentation, name_failures: bool = False) -> Iterator[PrintingOutcome]:
    """Sets up `pm` to print as `instrumentation` asks while the block runs it; with
    `name_failures`, the outcome names the pass that failed."""
    outcome = PrintingOutcome()
    i = instrumentation
    before = bool(i and (i.print_before or i.print_before_all))
    after = bool(i and (i.print_after or i.print_after_all))
    limit = i.large_elements_limit if i else None
    filtered = bool(i and (i.print_before or i.print_after))
    if not filtered and not name_failures:
        if before or after:  # MLIR prints every dump to stderr itself
            pm.enable_ir_printing(
                print_before_all=before, print_after_all=after, large_elements_limit=limit
            )
        yield outcome
        return
    with tempfile.TemporaryDirectory(prefix="tflc-ir-") as tree:
        # MLIR dumps a failed pass when it prints after passes; "only on failure" keeps the
        # other dumps out where none was asked for.
        pm.enable_ir_printing(
            print_before_all=before,
            print_after_all=after or name_failures,
            print_after_failure=name_failures and not after,
            large_elements_limit=limit,
            tree_printing_dir_path=tree,
        )
        try:
            yield outcome
        finally:
            for dump in _dumps_in_order(Path(tree)):
                text = dump.read_text()
                m = _HEADER.search(text.split("\n", 1)[0])
                if m is None:
                    continue
                if m["failed"]:
                    outcome.failed_pass = m["argument"]
                if _wanted(m, i):
                    sys.stderr.write(text if text.endswith("\n\n") else text + "\n")
            sys.stderr.flush()


def _wanted(header: re.Match, i) -> bool:
    if i is None:
        return False
    if header["when"] == "Before":
        return i.print_before_all or header["argument"] in i.print_before
    if header["failed"]:  # MLIR's own printing shows a failed pass only after every pass
        return i.print_after_all
    return i.print_after_all or header["argument"] in i.print_after


def _dumps_in_order(tree: Path) -> list[Path]:
    """MLIR names a dump `<n>_<pass>.mlir`, nested ones `<n>_<m>_<pass>.mlir` in a folder per op."""

    def order(path: Path) -> tuple:
        numbers = re.match(r"[\d_]*", path.name)[0].strip("_")
        return tuple(int(n) for n in numbers.split("_") if n), str(path)

    return sorted(tree.rglob("*.mlir"), key=order)
