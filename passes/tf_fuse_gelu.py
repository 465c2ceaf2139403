"""tf-fuse-gelu: the decomposed GELU that Keras and tf.nn emit -> one `tf.Gelu` (then tfl.gelu).

TFLite has no Erf / Erfc builtin, so the exact GELU would not convert at all without this; the
tanh approximation would cost eight operators instead of one. Matched forms (after tf-prepare,
constants in either operand order):

    exact (Keras):  (0.5 * x) * erfc(-x * 1/sqrt(2))
    exact (tf.nn):  (0.5 * x) * (1 + erf(x * 1/sqrt(2)))      or x * 0.5 * (...)
    tanh:           (0.5 * x) * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))
"""

from __future__ import annotations

from mlir import ir
from tflc.dialects import tf as tf_dialect
from tflc.passes.registry import Pass
from tflc.runtime.kernels.float_formulas import GELU_TANH_CUBIC, SQRT1_2, SQRT_2_OVER_PI


def _op(value: ir.Value, name: str) -> ir.Operation | None:
    owner = value.owner
    if isinstance(owner, ir.OpView | ir.Operation) and owner.operation.name == name:
        return owner.operation
    return None


def _const_near(value: ir.Value, expected: float) -> bool:
    c = tf_dialect.const_value(value)
    return c is not None and c.size == 1 and abs(float(c.reshape(-1)[0]) - expected) < 1e-4


def _scaled(value: ir.Value, scale: float) -> ir.Value | None:
    """x when `value` is `x * scale` (either operand order)."""
    mul = _op(value, "tf.Mul")
    if mul is None:
        return None
    a, b = mul.operands
    if _const_near(b, scale):
        return a
    if _const_near(a, scale):
        return b
    return None


def _one_plus(value: ir.Value) -> ir.Value | None:
    add = _op(value, "tf.AddV2") or _op(value, "tf.Add")
    if add is None:
        return None
    a, b = add.operands
    if _const_near(a, 1.0):
        return b
    if _const_near(b, 1.0):
        return a
    return None


def _gelu_input(half_x: ir.Value, gate: ir.Value) -> tuple[ir.Value, bool] | None:
    """(x, approximate) when `half_x * gate` is a GELU of x."""
    x = _scaled(half_x, 0.5)
    if x is None:
        return None
    erfc = _op(gate, "tf.Erfc")
    if erfc is not None:
        scaled = _scaled(erfc.operands[0], SQRT1_2)
        neg = _op(scaled, "tf.Neg") if scaled is not None else None
        return (x, False) if neg is not None and neg.operands[0] == x else None
    inner = _one_plus(gate)
    if inner is None:
        return None
    erf = _op(inner, "tf.Erf")
    if erf is not None:
        return (x, False) if _scaled(erf.operands[0], SQRT1_2) == x else None
    tanh = _op(inner, "tf.Tanh")
    if tanh is None:
        return None
    poly = _scaled(tanh.operands[0], SQRT_2_OVER_PI)
    add = _op(poly, "tf.AddV2") if poly is not None else None
    if add is None:
        return None
    for lhs, rhs in (add.operands, reversed(list(add.operands))):
        pow_op = _op(_scaled(rhs, GELU_TANH_CUBIC) or rhs, "tf.Pow")
        if lhs == x and pow_op is not None and pow_op.operands[0] == x:
            if _const_near(pow_op.operands[1], 3.0):
                return x, True
    return None


def fuse_gelu(module: ir.Operation) -> None:
    from tflc.passes.legalize_tf import functions

    for fn in functions(module):
        for op in list(fn.regions[0].blocks[0].operations):
            op = op.operation
            if op.name != "tf.Mul":
                continue
            a, b = op.operands
            match = _gelu_input(a, b) or _gelu_input(b, a)
            if match is None:
                continue
            x, approximate = match
            with ir.InsertionPoint(op):
                gelu = ir.Operation.create(
                    "tf.Gelu",
                    results=[op.results[0].type],
                    operands=[x],
                    attributes={"approximate": ir.BoolAttr.get(approximate)},
                    loc=op.location,
                )
            op.results[0].replace_all_uses_with(gelu.result)
            op.erase()  # the rest of the pattern dies in the next tf-prepare


PASS = Pass(
    "tf-fuse-gelu", "Match decomposed GELU (erf, erfc or tanh form) into tf.Gelu", fuse_gelu
)
