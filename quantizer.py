"""`tflc.quantize`: float16, dynamic-range and full int8 quantization of tfl models.

    module = tflc.quantize("model.tflite", mode="int8", calibration="data.npz", io="int8")
    tflc.save(module, "model_int8.tflite")

Modes follow TensorFlow's converter: `float16` stores float32 constants as float16 behind a
dequantize; `dynamic` stores conv / fc weights as per-channel int8 for hybrid kernels; `int8`
calibrates activation ranges on a representative dataset run through tflc's own interpreter
and produces a fully integer model (per-channel int8 weights, int32 biases, asymmetric int8
activations) with int8, uint8 or float32 inputs and outputs. `int16x8` calibrates the same way
and gives the ops that LiteRT runs in 16x8 symmetric int16 activations, per-channel int8
weights and int64 conv / fc biases (the others stay float), with int16 or float32 I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from mlir import ir
from tflc.errors import TflcError
from tflc.passes.quantize.calibration_ranges import DEFAULT_METHOD as DEFAULT_CALIBRATION_METHOD
from tflc.passes.quantize.calibration_ranges import (
    METHODS as CALIBRATION_METHODS,  # noqa: F401  (API)
)

MODES = ("dynamic", "float16", "int8", "int16x8")
IO_TYPES = ("float32", "int8", "uint8", "int16")
CALIBRATED_MODES = {"int8": ("float32", "int8", "uint8"), "int16x8": ("float32", "int16")}
# mse searches the clipping of an int8 grid: too narrow for int16's 65536 steps.
INT16X8_CALIBRATION_METHODS = ("minmax", "moving-average")

CalibrationSource = str | Path | dict | Iterable | Callable[[], Iterable]


def quantize(
    model,
    mode: str = "int8",
    calibration: CalibrationSource | None = None,
    io: str = "float32",
    per_tensor: bool = False,
    optimize: bool = True,
    progress: bool = False,
    calibration_method: str | None = None,
    bias_correction: bool = True,
) -> ir.Module:
    """A quantized tfl module from a float `model` (.tflite path or bytes, or a module, which is
    rewritten in place). `calibration_method` (int8, int16x8) picks how sample ranges are
    summarized: one of `CALIBRATION_METHODS`, default `DEFAULT_CALIBRATION_METHOD` (int16x8:
    minmax or moving-average, default minmax, as TensorFlow's converter). Raises `TflcError` for
    a mode the model cannot take or bad data. `bias_correction` (int8, calibrated): the mean
    int8 error of each conv / fully-connected output on the samples is folded into its bias,
    unless that takes the model's outputs further from float
    (passes/quantize/bias_correction.py)."""
    import tflc
    from tflc.passes.quantize.calibration_ranges import check_method
    from tflc.passes.registry import run_pipeline

    if mode not in MODES:
        raise TflcError(
            f"unknown quantization mode '{mode}'; use one of {', '.join(MODES)}", "mode"
        )
    if io not in IO_TYPES:
        raise TflcError(f"unknown input/output type '{io}'; use one of {', '.join(IO_TYPES)}", "io")
    if io not in CALIBRATED_MODES.get(mode, ("float32",)):
        needs = " or ".join(m for m, ios in CALIBRATED_MODES.items() if io in ios)
        raise TflcError(f"--io {io} needs --mode {needs} (not mode '{mode}')", "io")
    if mode not in CALIBRATED_MODES and calibration is not None:
        raise TflcError(f"mode '{mode}' takes no calibration data", "calibration")
    if calibration_method is not None and mode not in CALIBRATED_MODES:
        raise TflcError(f"mode '{mode}' takes no calibration method", "calibration_method")
    if mode == "int16x8":
        method = check_method(calibration_method or "minmax")
        if method not in INT16X8_CALIBRATION_METHODS:
            raise TflcError(
                f"calibration method '{method}' fits int8 grids; int16x8 takes "
                f"{' or '.join(INT16X8_CALIBRATION_METHODS)}",
                "calibration_method",
            )
    else:
        method = check_method(calibration_method or DEFAULT_CALIBRATION_METHOD)
    source = model if isinstance(model, str | Path) else "<model>"
    module = model if _is_module(model) else tflc.load(model)
    _check_float_model(module, str(source))
    from tflc.passes.quantize_fake_quant import has_fake_quant, ranges_from_fake_quant

    trained = mode == "int8" and has_fake_quant(module.operation)
    if mode == "int8" and calibration is None and not trained:
        raise TflcError(
            "int8 quantization needs a representative dataset (or a QAT model with fake_quant ops)",
            "calibration",
        )
    if mode == "int16x8" and calibration is None:
        raise TflcError("int16x8 quantization needs a representative dataset", "calibration")
    if optimize:
        from tflc.passes.optimize import optimize as run_optimize

        run_optimize(module, str(source))
    if mode == "float16":
        run_pipeline(module, "tfl-quantize-float16", source=str(source))
    elif mode == "dynamic":
        from tflc.passes.quantize_dynamic_range import quantize_dynamic_range

        with module.context, ir.Location.unknown():
            quantize_dynamic_range(module.operation, per_tensor=per_tensor)
        run_pipeline(module, "tfl-fold-duplicates,tfl-dce", source=str(source))
    else:
        from tflc.passes.quantize.bias_correction import correct_biases, float_reference
        from tflc.passes.quantize.calibrate import calibrate
        from tflc.passes.quantize_int8 import quantize_int8

        if trained:  # quantization-aware training fixed the ranges: no recalibration
            with module.context, ir.Location.unknown():
                ranges_from_fake_quant(module.operation)
        else:
            samples = load_calibration(calibration, input_specs(module))
            calibrate(module, samples, progress=progress, method=method)
        # Bias correction steps int32 biases by int8 errors; int16x8's error is ~256x smaller.
        correct = bias_correction and not trained and mode == "int8"
        reference = float_reference(module) if correct else None
        with module.context, ir.Location.unknown():
            quantize_int8(
                module.operation,
                io=io,
                per_tensor=per_tensor,
                keep_weight_grids=trained,
                scheme=mode,
            )
        if reference is not None:
            correct_biases(module, reference, samples, progress=progress)
        run_pipeline(module, "tfl-fold-duplicates,tfl-dce", source=str(source))
    return module


def quantization_report(
    model, quantized: ir.Module, calibration: CalibrationSource, optimize: bool = True
):
    """Per-layer error of the int8 `quantized` (from `quantize(model, mode="int8", ...)`) against
    the float `model` (.tflite path or bytes) on the calibration samples, like TensorFlow's
    QuantizationDebugger: a `LayerReport` (passes/quantize/layer_report.py) with `.rows`,
    `.table()`, `.write_csv(path)` and `.write_png(path)`. `optimize` must match the quantize
    call's, so that the float model has the same tensors."""
    import tflc
    from tflc.passes.quantize.layer_report import layer_report

    if _is_module(model):
        raise TflcError("give the float model as a .tflite path or bytes", "report")
    source = str(model) if isinstance(model, str | Path) else "<model>"
    float_module = tflc.load(model)
    if optimize:
        from tflc.passes.optimize import optimize as run_optimize

        run_optimize(float_module, source)
    samples = load_calibration(calibration, input_specs(float_module))
    return layer_report(
        tflc.to_flatbuffer(float_module, source), tflc.to_flatbuffer(quantized, source), samples
    )


def _check_float_model(module: ir.Module, source: str) -> None:
    """Refuses models that hold quantized tensors or that have no float computation."""
    from mlir.dialects import quant

    def quantized(t: ir.Type) -> bool:
        return isinstance(t, ir.ShapedType) and isinstance(
            ir.ShapedType(t).element_type, quant.QuantizedType
        )

    floats = 0
    for fn in module.body.operations:
        for block in fn.operation.regions[0].blocks if fn.operation.regions else []:
            for op in block.operations:
                op = op.operation
                if op.name in ("tfl.pseudo_const", "tfl.pseudo_qconst", "tfl.no_value"):
                    continue
                for r in op.results:
                    if quantized(r.type):
                        raise TflcError(
                            "the model is already quantized; quantize its float version",
                            source,
                        )
                    if isinstance(r.type, ir.ShapedType) and isinstance(
                        ir.ShapedType(r.type).element_type, ir.F32Type
                    ):
                        floats += 1
    if not floats:
        raise TflcError("the model computes nothing in float32: nothing to quantize", source)


# ---- calibration data ----------------------------------------------------------------------


def input_specs(module: ir.Module) -> list[tuple[str, tuple[int, ...], np.dtype]]:
    """(name, shape, dtype) of the main function's inputs."""
    from tflc.passes.rewrite.tfl import func_blocks

    block = next(func_blocks(module.operation))
    specs = []
    for i, arg in enumerate(block.arguments):
        t = ir.RankedTensorType(arg.type)
        loc = arg.location
        name = loc.name_str.split(":")[0] if loc.is_a_name() else f"input_{i}"
        # Unknown dims take TFLite's default of 1: calibration runs at the file's own shapes.
        shape = tuple(1 if ir.ShapedType.is_dynamic_size(d) else d for d in t.shape)
        specs.append((name, shape, np.dtype(_numpy_type(t.element_type))))
    return specs


def _numpy_type(elem: ir.Type):
    return {
        "f32": np.float32,
        "f16": np.float16,
        "i32": np.int32,
        "i64": np.int64,
        "i8": np.int8,
        "ui8": np.uint8,
        "i1": np.bool_,
    }.get(str(elem), np.float32)


def load_calibration(source: CalibrationSource, specs) -> list[list[np.ndarray]]:
    """Samples (one array per model input, each of the input's shape and dtype) from an .npz
    file, a directory of .npz / .npy files, a dict of stacked arrays, or an iterable (or a
    callable returning one) of input lists, like TensorFlow's representative dataset."""
    where = str(source) if isinstance(source, str | Path) else "calibration"
    if isinstance(source, str | Path):
        path = Path(source)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in (".npz", ".npy"))
            samples = [s for f in files for s in _file_samples(f, specs)]
        elif path.is_file():
            samples = _file_samples(path, specs)
        else:
            raise TflcError("no such file or directory", where)
    elif isinstance(source, dict):
        samples = _stacked_samples(source, specs, where)
    else:
        items = source() if callable(source) else source
        samples = [list(s) if isinstance(s, list | tuple) else [s] for s in items]
    if not samples:
        raise TflcError("the calibration set is empty", where)
    return [_checked_sample(s, specs, where, i) for i, s in enumerate(samples)]


