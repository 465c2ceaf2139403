"""What every tflc command line shares: `error: <where>: <what>` and exit 1, never a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable

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
