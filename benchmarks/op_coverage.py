"""Which builtins of the op table each target runs: the interpreter, cpu, mcu and gpu.

    python benchmarks/op_coverage.py [--missing] [--json]

Every answer is read off the target's own registry, never a list kept here: the interpreter's
kernel registry (`runtime/kernels.KERNELS`), the cpu module builder's emitters
(`backends/cpu/module_builder`: float kernels, and the int8 ones with the ops whose kernel moves
elements of any type), the mcu op table (`backends/mcu/op_lowerings.HANDLERS`; its registry does
not tell float from int8, so mcu has one column) and the gpu lowering's `shader_ops()`
(elementwise and anchor tables, reshape-like aliases). The gpu target runs int8 ops in float (as
TFLite's GPU delegate does): its int8 column is its float ops plus `quantize` / `dequantize`
(`backends/gpu/quantized.QUANTIZE_OPS`), which count only there.
Ops a target folds only on constant operands (`dequantize` of float16 weights) count as
missing. `int8 form` marks the ops tflc's int8 quantizer produces
(`runtime/op_traits.INT8_RULES`), which need an int8 kernel.

Prints one row per op and a summary; exits non-zero when a target misses an op the interpreter
runs (issue 17's goal: every op on every target, except documented exclusions: each target's
`EXCLUDED` table, op -> why, beside its registry; `--missing` prints them with the reasons).
"""

from __future__ import annotations

import argparse
import json
import sys

from tflc.backends.cpu import module_builder as cpu
from tflc.backends.cpu.exclusions import EXCLUDED as CPU_EXCLUDED
from tflc.backends.gpu import lowering as gpu
from tflc.backends.gpu.exclusions import EXCLUDED as GPU_EXCLUDED
from tflc.backends.gpu.exclusions import STORAGE_OPS_REASON as GPU_STORAGE_OPS_REASON
from tflc.backends.gpu.quantized import QUANTIZE_OPS as GPU_QUANTIZE_OPS
from tflc.backends.mcu.op_lowerings import EXCLUDED as MCU_EXCLUDED
from tflc.backends.mcu.op_lowerings import HANDLERS as MCU_HANDLERS
from tflc.dialects.tfl_ops import op_table
from tflc.runtime import kernels
from tflc.runtime.op_traits import INT8_RULES

COLUMNS = ("interpreter", "cpu float", "cpu int8", "mcu", "gpu float", "gpu int8", "int8 form")
# column -> op -> why the target does not run it (documented exclusions, not gaps)
EXCLUSIONS = {
    "cpu float": CPU_EXCLUDED,
    "mcu": {op.removeprefix("tfl."): why for op, why in MCU_EXCLUDED.items()},
    "gpu float": {**GPU_EXCLUDED, **dict.fromkeys(GPU_QUANTIZE_OPS, GPU_STORAGE_OPS_REASON)},
    "gpu int8": GPU_EXCLUDED,
}


def coverage() -> dict[str, dict[str, bool]]:
    """op name (tfl dialect spelling) -> column -> supported."""
    kernels.lookup("ADD")  # loads the builtin kernel modules into the registry
    gpu_ops = gpu.shader_ops() - GPU_QUANTIZE_OPS
    rows = {}
    for opcode, d in sorted(op_table().items()):
        rows[d.name] = {
            "interpreter": opcode in kernels.KERNELS,
            "cpu float": d.name in cpu.FLOAT_OPS,
            "cpu int8": d.name in cpu.INT8_CAPABLE_OPS,
            "mcu": d.mlir_name in MCU_HANDLERS,
            "gpu float": d.name in gpu_ops,
            "gpu int8": d.name in gpu_ops | GPU_QUANTIZE_OPS,
            "int8 form": opcode in INT8_RULES,
        }
    return rows


def missing(rows: dict[str, dict[str, bool]], column: str) -> list[str]:
    """Ops the interpreter runs that `column` lacks (int8 columns: only ops with an int8 form),
    less its documented exclusions."""
    int8 = "int8" in column
    excluded = EXCLUSIONS.get(column, {})
    return [
        op
        for op, r in rows.items()
        if r["interpreter"]
        and not r[column]
        and (r["int8 form"] or not int8)
        and op not in excluded
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--missing", action="store_true", help="list what each target lacks")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    args = parser.parse_args()
    rows = coverage()
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print(f"{'op':34}" + "".join(f"{c:>13}" for c in COLUMNS))
        for op, r in rows.items():
            print(f"{op:34}" + "".join(f"{'yes' if r[c] else '-':>13}" for c in COLUMNS))
    print(f"\n{len(rows)} ops in the op table")
    failed = False
    for column in COLUMNS[:-1]:
        total = sum(r[column] for r in rows.values())
        gaps = [] if column == "interpreter" else missing(rows, column)
        failed |= bool(gaps)
        line = f"{column:12} {total:4} ops"
        excluded = {
            op: why
            for op, why in EXCLUSIONS.get(column, {}).items()
            if op in rows
            and rows[op]["interpreter"]
            and not rows[op][column]
            and (rows[op]["int8 form"] or "int8" not in column)
        }
        if column != "interpreter":
            line += f", {len(gaps)} that the interpreter runs are missing"
        if excluded:
            line += f", {len(excluded)} excluded"
        print(line)
        if args.missing and gaps:
            print("    " + " ".join(gaps))
        if args.missing and excluded:
            for why in dict.fromkeys(excluded.values()):
                ops = " ".join(op for op, w in excluded.items() if w == why)
                print(f"    excluded ({why}): {ops}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
