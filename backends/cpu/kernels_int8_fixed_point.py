"""gemmlowp's fixed-point steps on values known only at run time (i64 scalars): a rounding
shift by a run-time exponent, MultiplyByQuantizedMultiplier with a run-time multiplier and
shift, and the inverse square root of int8 L2Normalization. Each follows its definition in
runtime/kernels/quant_math.py step for step.
"""

from __future__ import annotations

from tflc.backends.cpu.emitter import Function
from tflc.backends.cpu.kernels_int8_common import binop, iconst, srdhm
from tflc.runtime.kernels.quant_math import INT32_MAX


def rounding_divide_by_pot_dynamic(fn: Function, x: str, exponent: str) -> str:
    """RoundingDivideByPOT of i64 `x` by a run-time exponent >= 0: ties away from zero."""
    zero, one = iconst(fn, 0, "i64"), iconst(fn, 1, "i64")
    positive = fn.op(f"arith.cmpi sgt, {exponent}, {zero} : i64")
    half = binop(
        fn,
        "shli",
        one,
        binop(fn, "maxsi", binop(fn, "subi", exponent, one, "i64"), zero, "i64"),
        "i64",
    )
    half = fn.op(f"arith.select {positive}, {half}, {zero} : i64")
    neg = fn.op(f"arith.andi {fn.op(f'arith.cmpi slt, {x}, {zero} : i64')}, {positive} : i1")
    x = binop(
        fn,
        "subi",
        binop(fn, "addi", x, half, "i64"),
        fn.op(f"arith.extui {neg} : i1 to i64"),
        "i64",
    )
    return binop(fn, "shrsi", x, exponent, "i64")


def mbqm_dynamic(fn: Function, x: str, multiplier: str, shift: str) -> str:
    """MultiplyByQuantizedMultiplier (reference rounding) with a run-time multiplier and
    shift, on i64 values small enough that the left shift stays within int32."""
    zero = iconst(fn, 0, "i64")
    x = binop(fn, "shli", x, binop(fn, "maxsi", shift, zero, "i64"), "i64")
    p = srdhm(fn, x, multiplier, "i64")
    return rounding_divide_by_pot_dynamic(
        fn, p, binop(fn, "maxsi", binop(fn, "subi", zero, shift, "i64"), zero, "i64")
    )


def _saturating_multiply_by_pot(fn: Function, x: str, exponent: int) -> str:
    """gemmlowp SaturatingRoundingMultiplyByPOT for exponent > 0 on int32 values held in i64."""
    limit = (1 << (31 - exponent)) - 1
    shifted = binop(fn, "shli", x, iconst(fn, exponent, "i64"), "i64")
    high = fn.op(f"arith.cmpi sgt, {x}, {iconst(fn, limit, 'i64')} : i64")
    low = fn.op(f"arith.cmpi slt, {x}, {iconst(fn, -limit, 'i64')} : i64")
    shifted = fn.op(f"arith.select {high}, {iconst(fn, INT32_MAX, 'i64')}, {shifted} : i64")
    return fn.op(f"arith.select {low}, {iconst(fn, -INT32_MAX - 1, 'i64')}, {shifted} : i64")


def inv_sqrt_multiplier_exp(fn: Function, value: str) -> tuple[str, str]:
    """quant_math.inv_sqrt_quantized_multiplier_exp(value, -1) of a run-time i64 value >= 0:
    (multiplier, shift) of 1 / sqrt(value) by gemmlowp's Q3.28 Newton-Raphson iteration, step
    for step as the interpreter (and TFLite) computes it."""
    c = lambda v: iconst(fn, v, "i64")  # noqa: E731
    bits = binop(fn, "subi", c(64), fn.op(f"math.ctlz {value} : i64"), "i64")
    # `while value >= 2**29: value //= 4` runs ceil((bits - 29) / 2) times
    quarters = binop(
        fn,
        "maxsi",
        binop(fn, "shrsi", binop(fn, "subi", bits, c(28), "i64"), c(1), "i64"),
        c(0),
        "i64",
    )
    v = binop(fn, "shrsi", value, binop(fn, "shli", quarters, c(1), "i64"), "i64")
    shift = binop(fn, "addi", c(11), quarters, "i64")
    leading_zeros = binop(fn, "subi", fn.op(f"math.ctlz {v} : i64"), c(32), "i64")
    pairs = binop(
        fn,
        "subi",
        binop(fn, "shrsi", binop(fn, "subi", leading_zeros, c(1), "i64"), c(1), "i64"),
        c(1),
        "i64",
    )
    shift = binop(fn, "subi", shift, pairs, "i64")
    v = binop(fn, "shli", v, binop(fn, "shli", pairs, c(1), "i64"), "i64")
    x_in = binop(fn, "shrsi", v, c(1), "i64")  # Q3.28, non-negative
    half_input = binop(
        fn,
        "addi",
        binop(fn, "shrsi", x_in, c(1), "i64"),
        binop(fn, "andi", x_in, c(1), "i64"),
        "i64",
    )
    x = c(1 << 28)
    for _ in range(5):
        x3 = srdhm(fn, srdhm(fn, x, x, "i64"), x, "i64")
        x3 = _saturating_multiply_by_pot(fn, x3, 6)
        t = binop(
            fn,
            "subi",
            srdhm(fn, c((1 << 28) + (1 << 27)), x, "i64"),
            srdhm(fn, half_input, x3, "i64"),
            "i64",
        )
        t = fn.op(f"arith.extsi {fn.op(f'arith.trunci {t} : i64 to i32')} : i32 to i64")  # wraps
        x = _saturating_multiply_by_pot(fn, t, 3)
    x = srdhm(fn, x, 1518500250, "i64")
    negative = fn.op(f"arith.cmpi slt, {shift}, {c(0)} : i64")
    x = fn.op(
        f"arith.select {negative}, {binop(fn, 'shli', x, binop(fn, 'subi', c(0), shift, 'i64'), 'i64')}, {x} : i64"
    )
    shift = binop(fn, "maxsi", shift, c(0), "i64")
    tiny = fn.op(f"arith.cmpi sle, {value}, {c(1)} : i64")
    x = fn.op(f"arith.select {tiny}, {c(INT32_MAX)}, {x} : i64")
    shift = fn.op(f"arith.select {tiny}, {c(0)}, {shift} : i64")
    return x, binop(fn, "subi", c(0), shift, "i64")
