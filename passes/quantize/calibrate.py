"""Calibration for int8 quantization: activation ranges measured with tflc's own interpreter.

Every float32 tensor of the main function (its inputs and each op's results) becomes an extra
output of a temporary copy of the model; the representative samples run through
`tflc.runtime.interpreter.Interpreter`, and each tensor's range (summarized by the chosen
calibration method: passes/quantize/calibration_ranges.py) is stored on the IR:
`tflc.range = array<f32: min, max>` on the producing op (result 0), and `tflc.arg_ranges` on the
function for its arguments. `tfl-quantize-int8` reads them, so calibrated IR can be printed,
edited and fed to tfl-opt.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
from mlir import ir
from tflc.errors import TflcError
from tflc.passes.quantize.calibration_ranges import DEFAULT_METHOD, range_rule
from tflc.passes.rewrite.tfl import func_blocks

RANGE_ATTR = "tflc.range"
RESULT_RANGES_ATTR = "tflc.result_ranges"  # per result, of an op with several (tfl.while)
ARG_RANGES_ATTR = "tflc.arg_ranges"


def store_range(value: ir.Value, rng: ir.Attribute, arg_ranges: dict[int, ir.Attribute]) -> None:
    """Records `value`'s range: in `arg_ranges` for a function argument (the caller writes
    them as `tflc.arg_ranges`), `tflc.range` on a one-result producer, else in the producer's
    `tflc.result_ranges` at the result's position."""
    owner = value.owner
    if isinstance(owner, ir.Block):
        arg_ranges[value.arg_number] = rng
        return
    op = owner.operation
    if len(op.results) == 1:
        op.attributes[RANGE_ATTR] = rng
        return
    empty = ir.DenseF32ArrayAttr.get([])
    ranges = list(op.attributes[RESULT_RANGES_ATTR]) if RESULT_RANGES_ATTR in op.attributes else []
    ranges += [empty] * (len(op.results) - len(ranges))
    ranges[value.result_number] = rng
    op.attributes[RESULT_RANGES_ATTR] = ir.ArrayAttr.get(ranges)


def value_range(fn: ir.Operation, value: ir.Value) -> tuple[float, float] | None:
    """The range `store_range` recorded for `value` of function `fn`, or None."""
    owner = value.owner
    if isinstance(owner, ir.Block):
        attrs, key, at = fn.attributes, ARG_RANGES_ATTR, value.arg_number
    elif len(owner.operation.results) == 1:
        attrs, key, at = owner.operation.attributes, RANGE_ATTR, None
    else:
        attrs, key, at = owner.operation.attributes, RESULT_RANGES_ATTR, value.result_number
    if key not in attrs:
        return None
    attr = (
        attrs[key] if at is None else list(attrs[key])[at] if at < len(list(attrs[key])) else None
    )
    r = list(ir.DenseF32ArrayAttr(attr)) if attr is not None else []
    return (r[0], r[1]) if len(r) == 2 else None


def _is_f32_tensor(value: ir.Value) -> bool:
    t = value.type
    return isinstance(t, ir.RankedTensorType) and isinstance(
        ir.RankedTensorType(t).element_type, ir.F32Type
    )


def calibration_points(block: ir.Block) -> list[ir.Value]:
    """The float tensors whose ranges int8 quantization needs."""
    points = [a for a in block.arguments if _is_f32_tensor(a)]
    for op in block.operations:
        op = op.operation
        if op.name.startswith("tfl.pseudo") or op.name in ("tfl.no_value", "func.return"):
            continue
        points.extend(r for r in op.results if _is_f32_tensor(r))
    return points


def instrumented_flatbuffer(module: ir.Module, block: ir.Block, points: list[ir.Value]) -> bytes:
    """The model with `points` appended to the main function's results (restored after)."""
    from tflc.backends.tflite.exporter import export_flatbuffer

    fn = block.owner
    ret = list(block.operations)[-1].operation
    old_type = fn.attributes["function_type"]
    attrs = module.operation.attributes
    signature = attrs["tfl.signature_defs"] if "tfl.signature_defs" in attrs else None
    with module.context, ir.Location.unknown():
        values = list(ret.operands) + points
        with ir.InsertionPoint(ret):
            new_ret = ir.Operation.create("func.return", operands=values)
        ret.detach_from_parent()
        inputs = ir.FunctionType(ir.TypeAttr(old_type).value).inputs
        fn.attributes["function_type"] = ir.TypeAttr.get(
            ir.FunctionType.get(inputs, [v.type for v in values])
        )
        if signature is not None:
            del attrs["tfl.signature_defs"]
        try:
            return export_flatbuffer(module)
        finally:
            block.append(ret)
            new_ret.erase()
            fn.attributes["function_type"] = old_type
            if signature is not None:
                attrs["tfl.signature_defs"] = signature


def calibrate(
    module: ir.Module,
    samples: Sequence[Sequence[np.ndarray]],
    progress: bool = False,
    method: str = DEFAULT_METHOD,
) -> None:
    """Runs `samples` through the model and annotates every float tensor with its range,
    summarized by the calibration `method` (passes/quantize/calibration_ranges.py)."""
    from tflc.runtime.interpreter import Interpreter

    block = next(func_blocks(module.operation))
    points = calibration_points(block)
    n_outputs = len(list(block.operations)[-1].operands)
    rule = range_rule(method, len(points))
    interpreter = Interpreter(model_content=instrumented_flatbuffer(module, block, points))
    for i, sample in enumerate(samples):
        if progress:
            progress_bar("calibrating", i, len(samples))
        try:
            outputs = interpreter(*sample)
        except TflcError as e:
            raise TflcError(f"calibration sample {i} failed: {e.what}", e.where) from None
        rule.observe([_finite(v) for v in outputs[n_outputs:]])
    if progress:
        progress_bar("calibrating", len(samples), len(samples))
    lo, hi = rule.ranges()
    _annotate(module, block, points, lo, hi)


def _finite(values: np.ndarray) -> np.ndarray:
    """`values` without NaN and infinities (flattened if it had any): a float op that overflows
    on a sample (exp of a large input) saturates in int8, and must not make the range infinite."""
    if values.dtype.kind != "f":
        return values
    finite = np.isfinite(values)
    return values if finite.all() else values[finite]


def _annotate(module, block, points, lo, hi) -> None:
    """Stores the ranges on the IR: `tflc.range` on producers, `tflc.arg_ranges` on the function."""
    with module.context:
        arg_ranges = {}
        for j, value in enumerate(points):
            rng = (
                ir.DenseF32ArrayAttr.get([float(lo[j]), float(hi[j])])
                if np.isfinite(lo[j])
                else None
            )
            if rng is None:
                continue
            store_range(value, rng, arg_ranges)
        fn = block.owner
        empty = ir.DenseF32ArrayAttr.get([])
        fn.attributes[ARG_RANGES_ATTR] = ir.ArrayAttr.get(
            [arg_ranges.get(i, empty) for i in range(len(block.arguments))]
        )


def progress_bar(label: str, done: int, total: int, width: int = 30) -> None:
    """Draws `label [###...] done/total` on stderr, ending the line when done == total."""
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()
