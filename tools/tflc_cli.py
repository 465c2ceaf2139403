"""`tflc`: the driver. Each subcommand lives with the library code it fronts.

A subcommand module provides `add_command(subparsers)`, which adds its parser and sets
`func=<callable(args) -> int>` as the parser default.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from tflc.tools.cli_common import run_main
from tflc.version import add_version_flag

# (module, subcommand) — imported lazily so `tflc run` never loads the compiler.
COMMANDS: list[tuple[str, str]] = [
    ("tflc.tools.run_cli", "run"),
    ("tflc.tools.convert_cli", "convert"),
    ("tflc.tools.compile_cli", "compile"),
    ("tflc.tools.optimize_cli", "optimize"),
    ("tflc.tools.quantize_cli", "quantize"),
]


def build_parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tflc", description="Ahead-of-time compiler for TensorFlow and TFLite models."
    )
    add_version_flag(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = argv[0] if argv and not argv[0].startswith("-") else None
    known = {command for _, command in COMMANDS}
    for module_name, command in COMMANDS:
        if wanted in known and command != wanted:
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name != module_name:
                raise
            continue  # a subcommand whose backend is not part of this build
        module.add_command(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    def go() -> int:
        args_list = sys.argv[1:] if argv is None else argv
        parser = build_parser(args_list)
        args = parser.parse_args(args_list)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return args.func(args)

    return run_main(go)


if __name__ == "__main__":
    sys.exit(main())
