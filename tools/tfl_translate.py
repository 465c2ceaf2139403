"""`tfl-translate`: between .tflite flatbuffers and tfl MLIR text.

    tfl-translate --tflite-to-mlir model.tflite [-o model.mlir]
    tfl-translate --mlir-to-tflite model.mlir -o model.tflite
    tfl-translate --tf-to-mlir saved_model_dir|model.keras [--signature NAME] [-o model.mlir]

Constants larger than 16 elements print elided on a terminal and in full into files, so that a
saved .mlir always translates back exactly; `--elide-large-constants` / `--print-all-constants`
choose explicitly.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tflc.tools.cli_common import run_main
from tflc.version import add_version_flag


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tfl-translate", description="Translate between .tflite flatbuffers and tfl MLIR."
    )
    add_version_flag(p)
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument(
        "--tflite-to-mlir", action="store_true", help="import a .tflite flatbuffer to tfl MLIR text"
    )
    mode.add_argument(
        "--mlir-to-tflite", action="store_true", help="export tfl MLIR text to a .tflite flatbuffer"
    )
    mode.add_argument(
        "--tf-to-mlir",
        action="store_true",
        help="import a SavedModel directory or .keras file to tf dialect MLIR text",
    )
    p.add_argument("input", help="input file ('-' for stdin with --mlir-to-tflite)")
    p.add_argument(
        "-o", "--output", help="output file (default: stdout for MLIR; required for .tflite)"
    )
    elide = p.add_mutually_exclusive_group()
    elide.add_argument(
        "--elide-large-constants",
        dest="elide",
        action="store_true",
        default=None,
        help="print constants over 16 elements as dense_resource<__elided__>",
    )
    elide.add_argument(
        "--print-all-constants",
        dest="elide",
        action="store_false",
        help="print every constant in full",
    )
    p.add_argument(
        "--mlir-elide-elementsattrs-if-larger",
        type=int,
        metavar="N",
        help="elide constants with more than N elements",
    )
    p.add_argument("--no-debug-info", action="store_true", help="omit locations (tensor names)")
    p.add_argument("--signature", help="with --tf-to-mlir: the SavedModel signature (default: all)")
    return p


def _elide_limit(args: argparse.Namespace) -> int | None:
    from tflc.api import DEFAULT_ELIDE_LIMIT

    if args.mlir_elide_elementsattrs_if_larger is not None:
        return args.mlir_elide_elementsattrs_if_larger
    elide = args.elide if args.elide is not None else (args.output is None and sys.stdout.isatty())
    return DEFAULT_ELIDE_LIMIT if elide else None


def translate(args: argparse.Namespace) -> int:
    import tflc
    from tflc.api import read_mlir_text
    from tflc.errors import TflcError

    if args.tflite_to_mlir or args.tf_to_mlir:
        if args.tf_to_mlir:
            from tflc.converter import import_tf

            module = import_tf(args.input, args.signature)
        else:
            module = (
                tflc.load(args.input) if args.input != "-" else tflc.load(sys.stdin.buffer.read())
            )
        text = tflc.to_text(module, _elide_limit(args), debug_info=not args.no_debug_info)
        if args.output:
            Path(args.output).write_text(text)
        else:
            sys.stdout.write(text)
        return 0
    if not args.output:
        raise TflcError("--mlir-to-tflite needs -o <file.tflite>", "tfl-translate")
    source = args.input
    text = read_mlir_text(source, "is it a .tflite file? use --tflite-to-mlir")
    if "dense_resource<__elided__>" in text:
        raise TflcError(
            "constants were elided when this file was printed; re-print it with --print-all-constants",
            source,
        )
    module = tflc.parse(text, source)
    tflc.save(module, args.output)
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_main(lambda: translate(build_parser().parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
