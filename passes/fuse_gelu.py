"""tfl-fuse-gelu: the tanh approximation of GELU, spelled in elementwise ops, becomes
`tfl.gelu(x) {approximate = true}`.

    0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))

Products may be grouped and ordered in any way (they are flattened into a factor list), and
`x^3` may be `pow(x, 3)`, `x * x * x` or `x * square(x)`. Intermediate values must have no
other users. (TFLite has no erf op, so the exact form only reaches tfl as a gelu already;
TensorFlow graphs are matched earlier by tf-fuse-gelu.)
"""

from __future__ import annotations

from mlir import ir
from tflc.passes.rewrite.tfl import (
    activation,
    create_before,
    defining_op,
    has_one_use,
    is_float,
    producer_named,
    replace_op,
    rewrite_pass,
    scalar_const,
    split_const_operand,
)
from tflc.runtime.kernels.float_formulas import GELU_TANH_CUBIC, SQRT_2_OVER_PI


def _factors(value: ir.Value, root: bool = True) -> list[ir.Value]:
    """The factors of a tree of activation-free muls (inner nodes must have one user)."""
    op = defining_op(value)
    if (
        op is None
        or op.name != "tfl.mul"
        or activation(op) != "NONE"
        or (not root and not has_one_use(value))
    ):
        return [value]
    return _factors(op.operands[0], False) + _factors(op.operands[1], False)


def _split(factors: list[ir.Value], constant: float, tol: float = 1e-4):
    """(the other factors, True) when exactly one factor is the scalar `constant`."""
    consts = [f for f in factors if scalar_const(f) is not None]
    if len(consts) != 1 or abs(scalar_const(consts[0]) - constant) > tol * abs(constant):
        return None
    return [f for f in factors if scalar_const(f) is None]


def _is_cube_of(factors: list[ir.Value], x: ir.Value) -> bool:
    """Whether the product of `factors` is x^3 (pow(x, 3), square(x) and x factors)."""
    expanded = []
    for f in factors:
        p = producer_named(f, "tfl.pow", "tfl.square")
        if p is not None and has_one_use(f) and p.name == "tfl.square":
            expanded += [p.operands[0]] * 2
        elif p is not None and has_one_use(f) and scalar_const(p.operands[1]) == 3.0:
            expanded += [p.operands[0]] * 3
        else:
            expanded.append(f)
    return len(expanded) == 3 and all(f == x for f in expanded)


def _tanh_argument_is_of(t: ir.Operation, x: ir.Value) -> bool:
    """Whether `t` is tanh(sqrt(2/pi) * (x + 0.044715 * x^3))."""
    rest = _split(_factors(t.operands[0], root=False), SQRT_2_OVER_PI)
    if rest is None or len(rest) != 1:
        return False
    inner = producer_named(rest[0], "tfl.add")
    if inner is None or activation(inner) != "NONE" or not has_one_use(rest[0]):
        return False
    for xi, ci in ((0, 1), (1, 0)):
        if inner.operands[xi] != x:
            continue
        cubic = _split(_factors(inner.operands[ci], root=False), GELU_TANH_CUBIC)
        if cubic is not None and _is_cube_of(cubic, x):
            return True
    return False


def _one_plus_tanh(value: ir.Value) -> ir.Operation | None:
    add = producer_named(value, "tfl.add")
    if add is None or activation(add) != "NONE" or not has_one_use(value):
        return None
    split = split_const_operand(add)
    if split is None or split[1] != 1.0:
        return None
    t = producer_named(split[0], "tfl.tanh")
    return t if t is not None and has_one_use(split[0]) else None


def fuse_gelu(op: ir.Operation) -> bool:
    if op.name != "tfl.mul" or activation(op) != "NONE" or not is_float(op.result):
        return False
    rest = _split(_factors(op.result), 0.5)
    if rest is None or len(rest) != 2:
        return False
    for xi, ui in ((0, 1), (1, 0)):
        x = rest[xi]
        t = _one_plus_tanh(rest[ui])
        if t is not None and x.type == op.result.type and _tanh_argument_is_of(t, x):
            new = create_before(op, "gelu", [x], [op.result.type], approximate=True)
            replace_op(op, new.result)
            return True
    return False


PASS = rewrite_pass(
    "tfl-fuse-gelu", "Replace the tanh-approximated GELU formula by tfl.gelu", fuse_gelu
)
