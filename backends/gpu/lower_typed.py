"""Elementwise ops that read their operand and result types: comparisons and logic (bool
results), select, cast, integer division and bit operations, `bucketize`, int8 `neg`, and
`add_n` (any number of operands).

Bool and integer tensors live in the float32 arena as exact float values (bool 0.0 / 1.0,
integers exact up to 2**24: runtime/gpu_arena.py), so most integer arithmetic is the float
op's; integer division and modulo convert to i32 in the shader, where C's truncating
division is exact.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.gpu.graph import Node
from tflc.backends.gpu.kernel_ir import KernelBuilder
from tflc.backends.gpu.lowering import BINARY, TYPED, KernelContext

INTEGER_BITS = {"i8": 8, "ui8": 8, "i16": 16, "i32": 32, "i64": 64}


def _dtype(ctx: KernelContext, tid: int) -> str:
    return ctx.graph.tensors[tid].dtype


def _is_integer(ctx: KernelContext, tid: int) -> bool:
    return _dtype(ctx, tid) in INTEGER_BITS


def _bool(b: KernelBuilder, flag: str) -> str:
    """An i1 as the arena's bool value."""
    return b.select(flag, b.f32(1.0), b.f32(0.0))


def _true(b: KernelBuilder, x: str) -> str:
    """The arena's bool (or any number) as an i1: nonzero is true."""
    return b.fcmp("une", x, b.f32(0.0))


def _typed(name: str):
    def register(fn):
        TYPED[name] = fn
        return fn

    return register


# NaN compares unequal to everything, as in C: `not_equal` is the unordered predicate.
for _op, _predicate in {
    "equal": "oeq",
    "not_equal": "une",
    "less": "olt",
    "less_equal": "ole",
    "greater": "ogt",
    "greater_equal": "oge",
}.items():
    TYPED[_op] = lambda b, v, n, ctx, p=_predicate: _bool(b, b.fcmp(p, v[0], v[1]))

TYPED["logical_and"] = lambda b, v, n, ctx: _bool(b, b.and_(_true(b, v[0]), _true(b, v[1])))
TYPED["logical_or"] = lambda b, v, n, ctx: _bool(b, b.or_(_true(b, v[0]), _true(b, v[1])))
TYPED["logical_not"] = lambda b, v, n, ctx: _bool(b, b.fcmp("oeq", v[0], b.f32(0.0)))


@_typed("select")
@_typed("select_v2")
def select(b: KernelBuilder, values: list[str], node: Node, ctx: KernelContext) -> str:
    cond, x, y = values
    return b.select(_true(b, cond), x, y)


@_typed("add_n")
def add_n(b: KernelBuilder, values: list[str], node: Node, ctx: KernelContext) -> str:
    total = values[0]
    for v in values[1:]:
        total = b.fadd(total, v)
    return total


def _integer_division(b: KernelBuilder, x: str, y: str, op: str) -> str:
    """`div` (C's truncation), `floor_div` or `floor_mod` of two integers, in i32. A zero
    divisor, which LiteRT refuses at run time, gives WGSL's defined result (x, or 0)."""
    a, d = b.to_index(x), b.to_index(y)
    q, r = b.div(a, d), b.rem(a, d)
    if op == "div":
        return b.to_f32(q)
    # the remainder takes the divisor's sign: the quotient rounds down one further
    moves = b.and_(b.cmp("ne", r, 0), b.xor(b.cmp("slt", r, 0), b.cmp("slt", d, 0)))
    if op == "floor_div":
        return b.to_f32(b._op("index", f"arith.select {moves}, {b.sub(q, 1)}, {q} : index"))
    return b.to_f32(b._op("index", f"arith.select {moves}, {b.add(r, d)}, {r} : index"))


def _division(op: str):
    def lower(b: KernelBuilder, values: list[str], node: Node, ctx: KernelContext) -> str:
        if _is_integer(ctx, node.outputs[0]):
            return _integer_division(b, values[0], values[1], op)
        return BINARY[op](b, values[0], values[1])

    return lower


