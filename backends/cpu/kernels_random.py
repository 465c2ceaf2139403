"""RANDOM_UNIFORM and RANDOM_STANDARD_NORMAL: LiteRT's Philox stream bit for bit. The key and
the counter's high half come from the interpreter's `PhiloxStream` (runtime/kernels/random.py);
the number of blocks drawn so far is the op's state (two i64 in the state region,
state_region.py), so the next run continues the stream as LiteRT's next invoke does. Normals
call the C library's logf / sinf / cosf, as LiteRT does. Seeds (0, 0), which ask for a
nondeterministic stream, are refused: the compiled code has no entropy source."""

from __future__ import annotations

from tflc.backends.cpu.emitter import Function, f32_literal
from tflc.backends.cpu.graph import Node
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling
from tflc.errors import TflcError
from tflc.runtime.kernels.quant_math import wrap32
from tflc.runtime.kernels.random import _KEY_STEP_A, _KEY_STEP_B, _MUL_A, _MUL_B, PhiloxStream

RANDOM_OPS = {"random_uniform", "random_standard_normal"}
_ROUNDS = 10
_LIBM = {"logf": "(f32) -> f32", "sinf": "(f32) -> f32", "cosf": "(f32) -> f32"}


def _i32(fn: Function, v: int) -> str:
    v &= 0xFFFFFFFF
    return fn._const(str(v - (1 << 32) if v >= 1 << 31 else v), "i32")


def _i64(fn: Function, v: int) -> str:
    v &= (1 << 64) - 1
    return fn._const(str(v - (1 << 64) if v >= 1 << 63 else v), "i64")


def _philox(fn: Function, key: tuple[int, int], low: str, high: str) -> list[str]:
    """The four words of Philox4x32-10 at the 128-bit counter (low, high); the key's round
    steps are compile-time constants."""
    half = lambda v: fn.op(f"arith.trunci {v} : i64 to i32")  # noqa: E731
    upper = lambda v: half(fn.op(f"arith.shrui {v}, {_i64(fn, 32)} : i64"))  # noqa: E731
    c = [half(low), upper(low), half(high), upper(high)]
    k0, k1 = key
    for _ in range(_ROUNDS):
        p0 = fn.op(
            f"arith.muli {fn.op(f'arith.extui {c[0]} : i32 to i64')}, {_i64(fn, int(_MUL_A))} : i64"
        )
        p1 = fn.op(
            f"arith.muli {fn.op(f'arith.extui {c[2]} : i32 to i64')}, {_i64(fn, int(_MUL_B))} : i64"
        )
        x0 = fn.op(f"arith.xori {upper(p1)}, {c[1]} : i32")
        x2 = fn.op(f"arith.xori {upper(p0)}, {c[3]} : i32")
        c = [
            fn.op(f"arith.xori {x0}, {_i32(fn, k0)} : i32"),
            half(p1),
            fn.op(f"arith.xori {x2}, {_i32(fn, k1)} : i32"),
            half(p0),
        ]
        k0, k1 = (k0 + _KEY_STEP_A) & 0xFFFFFFFF, (k1 + _KEY_STEP_B) & 0xFFFFFFFF
    return c


def _unit_float(fn: Function, bits: str) -> str:
    """uint32_to_float: the low 23 bits as a mantissa under exponent 0, minus one."""
    m = fn.op(f"arith.andi {bits}, {_i32(fn, 0x7FFFFF)} : i32")
    m = fn.op(f"arith.ori {m}, {_i32(fn, 0x3F800000)} : i32")
    f = fn.op(f"arith.bitcast {m} : i32 to f32")
    return fn.op(f"arith.subf {f}, {fn.f32(1.0)} : f32")


def _libm(fn: Function, name: str, x: str) -> str:
    return fn.op(f"func.call @{name}({x}) : (f32) -> f32")


def _box_muller(fn: Function, a: str, b: str) -> list[str]:
    """runtime/kernels/random.box_muller of one pair: (sine, cosine) times the radius."""
    u = _unit_float(fn, a)
    floor = fn._const(f32_literal(1.0e-7), "f32")
    small = fn.op(f"arith.cmpf olt, {u}, {floor} : f32")
    u1 = fn.op(f"arith.select {small}, {floor}, {u} : f32")
    wide = fn.op(f"arith.extf {_unit_float(fn, b)} : f32 to f64")
    two_pi = fn._const("6.283185307179586", "f64")  # 2 * np.pi, rounded once to double
    v1 = fn.op(f"arith.truncf {fn.op(f'arith.mulf {two_pi}, {wide} : f64')} : f64 to f32")
    log = _libm(fn, "logf", u1)
    radius = fn.op(f"math.sqrt {fn.op(f'arith.mulf {fn.f32(-2.0)}, {log} : f32')} : f32")
    return [fn.op(f"arith.mulf {_libm(fn, name, v1)}, {radius} : f32") for name in ("sinf", "cosf")]


def emit_random(k: Kernel, t: Tiling, node: Node) -> None:
    fn = k.fn
    y_t = node.outputs[0]
    if y_t.dtype != "f32":
        raise TflcError(f"the cpu target computes '{node.op}' on float32 only", node.where)
    if not node.inputs[0].is_const:
        raise TflcError(
            "the output shape must be a constant: the workspace plan needs every shape", node.where
        )
    seeds = [wrap32(int(node.attr(name, 0) or 0)) for name in ("seed", "seed2")]
    if seeds == [0, 0]:
        raise TflcError(
            "seeds (0, 0) ask for a nondeterministic stream; the compiled code has no entropy "
            "source (give the op a seed)",
            node.where,
        )
    stream = PhiloxStream(*seeds)
    normal = node.op == "random_standard_normal"
    if normal:
        k.externs |= _LIBM
    y = k.arg_tensor(y_t)
    drawn = k.arg_state(2, "i64")  # blocks drawn so far: (low 64 bits, carries into the high)
    zero, one = fn.idx(0), fn.idx(1)
    start = [fn.load(drawn[0], drawn[1], zero), fn.load(drawn[0], drawn[1], one)]

    def block(low: str, carries: str, first: str, count: int) -> list[str]:
        """Stores `count` values of the block at counter (low, seed2 + carries) from output
        element `first`; returns the counter after it."""
        high = fn.op(f"arith.addi {carries}, {_i64(fn, stream.high)} : i64")
        words = _philox(fn, stream.key, low, high)
        if normal:
            values = _box_muller(fn, *words[:2]) + _box_muller(fn, *words[2:])
        else:
            values = [_unit_float(fn, w) for w in words]
        for j in range(count):
            fn.store(values[j], y[0], y[1], fn.add(first, j))
        after = fn.op(f"arith.addi {low}, {_i64(fn, 1)} : i64")
        wrapped = fn.op(f"arith.cmpi eq, {after}, {_i64(fn, 0)} : i64")
        carry = fn.op(f"arith.extui {wrapped} : i1 to i64")
        return [after, fn.op(f"arith.addi {carries}, {carry} : i64")]

    full, tail = divmod(y_t.size, 4)
    with fn.loop_carried(0, full, 1, start, "i64") as (b, state, res):
        res[:] = block(state[0], state[1], fn.op(f"arith.muli {b}, {fn.idx(4)} : index"), 4)
    if tail:
        res = block(res[0], res[1], fn.idx(4 * full), tail)
    fn.store(res[0], drawn[0], drawn[1], zero)
    fn.store(res[1], drawn[0], drawn[1], one)
