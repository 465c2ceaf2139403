"""`tfl-opt`: run a pass pipeline over tfl MLIR, as mlir-opt does.

tfl-opt in.mlir -p 'tfl-dce,canonicalize' [-o out.mlir]
tfl-opt in.mlir --split-input-file --verify-diagnostics
tfl-opt in.mlir -p PIPELINE --mlir-pass-pipeline-crash-reproducer repro.mlir
tfl-opt --list-passes
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from tflc.tools.cli_common import run_main
from tflc.version import add_version_flag

SPLIT_MARKER = "// -----"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tfl-opt", description="Run tflc and upstream MLIR passes over tfl MLIR."
    )
    p.add_argument("input", nargs="?", default="-", help="input .mlir file (default: stdin)")
    p.add_argument(
        "-p",
        "--pass-pipeline",
        dest="pipeline",
        default="",
        help="comma-separated passes, e.g. 'tfl-dce,cse'",
    )
    p.add_argument("-o", "--output", help="output file (default: stdout)")
    p.add_argument(
        "--split-input-file",
        action="store_true",
        help=f"process each chunk between '{SPLIT_MARKER}' lines separately",
    )
    p.add_argument(
        "--verify-diagnostics",
        action="store_true",
        help="check errors against expected-error comments",
    )
    p.add_argument(
        "--mlir-print-ir-after-all", action="store_true", help="print the IR after every pass"
    )
    p.add_argument(
        "--mlir-elide-elementsattrs-if-larger",
        type=int,
        metavar="N",
        help="elide constants with more than N elements",
    )
    p.add_argument("--mlir-print-debuginfo", action="store_true", help="print locations")
    p.add_argument(
        "--mlir-pass-pipeline-crash-reproducer",
        dest="reproducer",
        metavar="FILE",
        help="when the pipeline fails, save the IR that entered it to FILE",
    )
    add_version_flag(p)
    p.add_argument("--list-passes", action="store_true", help="list tflc passes and exit")
    return p


def list_passes() -> int:
    from tflc.passes import get_all_passes

    passes = get_all_passes()
    width = max((len(n) for n in passes), default=0)
    print("tflc passes:")
    for name, p in passes.items():
        print(f"  {name.ljust(width)}  {p.summary}")
    print(
        "Upstream MLIR passes (canonicalize, cse, symbol-dce, inline, ...) are available by name."
    )
    return 0


def split_chunks(text: str) -> list[str]:
    """Chunks padded with blank lines, so every line number is the line in the whole file."""
    chunks, current, start = [], [], 0
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.strip() == SPLIT_MARKER:
            chunks.append("\n" * start + "\n".join(current))
            current, start = [], i + 1
        else:
            current.append(line)
    chunks.append("\n" * start + "\n".join(current))
    return chunks


def process_chunk(chunk: str, args: argparse.Namespace, source: str) -> str:
    import tflc
    from tflc.passes import run_pipeline
    from tflc.passes.registry import PipelineError

    module = tflc.parse(chunk, source)
    if args.pipeline:
        # Printed before the pipeline changes the module, only when a reproducer is asked for.
        original = tflc.to_text(module, None, debug_info=True) if args.reproducer else ""
        try:
            run_pipeline(
                module,
                args.pipeline,
                print_ir_after_all=args.mlir_print_ir_after_all,
                source=source,
            )
        except PipelineError as e:
            e.what += "\n" + reproducer(original, args, source)
            raise
    return tflc.to_text(
        module, args.mlir_elide_elementsattrs_if_larger, debug_info=args.mlir_print_debuginfo
    )


def reproducer(ir_text: str, args: argparse.Namespace, source: str) -> str:
    """The command that replays a failed pipeline. The input file replays it as it is; a copy of
    the IR is written only where the user asked for one (stdin has nothing to point at)."""
    pipeline = shlex.quote(args.pipeline)
    if args.reproducer:
        Path(args.reproducer).write_text(ir_text)
        return f"note: reproduce with: tfl-opt {shlex.quote(args.reproducer)} -p {pipeline}"
    if args.input == "-":
        return (
            "note: rerun with --mlir-pass-pipeline-crash-reproducer FILE to save the IR "
            "that entered the pipeline"
        )
    split = " --split-input-file" if args.split_input_file else ""
    return f"note: reproduce with: tfl-opt {shlex.quote(source)} -p {pipeline}{split}"


def optimize(args: argparse.Namespace) -> int:
    from tflc.api import read_mlir_text

    if args.list_passes:
        return list_passes()
    source = "<stdin>" if args.input == "-" else args.input
    text = read_mlir_text(args.input, "for a .tflite file use tfl-translate --tflite-to-mlir")
    chunks = split_chunks(text) if args.split_input_file else [text]
    if args.verify_diagnostics:
        from tflc.tools.verify_diagnostics import verify_diagnostics

        return verify_diagnostics(chunks, lambda c: process_chunk(c, args, source), source)
    outputs = [process_chunk(c, args, source) for c in chunks]
    result = f"\n{SPLIT_MARKER}\n".join(o.rstrip("\n") for o in outputs) + "\n"
    if args.output:
        Path(args.output).write_text(result)
    else:
        sys.stdout.write(result)
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_main(lambda: optimize(build_parser().parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
