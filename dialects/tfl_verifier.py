"""Verifies tfl ops against the op table: known names, operand and result counts, attributes.

Runs after MLIR's own verifier wherever a module enters or leaves tflc (import, parse, every
pass in tfl-opt, export), so a malformed op is reported at its location, never miscompiled.
"""

from __future__ import annotations

from mlir import ir
from tflc.dialects.tfl import quantization_of, tensor_type_name
from tflc.dialects.tfl_ops import EXTRA_OPS, OpDef, ops_by_mlir_name
from tflc.dialects.tfl_shapes import shape_problem
from tflc.errors import TflcError
from tflc.runtime.tensor_validation import quantization_problem
from tflc.runtime.tflite_model import Tensor


def location_names(loc: ir.Location) -> list[str]:
    """The names a location carries: one for `loc("x")`, several for a fused location."""
    if loc.is_a_name():
        return [loc.name_str]
    if loc.is_a_fused():
        return [n for child in loc.locations for n in location_names(child)]
    if loc.is_a_callsite():
        return location_names(loc.callee)
    return []


def file_location(loc: ir.Location) -> ir.Location | None:
    if loc.is_a_file():
        return loc
    if loc.is_a_name():
        return file_location(loc.child_loc)
    if loc.is_a_fused():
        for child in loc.locations:
            found = file_location(child)
            if found is not None:
                return found
    if loc.is_a_callsite():
        return file_location(loc.callee)
    return None


def describe_location(loc: ir.Location) -> str:
    """`file:line:col` for file locations, else the (first) name, else ''."""
    f = file_location(loc)
    if f is not None:
        return f"{f.filename}:{f.start_line}:{f.start_col}"
    names = location_names(loc)
    return names[0] if names else ""


class VerificationError(TflcError):
    """A module that fails to verify; `line` is set when the op came from a text file."""

    def __init__(
        self,
        what: str,
        op: ir.Operation | None = None,
        source: str | None = None,
        loc: ir.Location | None = None,
    ):
        loc = loc or (op.location if op is not None else None)
        where = describe_location(loc) if loc is not None else ""
        super().__init__(what, where or source)
        f = file_location(loc) if loc is not None else None
        self.line = f.start_line if f is not None else None


def _counts(spec: str) -> tuple[int, int | None]:
    words = spec.split()
    required = sum(1 for w in words if not w.endswith(("?", "*")))
    return required, None if any(w.endswith("*") for w in words) else len(words)


def _expected(
    d: OpDef | None, name: str
) -> tuple[tuple[int, int | None], tuple[int, int | None], tuple[str, ...]]:
    if d is not None:
        ins = " ".join(
            o.name + ("*" if o.variadic else "?" if o.optional else "") for o in d.operands
        )
        outs = " ".join(o.name + ("*" if o.variadic else "") for o in d.results)
        return _counts(ins), _counts(outs), tuple(f.name for f in d.attributes)
    ins, outs, attrs = EXTRA_OPS[name.removeprefix("tfl.")]
    return _counts(ins), _counts(outs), attrs


def _count_error(kind: str, n: int, expected: tuple[int, int | None]) -> str | None:
    lo, hi = expected
    if hi is None:
        return None if n >= lo else f"expects at least {lo} {kind}s, but got {n}"
    if lo <= n <= hi:
        return None
    want = f"{lo}" if lo == hi else f"{lo} to {hi}"
    return f"expects {want} {kind}s, but got {n}"


def verify_op(op: ir.Operation) -> None:
    name = op.name
    d = ops_by_mlir_name().get(name)
    if d is None and name.removeprefix("tfl.") not in EXTRA_OPS:
        raise VerificationError(f"unknown operation '{name}' in the tfl dialect", op)
    ins, outs, attrs = _expected(d, name)
    for kind, n, expected in (
        ("operand", len(op.operands), ins),
        ("result", len(op.results), outs),
    ):
        problem = _count_error(kind, n, expected)
        if problem:
            raise VerificationError(f"'{name}' op {problem}", op)
    present = {a.name if hasattr(a, "name") else a for a in op.attributes}
    for attr in attrs:
        if attr not in present:
            raise VerificationError(f"'{name}' op requires attribute '{attr}'", op)
    for i, result in enumerate(op.results):
        problem = quant_type_problem(result.type)
        if problem:
            raise VerificationError(f"'{name}' op result {i}: {problem}", op)
    problem = shape_problem(op, d) if d is not None else None
    if problem:
        raise VerificationError(f"'{name}' op {problem}", op)


def quant_type_problem(t: ir.Type) -> str | None:
    """The flatbuffer reader's check of quantization parameters, on a quant tensor type: MLIR
    parses some bad ones (a NaN scale, a zero point outside the storage range) without a word."""
    if not isinstance(t, ir.ShapedType):
        return None
    shaped = ir.ShapedType(t)
    q = quantization_of(shaped.element_type)
    if q is None:
        return None
    if shaped.has_rank:
        shape = [-1 if ir.ShapedType.is_dynamic_size(d) else d for d in shaped.shape]
    else:  # no rank to check the quantized dimension against
        shape = [-1] * (q.quantized_dimension + 1)
    try:
        type_name = tensor_type_name(shaped.element_type)
    except KeyError:
        return f"{shaped.element_type} has no TFLite tensor type"
    # MLIR has no 64-bit quant types, so the one rule that asks (INT64) cannot apply.
    return quantization_problem(Tensor("", shape, type_name, 0, q), is_constant=True)


def _verify_arguments(fn: ir.Operation) -> None:
    blocks = fn.regions[0].blocks
    for i, arg in enumerate(blocks[0].arguments if len(blocks) else []):
        problem = quant_type_problem(arg.type)
        if problem:
            raise VerificationError(f"argument {i}: {problem}", loc=arg.location)


def verify(module_or_op, source: str | None = None) -> None:
    """Runs MLIR's verifier, then checks every tfl op; raises `VerificationError`."""
    op = module_or_op.operation
    try:
        op.verify()
    except ir.MLIRError as e:
        raise VerificationError(_first_diagnostic(e), None, source) from None
    failure: list[VerificationError] = []

    def visit(inner: ir.Operation) -> ir.WalkResult:
        try:
            if inner.name.startswith("tfl."):
                verify_op(inner)
            elif inner.name == "func.func":
                _verify_arguments(inner)
        except VerificationError as e:
            failure.append(e)
            return ir.WalkResult.INTERRUPT
        return ir.WalkResult.ADVANCE

    op.walk(visit)
    if failure:
        error = failure[0]
        if source not in (None, "<module>") and error.line is None and error.where != source:
            # A tensor name alone does not say which file.
            error.where = f"{source}: {error.where}" if error.where else source
        raise error


def _first_diagnostic(e: ir.MLIRError) -> str:
    diags = getattr(e, "error_diagnostics", None)
    if diags:
        d = diags[0]
        where = describe_location(d.location)
        return f"{where}: {d.message}" if where else d.message
    return str(e)
