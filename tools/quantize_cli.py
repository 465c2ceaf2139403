"""`tflc quantize model.tflite --mode {dynamic,float16,int8,int16x8} -o out.tflite`."""

from __future__ import annotations

import argparse


def add_command(subparsers) -> None:
    p = subparsers.add_parser(
        "quantize",
        help="quantize a float .tflite model",
        description="Quantize a float .tflite model: float16 weights, dynamic-range int8 "
        "weights, or full int8 or 16x8 (int16 activations, int8 weights) calibrated on a "
        "representative dataset.",
    )
    p.add_argument("model", help="float .tflite file or tfl .mlir module")
    p.add_argument("--mode", required=True, choices=["dynamic", "float16", "int8", "int16x8"])
    p.add_argument(
        "--calibration",
        metavar="DATA",
        help="int8, int16x8: an .npz (one array per input, named as the input or arr_0, arr_1, ... in "
        "input order, samples stacked on a leading axis) or a directory of .npz / .npy samples",
    )
    p.add_argument(
        "--calibration-method",
        metavar="METHOD",
        help="int8, int16x8: how each tensor's range is taken from the samples: minmax (over "
        "all samples), moving-average (of per-sample min/max) or mse (clipping that minimizes "
        "the int8 quantization error; int8 only); default: mse (int16x8: minmax)",
    )
    p.add_argument(
        "--no-bias-correction",
        action="store_true",
        help="int8: keep the biases as calibrated (by default the mean int8 error of each "
        "conv / fully-connected output on the calibration samples is folded into its bias, "
        "unless that takes the outputs further from float)",
    )
    p.add_argument(
        "--io",
        default="float32",
        choices=["float32", "int8", "uint8", "int16"],
        help="I/O type: int8 or uint8 with --mode int8, int16 with --mode int16x8",
    )
    p.add_argument("--per-tensor", action="store_true", help="one weight scale per tensor")
    p.add_argument("--no-optimize", action="store_true", help="skip the optimization pipeline")
    p.add_argument("-o", "--output", required=True, help="output .tflite file")
    p.add_argument(
        "--report",
        metavar="FILE.csv|FILE.png|DIR",
        help="int8: print the per-layer error of the int8 model against the float model on "
        "the calibration samples (SQNR, scale, zero point, range used, clipped share) and "
        "write it as a CSV table, a PNG plot of per-layer SQNR, or both into DIR",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import tflc
    from tflc.errors import TflcError
    from tflc.quantizer import quantize
    from tflc.tools.cli_common import check_output_file

    if not Path(args.model).is_file():
        raise TflcError("no such file", args.model)
    check_output_file(args.output)
    report_files = _report_files(args) if args.report else []
    module = quantize(
        args.model,
        mode=args.mode,
        calibration=args.calibration,
        io=args.io,
        per_tensor=args.per_tensor,
        optimize=not args.no_optimize,
        progress=True,
        calibration_method=args.calibration_method,
        bias_correction=not args.no_bias_correction,
    )
    tflc.save(module, args.output)
    if report_files:
        from tflc.quantizer import quantization_report

        report = quantization_report(
            args.model, module, args.calibration, optimize=not args.no_optimize
        )
        print(report.table())
        for path in report_files:
            (report.write_png if path.suffix == ".png" else report.write_csv)(path)
            print(f"wrote {path}")
    return 0


def _report_files(args: argparse.Namespace) -> list:
    """The files `--report` names, checked before the quantization runs."""
    from pathlib import Path

    from tflc.errors import TflcError
    from tflc.tools.cli_common import check_output_file

    if args.mode != "int8" or args.calibration is None:
        raise TflcError("the per-layer report needs --mode int8 and --calibration", "--report")
    target = Path(args.report)
    if target.suffix in (".csv", ".png"):
        check_output_file(args.report)
        return [target]
    if target.exists() and not target.is_dir():
        raise TflcError("give a .csv or .png file, or a directory", args.report)
    target.mkdir(parents=True, exist_ok=True)
    return [target / "quantization_report.csv", target / "quantization_report.png"]
