"""tflc.convert vs TensorFlow's converter, one TensorFlow op at a time (tests/tf_op_programs.py).

    python benchmarks/tf_op_parity.py            # every op
    python benchmarks/tf_op_parity.py Conv3D Einsum

Prints one row per op: what TensorFlow's converter gives (builtins, flex, fails; "builtins,
LiteRT fails" or "builtins, mismatch" when LiteRT cannot run its model or disagrees with
TensorFlow), what tflc gives (matches, converts but differs, error), and the max relative
error of tflc's model against TensorFlow (LiteRT and tflc's interpreter; statistics for the
random ops) and against TensorFlow's converter's model (both in LiteRT). Exits 1 when tflc is behind on any op: TensorFlow's converter gives builtins that
LiteRT runs right and tflc does not.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))

import tf_op_parity  # noqa: E402  (imports tflc, then TensorFlow)
import tf_op_programs  # noqa: E402


def _number(x: float | None) -> str:
    return "" if x is None else f"{x:.1e}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ops", nargs="*", help="case names (default: all)")
    args = parser.parse_args()
    names = args.ops or list(tf_op_programs.PROGRAMS)
    rows = []
    for name in names:
        row = tf_op_parity.check(name, tf_op_programs.build(name))
        rows.append(row)
        print(
            f"{name:28s} {row.tf_result:22s} {_number(row.error):>8s} "
            f"{_number(row.error_vs_tf_model):>8s}  {row.tflc_result}"
            + "".join(f"; {d}" for d in row.version_differences),
            flush=True,
        )
    print("\n| op | TF converter | tflc | max rel. error vs TF | vs TF's .tflite |")
    print("| --- | --- | --- | ---: | ---: |")
    for row in rows:
        print(
            f"| {row.op} | {row.tf_result} | {row.tflc_result} | {_number(row.error)} "
            f"| {_number(row.error_vs_tf_model)} |"
        )
    behind = [row.op for row in rows if row.behind]
    print(
        f"\n{len(rows)} ops, {sum(r.tf_runs_builtins for r in rows)} that TensorFlow's converter "
        f"gives as builtins LiteRT runs; tflc behind on {len(behind)}: {', '.join(behind)}"
    )
    return 1 if behind else 0


if __name__ == "__main__":
    sys.exit(main())
