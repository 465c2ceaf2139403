"""`tflc convert`: a SavedModel directory or .keras file -> .tflite.

tflc convert saved_model_dir -o model.tflite [--signature NAME] [--allow-select-tf-ops]
tflc convert model.keras -o model.mlir       # the tfl module as MLIR text
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_command(subparsers) -> None:
    p = subparsers.add_parser(
        "convert",
        help="convert a TensorFlow SavedModel or Keras model to .tflite",
        description="Convert a TensorFlow SavedModel directory or a .keras / .h5 file to TFLite.",
    )
    p.add_argument("model", help="SavedModel directory or .keras / .h5 file")
    p.add_argument(
        "-o", "--output", required=True, help="output .tflite (or .mlir for the tfl module text)"
    )
    p.add_argument("--signature", help="convert only this signature (default: all of them)")
    p.add_argument(
        "--allow-select-tf-ops",
        action="store_true",
        help="emit TensorFlow ops without a TFLite builtin as Flex custom ops",
    )
    p.add_argument(
        "--batch-size", type=int, default=1, help="value for unknown batch dims (default 1)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import tflc
    from tflc.converter import convert
    from tflc.tools.cli_common import check_output_file

    check_output_file(args.output)
    module = convert(
        args.model,
        args.signature,
        allow_select_tf_ops=args.allow_select_tf_ops,
        batch_size=args.batch_size,
    )
    out = Path(args.output)
    if out.suffix == ".mlir":
        out.write_text(tflc.to_text(module, elide_larger_than=None))
    else:
        tflc.save(module, out)
    return 0
