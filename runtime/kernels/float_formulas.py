"""Float activation formulas, each stated once, that every target renders into its language.

A formula is a small expression over the input `x` (and named parameters such as leaky relu's
`alpha`) built from primitives every target has: + - * /, negation, min, max, a select on
`a < b`, exp, expm1, tanh and abs. The interpreter evaluates it with numpy (`evaluate`, in
float64 and rounded once, as its other float kernels); the cpu backend renders it as arith /
math ops, the gpu backend through its kernel builder into WGSL, and the mcu backend as C
(`render` walks a formula once per use, sharing repeated subexpressions). A target that lacks
a primitive renders it from others (WGSL has no expm1: exp(x) - 1).

erf is not a primitive (WGSL lacks it; MLIR's math.erf and C's erff each approximate it their
own way), so it is a formula too, the same one on every target: the Chebyshev fit of erfc from Numerical Recipes (2nd ed., 6.2), fractional error below 1.2e-7 by
its statement. Measured on 2,000,001 points of [-6, 6] against float64 `math.erf`: max
|error| 8.3e-8 evaluated in float64 (the interpreter), 4.5e-7 evaluated in float32 (the
compiled targets; largest near 0, where erf = 1 - erfc cancels, 2.0e-7 beyond |x| = 0.5). GELU
on it, in float32, is within 1.6e-7 * max(|gelu(x)|, 1) of the exact GELU (Abramowitz-Stegun
7.1.26, which the gpu used before, measured 6.1e-7 in float32).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, eq=False)
class Expr:
    """One node of a formula: `op` is "x", "const", "param", "select_lt" (args: a, b, then,
    otherwise) or a primitive; `value` holds a constant or a parameter's name."""

    op: str
    args: tuple[Expr, ...] = ()
    value: Any = None

    def __add__(self, other) -> Expr:
        return Expr("add", (self, _expr(other)))

    def __radd__(self, other) -> Expr:
        return Expr("add", (_expr(other), self))

    def __sub__(self, other) -> Expr:
        return Expr("sub", (self, _expr(other)))

    def __rsub__(self, other) -> Expr:
        return Expr("sub", (_expr(other), self))

    def __mul__(self, other) -> Expr:
        return Expr("mul", (self, _expr(other)))

    def __rmul__(self, other) -> Expr:
        return Expr("mul", (_expr(other), self))

    def __truediv__(self, other) -> Expr:
        return Expr("div", (self, _expr(other)))

    def __rtruediv__(self, other) -> Expr:
        return Expr("div", (_expr(other), self))

    def __neg__(self) -> Expr:
        return Expr("neg", (self,))


def _expr(v: Expr | float) -> Expr:
    return v if isinstance(v, Expr) else Expr("const", value=float(v))


def _call(op: str) -> Callable[..., Expr]:
    return lambda *args: Expr(op, tuple(_expr(a) for a in args))


exp, expm1, tanh, absolute = _call("exp"), _call("expm1"), _call("tanh"), _call("abs")
minimum, maximum = _call("min"), _call("max")


def select_lt(a: Expr | float, b: Expr | float, then: Expr | float, otherwise: Expr | float):
    """`then` where a < b, else `otherwise` (a NaN `a` takes `otherwise`)."""
    return _call("select_lt")(a, b, then, otherwise)


X = Expr("x")
ALPHA = Expr("param", value="alpha")
SQRT1_2 = math.sqrt(0.5)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
GELU_TANH_CUBIC = 0.044715  # tanh GELU: tanh(sqrt(2/pi) * (x + 0.044715 x^3))

# erfc(z) ~ t * exp(-z^2 + P(t)), t = 1 / (1 + z / 2), z = |x| (Numerical Recipes' erfcc).
_ERFC_COEFFICIENTS = (
    -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
    0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277,
)  # fmt: skip


def erf(x: Expr) -> Expr:
    z = absolute(x)
    t = 1.0 / (1.0 + 0.5 * z)
    tail = _expr(_ERFC_COEFFICIENTS[-1])
    for c in reversed(_ERFC_COEFFICIENTS[1:-1]):
        tail = c + t * tail
    poly = -z * z + _ERFC_COEFFICIENTS[0] + t * tail
    erfc = t * exp(poly)
    return select_lt(x, 0.0, erfc - 1.0, 1.0 - erfc)


