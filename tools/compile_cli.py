"""`tflc compile model.tflite --target {cpu,gpu,mcu,tflite} -o out/`."""

from __future__ import annotations

import argparse
import json

from tflc.backends import fallback_option


def add_command(subparsers) -> None:
    p = subparsers.add_parser(
        "compile",
        help="compile a model for a target",
        description="Compile a .tflite model (or tfl .mlir) for a target.",
    )
    p.add_argument("model", help=".tflite file or .mlir module")
    p.add_argument("--target", default="cpu", help="cpu, gpu, mcu or tflite (default: cpu)")
    p.add_argument("-o", "--output", required=True, help="output directory")
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="backend option (repeatable)",
    )
    p.add_argument(
        fallback_option.CLI_FLAG,
        choices=fallback_option.ACCEPTED,
        help=fallback_option.CLI_HELP,
    )
    p.add_argument(
        "--max-arena",
        type=int,
        metavar="BYTES",
        help="mcu: fail, writing nothing, when the arena would need more than BYTES",
    )
    p.add_argument(
        "--custom-kernel",
        action="append",
        default=[],
        metavar="CODE=FILE.c",
        help="mcu: the C kernel for custom ops with custom code CODE, defining "
        "void tflc_custom_CODE(const tflc_custom_args *args) (repeatable)",
    )
    p.add_argument(
        "--dump-ir",
        metavar="DIR",
        help="write the module after each stage (01-import.mlir, then one file per pass and "
        "per backend lowering, numbered in the order they ran) into DIR",
    )
    p.add_argument(
        "--report",
        metavar="FILE.png",
        help="mcu: draw the arena timeline (each tensor a bar over the kernel calls it lives "
        "through, at its arena offset) into FILE.png",
    )
    p.set_defaults(func=run)


def parse_options(pairs: list[str]) -> dict[str, object]:
    from tflc.errors import TflcError

    options: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise TflcError(f"expected KEY=VALUE, got '{pair}'", "--option")
        try:
            options[key.replace("-", "_")] = json.loads(value)
        except json.JSONDecodeError:
            options[key.replace("-", "_")] = value
    return options


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tflc.compiler import compile
    from tflc.errors import TflcError
    from tflc.tools.cli_common import check_output_file

    if Path(args.output).exists() and not Path(args.output).is_dir():
        raise TflcError("exists and is not a directory; -o names the output directory", args.output)
    if args.report:
        if args.target != "mcu":
            raise TflcError("the arena timeline is drawn for --target mcu", "--report")
        if not args.report.endswith(".png"):
            raise TflcError("give a .png file", args.report)
        check_output_file(args.report)
    options = parse_options(args.option)
    if args.max_arena is not None:
        options["max_arena"] = args.max_arena
    if args.fallback and args.fallback != fallback_option.NONE:
        options[fallback_option.OPTION] = args.fallback
    if args.dump_ir:
        options["dump_ir"] = args.dump_ir
    if args.custom_kernel:
        pairs = [pair.partition("=") for pair in args.custom_kernel]
        if any(not sep for _, sep, _ in pairs):
            raise TflcError("expected CODE=FILE.c", "--custom-kernel")
        options["custom_kernels"] = {code: path for code, _, path in pairs}
    compiled = compile(args.model, target=args.target, **options)
    compiled.save(args.output)
    for key, value in compiled.report.items():
        print(f"{key}: {value}")
    if args.report:
        from tflc.backends.mcu.arena_timeline import write_arena_timeline

        print(f"wrote {write_arena_timeline(compiled, args.report)}")
    return 0
