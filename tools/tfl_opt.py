"""`tfl-opt`: run a pass pipeline over tfl MLIR, as mlir-opt does.

tfl-opt in.mlir -p 'tfl-dce,canonicalize' [-o out.mlir]
tfl-opt in.mlir --tfl-dce --canonicalize            # the same, passes as flags, in order
tfl-opt in.mlir --tfl-dce --mlir-timing --mlir-print-ir-after=tfl-dce
tfl-opt in.mlir --split-input-file --verify-diagnostics
tfl-opt in.mlir -p PIPELINE --mlir-pass-pipeline-crash-reproducer repro.mlir
tfl-opt --list-passes
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from tflc.errors import TflcError
from tflc.tools.cli_common import run_main
from tflc.version import add_version_flag

SPLIT_MARKER = "// -----"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tfl-opt",
        description="Run tflc and upstream MLIR passes over tfl MLIR. Passes are given with -p "
        "or as flags in the order they run (--tfl-dce --canonicalize; options as "
        "--canonicalize='max-iterations=3').",
        allow_abbrev=False,  # a pass flag must never be read as an abbreviated option
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
        "--mlir-print-ir-before-all", action="store_true", help="print the IR before every pass"
    )
    p.add_argument(
        "--mlir-print-ir-after-all", action="store_true", help="print the IR after every pass"
    )
    p.add_argument(
        "--mlir-print-ir-before",
        action="append",
        default=[],
        metavar="PASS",
        help="print the IR before the named passes (comma-separated, repeatable)",
    )
    p.add_argument(
        "--mlir-print-ir-after",
        action="append",
        default=[],
        metavar="PASS",
        help="print the IR after the named passes (comma-separated, repeatable)",
    )
    p.add_argument(
        "--mlir-timing", action="store_true", help="print a per-pass timing report on stderr"
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


def pipeline_from_flags(extras: list[str], pipeline: str) -> str:
    """`--tfl-dce --canonicalize='max-iterations=3'` -> `tfl-dce,canonicalize{max-iterations=3}`."""
    elements = []
    for arg in extras:
        if not arg.startswith("-") or arg == "-":
            raise TflcError(f"unexpected argument '{arg}' (one input file at most)", "tfl-opt")
        name, has_options, options = arg.lstrip("-").partition("=")
        if not is_pass(name):
            raise TflcError(f"unknown option or pass '{arg}' (see --list-passes)", "tfl-opt")
        elements.append(f"{name}{{{options}}}" if has_options else name)
    if elements and pipeline:
        raise TflcError("give the passes either as flags or with -p, not both", "tfl-opt")
    return ",".join(elements) or pipeline


def is_pass(name: str) -> bool:
    """A tflc pass, or an upstream MLIR pass that MLIR's registry knows by that name."""
    from mlir import ir
    from mlir.passmanager import PassManager
    from tflc.passes import get_all_passes

    if name in get_all_passes():
        return True
    with ir.Context():
        try:
            PassManager.parse(f"builtin.module({name})")
        except ValueError:
            return False
    return True


def instrumentation(args: argparse.Namespace):
    """What the --mlir-print-ir-* and --mlir-timing flags ask of the pipeline."""
    from tflc.passes.registry import Instrumentation

    def names(option: str, values: list[str]) -> frozenset[str]:
        found = frozenset(n.strip() for v in values for n in v.split(",") if n.strip())
        for name in found:
            if not is_pass(name):
                raise TflcError(f"unknown pass '{name}'", option)
        return found

    return Instrumentation(
        print_before=names("--mlir-print-ir-before", args.mlir_print_ir_before),
        print_after=names("--mlir-print-ir-after", args.mlir_print_ir_after),
        print_before_all=args.mlir_print_ir_before_all,
        print_after_all=args.mlir_print_ir_after_all,
        timing=args.mlir_timing,
        large_elements_limit=args.mlir_elide_elementsattrs_if_larger,
    )


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
                instrumentation=args.instrumentation,
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
    args.instrumentation = instrumentation(args)
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


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    args, extras = build_parser().parse_known_args(argv)
    args.pipeline = pipeline_from_flags(extras, args.pipeline)
    return args


def main(argv: list[str] | None = None) -> int:
    return run_main(lambda: optimize(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