for _op in ("div", "floor_div", "floor_mod"):
    TYPED[_op] = _division(_op)


def _wrapped(b: KernelBuilder, x: str, dtype: str) -> str:
    """An integer value cast to `dtype`: narrower types keep the low bits (C's conversion),
    as a float modulo 2**bits (exact: the divisor is a power of two)."""
    bits = INTEGER_BITS[dtype]
    if bits >= 32:
        return x  # the arena's values are exact only below 2**24: nothing to wrap
    span = float(1 << bits)
    low = 0.0 if dtype.startswith("u") else span / 2
    shifted = b.fadd(x, b.f32(low)) if low else x
    wrapped = b.fsub(x, b.fmul(b.math("floor", b.fdiv(shifted, b.f32(span))), b.f32(span)))
    return wrapped


@_typed("cast")
def cast(b: KernelBuilder, values: list[str], node: Node, ctx: KernelContext) -> str:
    x = values[0]
    source = ctx.graph.tensors[node.inputs[0]]
    dst = _dtype(ctx, node.outputs[0])
    if source.quant is not None:  # an int8 activation holds its real value: the stored integer
        q = source.quant
        x = b.fadd(b.math("roundeven", b.fdiv(x, b.f32(q.scale))), b.f32(q.zero_point))
    if dst == "i1":
        return _bool(b, _true(b, x))
    if dst in INTEGER_BITS:
        if source.dtype == "f32" and source.quant is None:
            x = b.math("trunc", x)  # static_cast truncates toward zero
        return _wrapped(b, x, dst)
    return x


@_typed("neg")
def neg(b: KernelBuilder, values: list[str], node: Node, ctx: KernelContext) -> str:
    """Float negation; an int8 NEG negates the stored integers whatever the scales, as
    LiteRT's kernel does (-128 stays -128)."""
    x = values[0]
    q_in, q_out = (ctx.graph.tensors[t].quant for t in (node.inputs[0], node.outputs[0]))
    if q_in is None or q_out is None:
        return b.fneg(x)
    stored = b.fadd(b.math("roundeven", b.fdiv(x, b.f32(q_in.scale))), b.f32(q_in.zero_point))
    lowest = b.f32(q_in.qmin)
    negated = b.select(b.fcmp("oeq", stored, lowest), lowest, b.fneg(stored))
    return b.fmul(b.fsub(negated, b.f32(q_out.zero_point)), b.f32(q_out.scale))


TYPED["bitwise_xor"] = lambda b, v, n, ctx: b.to_f32(b.bit_xor(b.to_index(v[0]), b.to_index(v[1])))


@_typed("right_shift")
def right_shift(b: KernelBuilder, values: list[str], node: Node, ctx: KernelContext) -> str:
    """Shift amounts clamped to [0, bits - 1], as the interpreter's kernel does."""
    top = INTEGER_BITS[_dtype(ctx, node.inputs[0])] - 1
    amount = b.imin(b.imax(b.to_index(values[1]), b.index(0)), b.index(top))
    return b.to_f32(b.shift_right(b.to_index(values[0]), amount))


@_typed("bucketize")
def bucketize(b: KernelBuilder, values: list[str], node: Node, ctx: KernelContext) -> str:
    """The number of boundaries at or below x (numpy's searchsorted, side right)."""
    boundaries = np.asarray(node.attrs.get("boundaries", []), np.float32)
    if not boundaries.size:
        return b.f32(0.0)
    table = ctx.weights.offset((node.outputs[0], "boundaries"), boundaries)
    x = values[0]

    def step(k, count):
        passed = b.fcmp("oge", x, b.load("weights", b.add(k, table)))
        return [b.fadd(count, _bool(b, passed))]

    (count,) = b.loop(0, boundaries.size, [b.f32(0.0)], step)
    return count