# TFLite's float activations (reference_ops), keyed by tfl op name ("gelu_tanh": GELU with
# approximate=True).
FORMULAS: dict[str, Expr] = {
    "logistic": 1.0 / (1.0 + exp(-X)),
    "tanh": tanh(X),
    "hard_swish": X * minimum(maximum(X + 3.0, 0.0), 6.0) / 6.0,
    "elu": select_lt(X, 0.0, expm1(X), X),
    "leaky_relu": select_lt(X, 0.0, X * ALPHA, X),
    "gelu": 0.5 * X * (1.0 + erf(X * SQRT1_2)),
    "gelu_tanh": 0.5 * X * (1.0 + tanh(SQRT_2_OVER_PI * (X + GELU_TANH_CUBIC * (X * X * X)))),
}


# The tfl ops whose float kernel is one of FORMULAS, and their parameters' defaults.
FORMULA_OPS = ("logistic", "tanh", "hard_swish", "elu", "leaky_relu", "gelu")
PARAMETER_DEFAULTS = {"alpha": 0.2}


def formula_name(op: str, approximate: bool = False) -> str:
    """The FORMULAS key of op `op` ("gelu" with approximate=True is "gelu_tanh")."""
    return "gelu_tanh" if op == "gelu" and approximate else op


def render_op(op: str, target: Any, x: Any, option: Callable[[str, Any], Any]) -> Any:
    """The float kernel of tfl op `op` (one of FORMULA_OPS) rendered through `target` (see
    `render`); `option(name, default)` reads the op's options."""
    name = formula_name(op, bool(option("approximate", False)))
    expr = FORMULAS[name]
    params = {p: target.const(float(option(p, PARAMETER_DEFAULTS[p]))) for p in parameters(expr)}
    return render(expr, target, x, params)


def parameters(expr: Expr) -> list[str]:
    """The names of the parameters `expr` reads, in first-use order."""
    names: list[str] = []
    for node in _postorder(expr):
        if node.op == "param" and node.value not in names:
            names.append(node.value)
    return names


def render(expr: Expr, target: Any, x: Any, params: dict[str, Any] | None = None) -> Any:
    """Folds `expr` through `target`, an object with a method per primitive (`add(a, b)`,
    `exp(a)`, `select_lt(a, b, then, otherwise)`, ...) and `const(value)`; `x` and `params`
    are the target's values for the leaves. Each shared subexpression is rendered once."""
    params = params or {}
    done: dict[int, Any] = {}
    for node in _postorder(expr):
        if node.op == "x":
            value = x
        elif node.op == "param":
            value = params[node.value]
        elif node.op == "const":
            value = target.const(node.value)
        else:
            value = getattr(target, node.op)(*(done[id(a)] for a in node.args))
        done[id(node)] = value
    return done[id(expr)]


def _postorder(expr: Expr) -> list[Expr]:
    order: list[Expr] = []
    seen: set[int] = set()
    stack: list[tuple[Expr, bool]] = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in seen:
            continue
        if expanded:
            seen.add(id(node))
            order.append(node)
            continue
        stack.append((node, True))
        stack.extend((a, False) for a in reversed(node.args))
    return order


class NumpyTarget:
    """numpy rendering (`render(expr, NumpyTarget(dtype), x)`): evaluates in `dtype`."""

    def __init__(self, dtype: np.dtype):
        self.dtype = dtype

    def const(self, v: float):
        return self.dtype.type(v)

    add, sub, mul, div = np.add, np.subtract, np.multiply, np.divide
    min, max = np.minimum, np.maximum
    neg, exp, expm1, tanh, abs = np.negative, np.exp, np.expm1, np.tanh, np.abs

    @staticmethod
    def select_lt(a, b, then, otherwise):
        return np.where(a < b, then, otherwise)


def evaluate(name: str, x: np.ndarray, **params: float) -> np.ndarray:
    """FORMULAS[name] on `x`, computed in float64 and returned as float64 (inf and NaN are the
    values the formula gives; both select branches are computed, so overflow is silent)."""
    x64 = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return np.asarray(render(FORMULAS[name], NumpyTarget(x64.dtype), x64, params))
