"""`tflc optimize in.tflite -o out.tflite`: the default optimization pipeline on a model."""

from __future__ import annotations

import argparse


def add_command(subparsers) -> None:
    p = subparsers.add_parser(
        "optimize",
        help="fold, fuse and clean up a .tflite model",
        description="Run tflc's optimization pipeline (constant folding, fusions, CSE, DCE) "
        "on a .tflite model or a tfl .mlir module.",
    )
    p.add_argument("model", help=".tflite file or .mlir module")
    p.add_argument("-o", "--output", required=True, help="output .tflite (or .mlir) file")
    p.add_argument("--pipeline", default=None, help="passes to run instead of the default pipeline")
    p.add_argument("-v", "--verbose", action="store_true", help="print op counts")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import tflc
    from tflc.errors import TflcError
    from tflc.passes.optimize import count_ops, optimize
    from tflc.passes.registry import run_pipeline
    from tflc.tools.cli_common import check_output_file

    if not Path(args.model).is_file():
        raise TflcError("no such file", args.model)
    check_output_file(args.output)
    module = tflc.load(args.model)
    before = count_ops(module.operation)
    if args.pipeline:
        run_pipeline(module, args.pipeline, source=args.model)
    else:
        optimize(module, args.model)
    after = count_ops(module.operation)
    if args.output.endswith(".mlir"):
        Path(args.output).write_text(tflc.to_text(module, elide_larger_than=None))
    else:
        tflc.save(module, args.output)
    if args.verbose:
        print(f"ops (constants included): {before} -> {after}")
    return 0
