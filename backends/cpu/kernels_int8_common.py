"""Shared pieces of the int8 (full-integer) kernels: quantization parameters and TFLite's
fixed-point requantization emitted as integer MLIR.

The arithmetic mirrors the numpy interpreter (`runtime/kernels/quant_math.py`), which is
bit-exact with LiteRT's builtin kernels: values are widened to i64 so that nothing overflows
silently, `MultiplyByQuantizedMultiplier` comes in the two roundings LiteRT mixes ("neon":
ties upward in one shift; "tflite": SRDHM then RoundingDivideByPOT, ties away from zero), and
results saturate to the output type at the end. The multipliers come from the interpreter's own
helpers, so compiler and interpreter cannot drift apart.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu.emitter import Function
from tflc.backends.cpu.graph import Node, Tensor
from tflc.errors import TflcError
from tflc.runtime.kernels.quant_math import QUANT_RANGES, activation_range_quantized

INT_TYPES = {"i8": "INT8", "ui8": "UINT8", "i16": "INT16", "i32": "INT32"}


def is_int8(t: Tensor | None) -> bool:
    return t is not None and t.dtype in ("i8", "ui8") and t.scale is not None


def is_quantized_node(node: Node) -> bool:
    """A node whose activations (not weights) are 8-bit quantized."""
    return any(is_int8(t) and not t.is_const for t in [*node.inputs, *node.outputs])


def scale_zp(t: Tensor) -> tuple[float, int]:
    if t.scale is None:
        raise TflcError(f"tensor '{t.name}' is not quantized")
    return float(t.scale[0]), int(t.zero_point[0])


def qrange(t: Tensor) -> tuple[int, int]:
    return QUANT_RANGES[INT_TYPES[t.dtype]]


def out_clamp(node: Node, t: Tensor | None = None) -> tuple[int, int]:
    """CalculateActivationRangeQuantized of the node's fused activation."""
    t = t or node.outputs[0]
    act = node.attr("fused_activation_function", "NONE") or "NONE"
    return activation_range_quantized(act, *scale_zp(t), INT_TYPES[t.dtype])


# ---- emitted integer arithmetic -------------------------------------------------------------


def iconst(fn: Function, value: int, ty: str) -> str:
    """An integer constant of scalar type `ty` ("i64") or vector type ("vector<8xi64>")."""
    if ty.startswith("vector"):
        return fn._const(f"dense<{int(value)}>", ty)
    return fn._const(str(int(value)), ty)


def vec(lanes: int, elem: str) -> str:
    return f"vector<{lanes}x{elem}>"


def retype(ty: str, elem: str) -> str:
    """`ty` with its element type replaced (scalar or vector)."""
    if ty.startswith("vector"):
        return ty.rsplit("x", 1)[0] + f"x{elem}>"
    return elem


def ext(fn: Function, v: str, src: str, dst: str, unsigned: bool = False) -> str:
    op = "arith.extui" if unsigned else "arith.extsi"
    return fn.op(f"{op} {v} : {src} to {dst}")


def binop(fn: Function, op: str, a: str, b: str, ty: str) -> str:
    return fn.op(f"arith.{op} {a}, {b} : {ty}")


def clamp(fn: Function, v: str, lo: int, hi: int, ty: str) -> str:
    v = binop(fn, "maxsi", v, iconst(fn, lo, ty), ty)
    return binop(fn, "minsi", v, iconst(fn, hi, ty), ty)


def srdhm(fn: Function, x: str, m: str | int, ty: str) -> str:
    """SaturatingRoundingDoublingHighMul for a non-negative multiplier, on i64 values, or on
    i32 values through an i64 product (the result of a high multiply fits in i32)."""
    if not ty.endswith("i32>") and ty != "i32":
        m = iconst(fn, m, ty) if isinstance(m, int) else m
        p = binop(fn, "muli", x, m, ty)
        p = binop(fn, "addi", p, iconst(fn, 1 << 30, ty), ty)
        return binop(fn, "shrsi", p, iconst(fn, 31, ty), ty)
    lanes = int(ty[len("vector<") :].split("x")[0]) if ty.startswith("vector") else 0
    if lanes % 2 == 0 and lanes:
        return srdhm_in_place(fn, x, iconst(fn, m, ty) if isinstance(m, int) else m, lanes)
    wide = retype(ty, "i64")
    m = iconst(fn, m, wide) if isinstance(m, int) else ext(fn, m, ty, wide)
    p = binop(fn, "muli", ext(fn, x, ty, wide), m, wide)
    p = binop(fn, "addi", p, iconst(fn, 1 << 30, wide), wide)
    p = binop(fn, "shrsi", p, iconst(fn, 31, wide), wide)
    return fn.op(f"arith.trunci {p} : {wide} to {ty}")


