"""The shared float activation formulas (runtime/kernels/float_formulas.py) rendered as C99:
`kernels/float_formulas.h`, generated into every project whose kernels use them."""

from __future__ import annotations

from tflc.backends.mcu.ops_common import float_literal
from tflc.runtime.kernels.float_formulas import FORMULAS, parameters, render

FORMULAS_HEADER = "float_formulas.h"


class _C:
    """Renders each primitive as one `const float` statement; min and max keep a NaN first
    operand, as numpy and MLIR's minimumf / maximumf do."""

    def __init__(self):
        self.lines: list[str] = []

    def _let(self, expr: str) -> str:
        name = f"v{len(self.lines)}"
        self.lines.append(f"  const float {name} = {expr};")
        return name

    def const(self, v: float) -> str:
        return float_literal(v)

    def add(self, a, b):
        return self._let(f"{a} + {b}")

    def sub(self, a, b):
        return self._let(f"{a} - {b}")

    def mul(self, a, b):
        return self._let(f"{a} * {b}")

    def div(self, a, b):
        return self._let(f"{a} / {b}")

    def min(self, a, b):
        return self._let(f"{b} < {a} ? {b} : {a}")

    def max(self, a, b):
        return self._let(f"{b} > {a} ? {b} : {a}")

    def neg(self, a):
        return self._let(f"-{a}")

    def exp(self, a):
        return self._let(f"expf({a})")

    def expm1(self, a):
        return self._let(f"expm1f({a})")

    def tanh(self, a):
        return self._let(f"tanhf({a})")

    def abs(self, a):
        return self._let(f"fabsf({a})")

    def select_lt(self, a, b, then, otherwise):
        return self._let(f"{a} < {b} ? {then} : {otherwise}")


def function_name(formula: str) -> str:
    return f"tflc_formula_{formula}"


def float_formulas_header() -> str:
    lines = [
        "/* Float activation formulas, generated from tflc's runtime/kernels/float_formulas.py",
        "   (the one definition every target renders). Needs C99 <math.h>. */",
        "#ifndef TFLC_FLOAT_FORMULAS_H",
        "#define TFLC_FLOAT_FORMULAS_H",
        "",
        "#include <math.h>",
    ]
    for name, expr in FORMULAS.items():
        params = parameters(expr)
        args = ", ".join(["float x"] + [f"float {p}" for p in params])
        c = _C()
        result = render(expr, c, "x", {p: p for p in params})
        lines += ["", f"static inline float {function_name(name)}({args}) {{", *c.lines]
        lines += [f"  return {result};", "}"]
    lines += ["", "#endif", ""]
    return "\n".join(lines)
