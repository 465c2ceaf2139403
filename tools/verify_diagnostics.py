"""`--verify-diagnostics`: errors must match `// expected-error@+N {{...}}` comments, as in mlir-opt.

Supported forms: `expected-error {{msg}}` (same line), `@+N` / `@-N` (relative line), `@above`,
`@below`. Every expected error must be produced and every produced error expected.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

from tflc.errors import TflcError

_EXPECTED = re.compile(r"expected-error(?:@(?P<where>[+-]\d+|above|below))?\s*\{\{(?P<msg>.*?)\}\}")


def expected_errors(chunk: str) -> list[tuple[int, str]]:
    found = []
    for i, line in enumerate(chunk.split("\n"), start=1):
        for m in _EXPECTED.finditer(line):
            where = m["where"]
            target = i
            if where == "above":
                target = i - 1
            elif where == "below":
                target = i + 1
            elif where:
                target = i + int(where)
            found.append((target, m["msg"].strip()))
    return found


def _error_line(e: TflcError) -> int | None:
    line = getattr(e, "line", None)
    if line is not None:
        return line
    m = re.match(r".*:(\d+):\d+$", e.where or "")
    return int(m.group(1)) if m else None


def verify_diagnostics(chunks: list[str], run: Callable[[str], str], source: str) -> int:
    failures = []
    for chunk in chunks:
        expected = expected_errors(chunk)
        produced: list[tuple[int | None, str]] = []
        try:
            run(chunk)
        except TflcError as e:
            produced.append((_error_line(e), e.what))
        for line, msg in expected:
            if not any(pl == line and msg in pm for pl, pm in produced):
                failures.append(f"{source}:{line}: expected error not produced: {msg}")
        for line, msg in produced:
            if not any(el == line and em in msg for el, em in expected):
                failures.append(f"{source}:{line}: unexpected error: {msg}")
    for f in failures:
        print(f"error: {f}", file=sys.stderr)
    return 1 if failures else 0