def rounding_divide_by_pot(fn: Function, x: str, exponent: int, ty: str) -> str:
    """gemmlowp RoundingDivideByPOT on i64 values: ties away from zero."""
    if exponent <= 0:
        return x
    half = iconst(fn, 1 << (exponent - 1), ty)
    neg = fn.op(f"arith.cmpi slt, {x}, {iconst(fn, 0, ty)} : {ty}")
    neg = fn.op(f"arith.extui {neg} : {retype(ty, 'i1')} to {ty}")
    x = binop(fn, "addi", x, half, ty)
    x = binop(fn, "subi", x, neg, ty)
    return binop(fn, "shrsi", x, iconst(fn, exponent, ty), ty)


def mbqm(fn: Function, x: str, multiplier: int, shift: int, ty: str, rounding: str) -> str:
    """MultiplyByQuantizedMultiplier with compile-time multiplier and shift, on i64 values."""
    left, right = max(shift, 0), max(-shift, 0)
    if left:
        x = binop(fn, "shli", x, iconst(fn, left, ty), ty)
    p = binop(fn, "muli", x, iconst(fn, multiplier, ty), ty)
    if rounding == "neon":
        bias = (1 << 30) + ((1 << (30 + right)) if right else 0)
        p = binop(fn, "addi", p, iconst(fn, bias, ty), ty)
        return binop(fn, "shrsi", p, iconst(fn, 31 + right, ty), ty)
    p = binop(fn, "addi", p, iconst(fn, 1 << 30, ty), ty)
    p = binop(fn, "shrsi", p, iconst(fn, 31, ty), ty)
    return rounding_divide_by_pot(fn, p, right, ty)


def neon_requant_tables(mult: np.ndarray, shift: np.ndarray, n_pad: int) -> dict[str, np.ndarray]:
    """Per-channel constants of the "neon" rounding as one multiply, add and shift in i64:
    ((x << left) * m + 2^30 + [r>0] 2^(30+r)) >> (31 + r)."""
    mult = np.asarray(mult, np.int64).reshape(-1)
    shift = np.asarray(shift, np.int64).reshape(-1)
    n = mult.size
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    bias = (1 << 30) + np.where(right > 0, np.int64(1) << (30 + right), 0)

    def pad(a: np.ndarray, fill: int) -> np.ndarray:
        out = np.full(n_pad, fill, np.int64)
        out[:n] = a
        return out

    return {
        "mult": pad(mult, 0),
        "left": pad(left, 0),
        "bias": pad(bias, 0),
        "shift": pad(31 + right, 31),
    }


def requant_neon_vector(fn, acc64: str, tabs: dict, index: str, ty64: str, any_left: bool):
    """The "neon" requantization of an i64 vector with per-channel constants loaded at
    `index` from the tables of `neon_requant_tables` (kernel args: name -> (ssa, memref))."""

    def load(name: str) -> str:
        mem, mty = tabs[name]
        return fn.op(f"vector.load {mem}[{index}] : {mty}, {ty64}")

    x = acc64
    if any_left:
        x = binop(fn, "shli", x, load("left"), ty64)
    p = binop(fn, "muli", x, load("mult"), ty64)
    p = binop(fn, "addi", p, load("bias"), ty64)
    return binop(fn, "shrsi", p, load("shift"), ty64)


def i32_requant_tables(
    mult, shift, n_pad: int, acc_bound: int, out_zp: int, lanes: int = 0
) -> dict[str, np.ndarray] | None:
    """Per-channel constants of the "neon" rounding computed in i32 lanes, or None when the
    accumulators may not fit: with a = acc << (left + 1) exact in i32,
    SRDHM(acc << left, m) = hi32(a * m + 2^31) and the rounding shift is (s + half) >> right,
    which equals the i64 form (nested floors of integer sums compose). Without left shifts
    (multipliers below one, the usual case) SRDHM is (acc * m + 2^30) >> 31 on the product;
    with 16 lanes (AVX-512, which shifts i64 lanes arithmetically) it is the one-rounding i64
    form of `paired_requant_tables` instead. `requant_i32_vector` adds the output zero point
    `out_zp` (the paired form inside its rounding bias)."""
    mult = np.asarray(mult, np.int64).reshape(-1)
    shift = np.asarray(shift, np.int64).reshape(-1)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    any_left = bool(np.any(left))
    if any_left and acc_bound * (1 << (int(left.max()) + 1)) >= 1 << 31 or np.any(right > 31):
        return None
    n = mult.size
    if lanes == 16 and not any_left:
        paired = paired_requant_tables(mult, right, n_pad, acc_bound, out_zp)
        if paired is not None:
            return paired

    def pad(a: np.ndarray) -> np.ndarray:
        out = np.zeros(n_pad, np.int32)
        out[:n] = a
        return out

    half = np.where(right > 0, np.int64(1) << np.maximum(right - 1, 0), 0)
    tabs = {"mult": pad(mult), "half": pad(half), "right": pad(right)}
    if any_left:
        tabs["shl"] = pad(left + 1)
    return tabs


