"""`--mlir-print-ir-before/after[-all]` through MLIR's own IR printing instrumentation.

MLIR's PassManager prints before or after every pass; its bindings take no per-pass filter. For
`--mlir-print-ir-after=cse` MLIR writes each dump into a file tree (one file per dump, named by
its order) in a temporary directory, and the dumps of the named passes are echoed to stderr, as
they were written, header included.
"""

from __future__ import annotations

import contextlib
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

# MLIR's dump header: `// -----// IR Dump After CSE (cse) //----- //`
_HEADER = re.compile(r"IR Dump (?P<when>Before|After) .*\((?P<argument>[^()]*)\) //")


@contextlib.contextmanager
def printed(pm, instrumentation) -> Iterator[None]:
    """Sets up `pm` to print as `instrumentation` asks while the block runs it."""
    i = instrumentation
    if i is None or not (
        i.print_before or i.print_after or i.print_before_all or i.print_after_all
    ):
        yield
        return
    before = bool(i.print_before or i.print_before_all)
    after = bool(i.print_after or i.print_after_all)
    if not (i.print_before or i.print_after):
        pm.enable_ir_printing(
            print_before_all=before,
            print_after_all=after,
            large_elements_limit=i.large_elements_limit,
        )
        yield
        return
    with tempfile.TemporaryDirectory(prefix="tflc-ir-") as tree:
        pm.enable_ir_printing(
            print_before_all=before,
            print_after_all=after,
            large_elements_limit=i.large_elements_limit,
            tree_printing_dir_path=tree,
        )
        try:
            yield
        finally:
            for dump in _dumps_in_order(Path(tree)):
                text = dump.read_text()
                if _wanted(text, i):
                    sys.stderr.write(text if text.endswith("\n\n") else text + "\n")
            sys.stderr.flush()


def _wanted(dump: str, i) -> bool:
    m = _HEADER.search(dump.split("\n", 1)[0])
    if m is None:
        return False
    if m["when"] == "Before":
        return i.print_before_all or m["argument"] in i.print_before
    return i.print_after_all or m["argument"] in i.print_after


def _dumps_in_order(tree: Path) -> list[Path]:
    """MLIR names a dump `<n>_<pass>.mlir`, nested ones `<n>_<m>_<pass>.mlir` in a folder per op."""

    def order(path: Path) -> tuple:
        numbers = re.match(r"[\d_]*", path.name)[0].strip("_")
        return tuple(int(n) for n in numbers.split("_") if n), str(path)

    return sorted(tree.rglob("*.mlir"), key=order)
