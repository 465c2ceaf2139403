"""`tflc run`: runs a .tflite model in the interpreter, without compiling it, or as compiled
cpu code (`--target cpu` compiles it first; a directory saved by `tflc compile --target cpu`
runs as it is).

    tflc run model.tflite --input x.npy [--input y.npy] [--output out.npz] [--profile]
    tflc run model.tflite --target cpu --random-inputs --profile   # per-kernel times
    tflc run model.tflite --random-inputs --threads 2 --runs 10     # interpreter on 2 threads

Inputs are .npy files in the model's input order (or one .npz keyed by input name); outputs go
to an .npz keyed by output name, or are summarized on stdout.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from tflc.errors import TflcError
from tflc.runtime.interpreter import Interpreter


def add_run_command(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "run",
        help="run a .tflite model in the numpy interpreter",
        description="Run a .tflite model in tflc's interpreter (no compilation).",
    )
    p.add_argument("model", help="the .tflite file, or a directory of a compiled cpu model")
    p.add_argument(
        "--target",
        choices=["interpreter", "cpu"],
        default="interpreter",
        help="run in the interpreter (default) or compile for this cpu first",
    )
    p.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a cpu target option, with --target cpu (repeatable)",
    )
    p.add_argument(
        "--input",
        "-i",
        action="append",
        default=[],
        metavar="FILE",
        help="an input: .npy (repeat once per model input, in order) or one .npz by name",
    )
    p.add_argument(
        "--random-inputs",
        action="store_true",
        help="run on seeded random inputs instead of --input files",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of --random-inputs (default 0)")
    p.add_argument("--output", "-o", metavar="FILE.npz", help="save the outputs to an .npz")
    p.add_argument(
        "--profile",
        action="store_true",
        help="print per-op timings (run order and summary by op type); of every kernel of "
        "the generated code for a compiled model",
    )
    p.add_argument("--runs", type=int, default=1, help="invocations to time (default 1)")
    p.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="threads: the interpreter's num_threads (default: LiteRT's, one), or the compiled "
        "model's num_threads with --target cpu (default: its compile option)",
    )
    p.add_argument(
        "--float-order",
        choices=["auto", "litert", "blas"],
        default="auto",
        help="float sums in LiteRT's builtin kernels' order (bit-exact, slower) or BLAS order; "
        "auto: LiteRT's for dynamic-range models (default)",
    )
    p.set_defaults(func=run_command)
    return p


add_command = add_run_command  # the name the `tflc` driver looks for


def run_command(args: argparse.Namespace) -> int:
    if args.runs < 1:
        raise TflcError("--runs must be at least 1", "tflc run")
    if args.target == "cpu" or Path(args.model).is_dir():
        return _run_compiled(args)
    if args.option:
        raise TflcError("--option needs --target cpu", "tflc run")
    interp = Interpreter(
        model_path=args.model, float_order=args.float_order, num_threads=args.threads
    )
    inputs = _inputs(args, interp.get_input_details())
    profile = interp.enable_profiling() if args.profile else None
    for _ in range(args.runs):
        outputs = interp(*inputs)
    _print_outputs(args, interp.get_output_details(), outputs)
    if profile is not None:
        print(profile.report())
    return 0


def _run_compiled(args: argparse.Namespace) -> int:
    if Path(args.model).is_dir():
        from tflc.runtime.cpu_loader import load_compiled

        compiled = load_compiled(args.model)
    else:  # the one place `tflc run` needs the compiler; plain runs never load it
        from tflc.compiler import compile as tflc_compile
        from tflc.tools.compile_cli import parse_options

        options = parse_options(args.option)
        if args.threads is not None:
            options.setdefault("num_threads", args.threads)
        compiled = tflc_compile(args.model, target="cpu", **options)
    if args.threads is not None:
        if args.threads < 1:
            raise TflcError("--threads must be at least 1 for compiled code", "tflc run")
        compiled.num_threads = args.threads
    inputs = _inputs(args, _details(compiled.inputs))
    for _ in range(args.runs):
        outputs = compiled(*inputs)
    _print_outputs(args, _details(compiled.outputs), outputs)
    if args.profile:
        print(compiled.profile_kernels(*inputs, runs=args.runs).report())
    return 0


def _details(descriptors: list[dict]) -> list[dict]:
    """A compiled model's tensor descriptors as the interpreter's details read here."""
    return [
        {"name": d["name"], "shape": np.array(d["shape"]), "dtype": np.dtype(d["dtype"])}
        for d in descriptors
    ]


def _inputs(args: argparse.Namespace, details: list[dict]) -> list[np.ndarray]:
    if args.random_inputs:
        if args.input:
            raise TflcError("give --input files or --random-inputs, not both", "tflc run")
        return random_inputs(details, args.seed)
    return load_inputs(args.input, details)


def _print_outputs(args: argparse.Namespace, details: list[dict], outputs) -> None:
    if args.output:
        save_outputs(Path(args.output), details, outputs)
    else:
        for d, y in zip(details, outputs, strict=True):
            print(_summary(d["name"], y))


def _describe(details: list[dict]) -> str:
    return ", ".join(
        f"'{d['name']}' {d['shape'].tolist()} {np.dtype(d['dtype']).name}" for d in details
    )


def load_inputs(files: list[str], details: list[dict]) -> list[np.ndarray]:
    if not files and not details:
        return []  # a model without inputs (a stateful counter)
    if not files:
        raise TflcError(
            f"the model takes {len(details)} input(s): {_describe(details)}; pass --input "
            "FILE.npy for each (or --random-inputs)",
            "tflc run",
        )
    if len(files) == 1 and files[0].endswith(".npz"):
        archive = _load(files[0])
        names = [d["name"] for d in details]
        keys = list(archive.keys())
        if all(n in archive for n in names):
            return [archive[n] for n in names]
        if len(keys) == len(names):
            return [archive[k] for k in keys]
        raise TflcError(
            f"holds {len(keys)} array(s) {keys}, the model takes {len(names)}: {names}", files[0]
        )
    if len(files) != len(details):
        raise TflcError(
            f"got {len(files)} input file(s), the model takes {len(details)}: {_describe(details)}",
            "tflc run",
        )
    return [_load(f) for f in files]


def _load(path: str):
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise TflcError("no such file", path) from None
    except (OSError, ValueError) as e:
        raise TflcError(f"not a numpy .npy/.npz file ({e})", path) from None


def random_inputs(details: list[dict], seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for d in details:
        dtype, shape = np.dtype(d["dtype"]), tuple(int(s) for s in d["shape"])
        if dtype.kind == "f":
            out.append(rng.uniform(-1, 1, shape).astype(dtype))
        elif dtype == np.bool_:
            out.append(rng.random(shape) < 0.5)
        elif dtype.kind in "iu" and dtype.itemsize <= 2:
            info = np.iinfo(dtype)
            out.append(rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True))
        elif dtype.kind in "iu":
            out.append(rng.integers(0, 8, shape, dtype=dtype))
        elif dtype.kind == "O":  # strings: short lowercase words
            count = int(np.prod(shape, dtype=np.int64))
            lengths = rng.integers(0, 9, count)
            words = np.empty(count, dtype=object)
            words[:] = [rng.integers(97, 123, n).astype(np.uint8).tobytes() for n in lengths]
            out.append(words.reshape(shape))
        else:
            raise TflcError(f"cannot make random values of type {dtype}", f"input '{d['name']}'")
    return out


def save_outputs(path: Path, details: list[dict], outputs: list[np.ndarray]) -> None:
    arrays: dict[str, np.ndarray] = {}
    for i, (d, y) in enumerate(zip(details, outputs, strict=True)):
        name = d["name"] or f"output_{i}"
        arrays[name if name not in arrays else f"{name}_{i}"] = y
    try:
        np.savez(path, **arrays)
    except OSError as e:
        raise TflcError(f"cannot write outputs: {e.strerror}", str(path)) from None


def _summary(name: str, y: np.ndarray) -> str:
    head = f"{name}: {list(y.shape)} {y.dtype}"
    if y.size and y.dtype == object:  # strings
        return f"{head} first={list(y.reshape(-1)[:6])}"
    if y.size == 0 or y.dtype.kind not in "fiub":
        return head
    v = y.astype(np.float64)
    first = np.array2string(y.reshape(-1)[:6], precision=5, separator=", ", max_line_width=10**6)
    return f"{head} min={v.min():.6g} max={v.max():.6g} mean={v.mean():.6g} first={first}"


def main(argv: list[str] | None = None) -> int:
    """Standalone entry point (`python -m tflc.tools.run_cli`), same output as `tflc run`."""
    parser = argparse.ArgumentParser(prog="tflc")
    add_run_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["run", *(sys.argv[1:] if argv is None else argv)])
    try:
        return run_command(args)
    except TflcError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
