"""What every tflc command line shares: `error: <where>: <what>` and exit 1, never a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from tflc.errors import TflcError


def run_main(main: Callable[[], int]) -> int:
    try:
        return main()
    except TflcError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as e:  # an output that cannot be written, a file that cannot be read
        where = e.filename if e.filename is not None else "file"
        print(f"error: {where}: {e.strerror or e}", file=sys.stderr)
        return 1


def check_output_file(path: str) -> None:
    """Refuses an output path that cannot be a file before the work that would fill it."""
    out = Path(path)
    if out.is_dir():
        raise TflcError("is a directory; give a file name", path)
    if not out.parent.is_dir():
        raise TflcError(f"directory '{out.parent}' does not exist", path)