def _file_samples(path: Path, specs) -> list[list[np.ndarray]]:
    import zipfile
    import zlib

    try:
        data = np.load(path, allow_pickle=False)
        if isinstance(data, np.ndarray):
            arrays = {specs[0][0]: data}
        else:
            with data:  # an .npz reads its members lazily: a damaged one fails here
                arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise TflcError(f"cannot read calibration data: {e}", str(path)) from None
    return _stacked_samples(arrays, specs, str(path))


def _stacked_samples(arrays: dict, specs, where: str) -> list[list[np.ndarray]]:
    """Splits arrays that stack samples along a leading axis; keys are the input names, or
    `arr_0`, `arr_1`, ... in input order (`np.savez(path, a, b)`). Any other key is refused:
    a misspelt input or an extra array would otherwise calibrate the wrong tensor."""
    names = [s[0] for s in specs]
    positional = [f"arr_{i}" for i in range(len(specs))]
    if sorted(arrays) == sorted(names):
        ordered = [np.asarray(arrays[n]) for n in names]
    elif sorted(arrays) == sorted(positional):
        ordered = [np.asarray(arrays[k]) for k in positional]
    else:
        known = set(names) if set(arrays) & set(names) else set(positional)
        unknown = [k for k in arrays if k not in known]
        missing = [k for k in (names if known == set(names) else positional) if k not in arrays]
        problem = (
            f"unexpected {', '.join(repr(k) for k in unknown)}"
            if unknown
            else f"missing {', '.join(repr(k) for k in missing)}"
        )
        raise TflcError(
            f"calibration data holds {len(arrays)} array{'s' if len(arrays) != 1 else ''} "
            f"({', '.join(repr(k) for k in arrays)})"
            f", {problem}; expected one array per model input, named "
            f"{', '.join(repr(n) for n in names)} (or {', '.join(positional)} in that order)",
            where,
        )
    per_input = []
    for (name, shape, _), a in zip(specs, ordered, strict=True):
        if a.shape == shape:
            per_input.append([a])
        elif a.shape[1:] == shape:
            per_input.append(list(a))
        elif len(shape) and shape[0] == 1 and a.shape[1:] == shape[1:]:
            per_input.append([a[i : i + 1] for i in range(a.shape[0])])
        else:
            raise TflcError(
                f"calibration array for input '{name}' has shape {list(a.shape)}; expected "
                f"{list(shape)} or samples of it stacked along a leading axis",
                where,
            )
    counts = {len(p) for p in per_input}
    if len(counts) > 1:
        raise TflcError(f"inputs have different sample counts: {sorted(counts)}", where)
    return [list(s) for s in zip(*per_input, strict=True)]