def paired_requant_tables(
    mult: np.ndarray, right: np.ndarray, n_pad: int, acc_bound: int, out_zp: int
) -> dict | None:
    """The "neon" rounding in one i64 step, (acc * m + 2^30 + [r>0] 2^(30+r)) >> (31 + r), plus
    the output zero point folded into the bias (floor((P + zp 2^s) / 2^s) = floor(P / 2^s) +
    zp), with its constants split between even and odd channels (i64, one per i64 lane of an
    i32 vector seen as i64 lanes); None where the biased product might pass 2^63."""
    s = 31 + right
    bias = (1 << 30) + np.where(right > 0, np.int64(1) << (30 + right), 0)
    if acc_bound * (1 << 31) + (1 << 61) + (abs(out_zp) << int(s.max(initial=31))) >= 1 << 62:
        return None
    bias = bias + (np.int64(out_zp) << s)
    tabs = {}
    for name, a, fill in (("mult", mult, 0), ("bias", bias, 0), ("shift", s, 31)):
        full = np.full(n_pad, fill, np.int64)
        full[: a.size] = a
        tabs[f"{name}_even"], tabs[f"{name}_odd"] = full[0::2].copy(), full[1::2].copy()
    return tabs


def requant_paired_vector(fn: Function, acc: str, tabs: dict, index: str, lanes: int) -> str:
    """`paired_requant_tables`' rounding of an i32 vector: even and odd lanes multiplied apart
    (vpmuldq), biased and shifted (vpsravq) as i64 lanes, the low halves interleaved back
    (vpermt2d): about 8 instructions per 16 outputs."""
    v32, w64 = vec(lanes, "i32"), vec(lanes // 2, "i64")
    half_index = fn.op(f"arith.shrui {index}, {fn.idx(1)} : index")
    c32 = iconst(fn, 32, w64)

    def load(name: str) -> str:
        mem, mty = tabs[name]
        return fn.op(f"vector.load {mem}[{half_index}] : {mty}, {w64}")

    def low(v: str) -> str:  # the even i32 lane, sign-extended (what vpmuldq reads)
        return binop(fn, "shrsi", binop(fn, "shli", v, c32, w64), c32, w64)

    a = fn.op(f"vector.bitcast {acc} : {v32} to {w64}")
    halves = []
    for part, x in (("even", low(a)), ("odd", binop(fn, "shrsi", a, c32, w64))):
        p = binop(fn, "muli", x, low(load(f"mult_{part}")), w64)
        p = binop(fn, "addi", p, load(f"bias_{part}"), w64)
        p = binop(fn, "shrsi", p, load(f"shift_{part}"), w64)
        halves.append(fn.op(f"vector.bitcast {p} : {w64} to {v32}"))
    pick = ", ".join(f"{i}, {lanes + i}" for i in range(0, lanes, 2))
    return fn.op(f"vector.shuffle {halves[0]}, {halves[1]} [{pick}] : {v32}, {v32}")


def requant_i32_vector(
    fn: Function, acc: str, tabs: dict, index: str, lanes: int, out_zp: int
) -> str:
    """The "neon" requantization of an i32 vector with the tables of `i32_requant_tables`
    (made for the same `out_zp`), plus the output zero point."""
    if "mult_even" in tabs:
        return requant_paired_vector(fn, acc, tabs, index, lanes)
    v32, v64 = vec(lanes, "i32"), vec(lanes, "i64")
    zp = iconst(fn, out_zp, v32)

    def load(name: str) -> str:
        mem, mty = tabs[name]
        return fn.op(f"vector.load {mem}[{index}] : {mty}, {v32}")

    if "shl" in tabs:
        a = binop(fn, "shli", acc, load("shl"), v32)
        p = binop(fn, "muli", ext(fn, a, v32, v64), ext(fn, load("mult"), v32, v64), v64)
        p = binop(fn, "addi", p, iconst(fn, 1 << 31, v64), v64)
        p = binop(fn, "shrsi", p, iconst(fn, 32, v64), v64)
    elif lanes % 2 == 0:
        s = srdhm_in_place(fn, acc, load("mult"), lanes)
        s = binop(fn, "addi", s, load("half"), v32)
        return binop(fn, "addi", binop(fn, "shrsi", s, load("right"), v32), zp, v32)
    else:
        p = binop(fn, "muli", ext(fn, acc, v32, v64), ext(fn, load("mult"), v32, v64), v64)
        p = binop(fn, "addi", p, iconst(fn, 1 << 30, v64), v64)
        p = binop(fn, "shrsi", p, iconst(fn, 31, v64), v64)
    s = fn.op(f"arith.trunci {p} : {v64} to {v32}")
    s = binop(fn, "addi", s, load("half"), v32)
    return binop(fn, "addi", binop(fn, "shrsi", s, load("right"), v32), zp, v32)


def srdhm_in_place(fn: Function, acc: str, mult: str, lanes: int) -> str:
    """(acc * mult + 2^30) >> 31 per i32 lane (mult in [0, 2^31)) without widening the
    vector: even and odd lanes of the i32 vectors seen as i64 lanes are multiplied apart (one
    `vpmuldq` each on x86), and bits 31..62 of each product go back into the lane they came
    from (a shift right for the even lanes, left for the odd ones, one blend). Widening to i64
    and narrowing back costs about twice the instructions."""
    v32, w64 = vec(lanes, "i32"), vec(lanes // 2, "i64")
    c32, c31, c1 = (iconst(fn, c, w64) for c in (32, 31, 1))
    a, m = (fn.op(f"vector.bitcast {v} : {v32} to {w64}") for v in (acc, mult))

    def low(v: str) -> str:  # the even lane, sign-extended
        return binop(fn, "shrsi", binop(fn, "shli", v, c32, w64), c32, w64)

    def high(v: str) -> str:  # the odd lane, sign-extended
        return binop(fn, "shrsi", v, c32, w64)

    rounding = iconst(fn, 1 << 30, w64)
    even = binop(fn, "addi", binop(fn, "muli", low(a), low(m), w64), rounding, w64)
    odd = binop(fn, "addi", binop(fn, "muli", high(a), high(m), w64), rounding, w64)
    even = fn.op(f"vector.bitcast {binop(fn, 'shrui', even, c31, w64)} : {w64} to {v32}")
    odd = fn.op(f"vector.bitcast {binop(fn, 'shli', odd, c1, w64)} : {w64} to {v32}")
    odd_lanes = fn._const(
        "dense<[" + ", ".join("true" if i % 2 else "false" for i in range(lanes)) + "]>",
        vec(lanes, "i1"),
    )
    return fn.op(f"arith.select {odd_lanes}, {odd}, {even} : {vec(lanes, 'i1')}, {v32}")


def store_narrow(
    fn: Function, v32: str, lanes: int, mem: str, mty: str, index: str, count: int, elem: str = "i8"
) -> None:
    """Stores the low bits of an i32 vector (already clamped) as `count` 8-bit values."""
    v8 = fn.op(f"arith.trunci {v32} : {vec(lanes, 'i32')} to {vec(lanes, elem)}")
    if count == lanes:
        fn.line(f"vector.store {v8}, {mem}[{index}] : {mty}, {vec(lanes, elem)}")
        return
    if count == 1:
        # LLVM 22's x86 backend stores 4 bytes for a one-lane masked store of a truncated
        # vector (AVX-512BW): past the tensor's end at its last element.
        one = fn.op(f"vector.extract {v8}[0] : {elem} from {vec(lanes, elem)}")
        fn.store(one, mem, mty, index)
        return
    m = fn.mask(count, lanes)
    fn.line(
        f"vector.maskedstore {mem}[{index}], {m}, {v8} : {mty}, vector<{lanes}xi1>, "
        f"{vec(lanes, elem)}"
    )


def load_widened(
    fn: Function,
    mem: str,
    mty: str,
    index: str,
    lanes: int,
    count: int,
    dst: str = "i32",
    unsigned: bool = False,
) -> str:
    """`count` 8-bit values at `index` widened to a vector of `dst` (zero padded)."""
    v = load_i8(fn, mem, mty, index, lanes, count)
    return ext(fn, v, vec(lanes, "i8"), vec(lanes, dst), unsigned)


def load_i8(fn: Function, mem: str, mty: str, index: str, lanes: int, count: int) -> str:
    """`count` 8-bit values at `index` as a vector of `lanes` (zero padded)."""
    src = vec(lanes, "i8")
    if count == lanes:
        v = fn.op(f"vector.load {mem}[{index}] : {mty}, {src}")
    else:
        m = fn.mask(count, lanes)
        z = fn._const("dense<0>", src)
        v = fn.op(
            f"vector.maskedload {mem}[{index}], {m}, {z} : {mty}, vector<{lanes}xi1>, "
            f"{src} into {src}"
        )
    return v