def _checked_sample(sample: Sequence, specs, where: str, index: int) -> list[np.ndarray]:
    if len(sample) != len(specs):
        raise TflcError(
            f"sample {index} has {len(sample)} arrays; the model has {len(specs)} inputs", where
        )
    out = []
    for (name, shape, dtype), a in zip(specs, sample, strict=True):
        a = np.asarray(a)
        if a.shape != shape:
            raise TflcError(
                f"sample {index}, input '{name}': shape {list(a.shape)}, the model takes "
                f"{list(shape)}",
                where,
            )
        if a.dtype != dtype and not (a.dtype.kind == "f" and dtype.kind == "f"):
            raise TflcError(
                f"sample {index}, input '{name}': dtype {a.dtype}, the model takes {dtype}", where
            )
        with np.errstate(over="ignore"):  # float64 beyond float32's range: refused below
            a = a.astype(dtype)
        if dtype.kind == "f" and not np.isfinite(a).all():
            raise TflcError(
                f"sample {index}, input '{name}': holds NaN or infinite values "
                f"(as {dtype}); calibration needs finite data",
                where,
            )
        out.append(a)
    return out


def _is_module(model) -> bool:
    """An `ir.Module` or a `builtin.module` op view (what `tflc.parse` returns)."""
    if isinstance(model, ir.Module):
        return True
    op = getattr(model, "operation", None)
    return isinstance(op, ir.Operation) and op.name == "builtin.module"
