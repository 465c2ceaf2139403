"""int8 elementwise kernels: per-value tables (activations, requantize, dequantize), quantize
from float, the integer binary ops (add, sub, mul, squared_difference, maximum, minimum, prelu
with a constant slope), and div as a table of value pairs.

ADD and MUL follow LiteRT's split between its vector loop (SQRDMULH, ties upward) and scalar
tails (ties away from zero): the interpreter's `lane_kinds` says which loop computes each
element; a run of vector elements is emitted as one arithmetic, mixed runs select per element.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu import kernels_int8_common as q
from tflc.backends.cpu import kernels_int8_reference as reference
from tflc.backends.cpu.emitter import Function
from tflc.backends.cpu.graph import Node
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling
from tflc.errors import TflcError
from tflc.runtime.kernels.quant_math import quantize_multiplier
from tflc.runtime.kernels.quantized_elementwise import REF, VEC, lane_kinds
from tflc.runtime.op_traits import INT8_TABLE

# Ops whose int8 output is a function of one input value: the op table's int8 table ops and a
# few more whose tables are as cheap (the interpreter's kernel gives every table).
TABLE_UNARY_OPS = {op.lower() for op in INT8_TABLE} | {"quantize", "dequantize"}
BINARY_OPS = {"add", "sub", "mul", "squared_difference", "maximum", "minimum", "prelu"}


def _index(fn: Function, i: str) -> str:
    return fn.op(f"arith.index_cast {i} : i32 to index")


def emit_table_unary(k: Kernel, t: Tiling, node: Node) -> None:
    """y[i] = table[x[i]]; the interpreter gives the table (two when LiteRT's vector loop and
    its scalar tail round differently: QUANTIZE's int8 requantize, in blocks of 16)."""
    fn = k.fn
    x_t, y_t = node.inputs[0], node.outputs[0]
    long_run, single = reference.value_tables(node)
    n = y_t.size
    n_vec = n
    if not np.array_equal(long_run, single):
        if node.op != "quantize":
            raise TflcError(f"int8 '{node.op}' has position-dependent rounding", node.where)
        n_vec = n // 16 * 16
    x = k.arg_tensor(x_t)
    y = k.arg_tensor(y_t)
    out_elem = y[1].split("x")[-1].rstrip(">")
    offset = 128 if x_t.dtype == "i8" else 0
    extend = "arith.extsi" if x_t.dtype == "i8" else "arith.extui"

    def run(lo: int, hi: int, table: np.ndarray) -> None:
        if hi <= lo:
            return
        tab = k.arg_const(table.astype(np.float32 if out_elem == "f32" else table.dtype))
        with fn.loop(lo, hi) as i:
            v = fn.op(f"{extend} {fn.load(x[0], x[1], i)} : i8 to i32")
            j = _index(fn, fn.op(f"arith.addi {v}, {fn.i32(offset)} : i32"))
            fn.store(fn.load(tab[0], tab[1], j), y[0], y[1], i)

    run(0, n_vec, long_run)
    run(n_vec, n, single)


def emit_quantize_float(k: Kernel, t: Tiling, node: Node) -> None:
    """float32 -> int8 (optimized AffineQuantize): blocks of 8 multiply by the float reciprocal
    and round by adding +-0.5; the tail divides in double and rounds half away from zero."""
    fn = k.fn
    x_t, y_t = node.inputs[0], node.outputs[0]
    if y_t.dtype != "i8" or y_t.axis is not None:
        raise TflcError(f"quantize to {y_t.dtype} is not supported by the cpu target", node.where)
    scale, zp = q.scale_zp(y_t)
    scale = float(np.float32(scale))
    n = y_t.size
    n_vec = n // 8 * 8
    x = k.arg_tensor(x_t)
    y = k.arg_tensor(y_t)

    def finish(v64: str, i: str) -> None:
        v64 = fn.op(f"arith.addi {v64}, {q.iconst(fn, zp, 'i64')} : i64")
        v64 = q.clamp(fn, v64, -128, 127, "i64")
        fn.store(fn.op(f"arith.trunci {v64} : i64 to i8"), y[0], y[1], i)

    if n_vec:
        inv = fn.f32(float(np.float32(1.0 / scale)))
        with fn.loop(0, n_vec) as i:
            v = fn.op(f"arith.mulf {fn.load(x[0], x[1], i)}, {inv} : f32")
            neg = fn.op(f"arith.cmpf olt, {v}, {fn.f32(0.0)} : f32")
            h = fn.op(f"arith.select {neg}, {fn.f32(-0.5)}, {fn.f32(0.5)} : f32")
            v = fn.op(f"arith.addf {v}, {h} : f32")
            finish(fn.op(f"arith.fptosi {v} : f32 to i64"), i)
    if n_vec < n:
        s64 = fn._const(repr(scale), "f64")
        with fn.loop(n_vec, n) as i:
            v = fn.op(f"arith.extf {fn.load(x[0], x[1], i)} : f32 to f64")
            v = fn.op(f"arith.divf {v}, {s64} : f64")
            v = fn.op(f"math.round {v} : f64")
            finish(fn.op(f"arith.fptosi {v} : f64 to i64"), i)


# ---- binary ops -------------------------------------------------------------------------------


def _params(node: Node) -> dict:
    """The integer parameters of the op, computed exactly as the interpreter does."""
    a_t, b_t, y_t = node.inputs[0], node.inputs[1], node.outputs[0]
    s1, z1 = q.scale_zp(a_t)
    s2, z2 = q.scale_zp(b_t)
    so, zo = q.scale_zp(y_t)
    s1, s2, so = (float(np.float32(s)) for s in (s1, s2, so))
    p = dict(z1=z1, z2=z2, zo=zo)
    if node.op in ("add", "sub"):
        twice_max = 2.0 * float(np.float32(max(s1, s2)))
        p["left"] = 20
        p["m1"], p["s1"] = (int(v) for v in quantize_multiplier(s1 / twice_max))
        p["m2"], p["s2"] = (int(v) for v in quantize_multiplier(s2 / twice_max))
        p["mo"], p["so"] = (int(v) for v in quantize_multiplier(twice_max / ((1 << 20) * so)))
    elif node.op == "mul":
        real = float(np.float32(np.float32(s1) * np.float32(s2)) / np.float32(so))
        p["m"], p["s"] = (int(v) for v in quantize_multiplier(real))
    elif node.op == "squared_difference":
        twice_max = 2.0 * float(np.float32(max(s1, s2)))
        p["m1"], p["s1"] = (int(v) for v in quantize_multiplier(s1 / twice_max))
        p["m2"], p["s2"] = (int(v) for v in quantize_multiplier(s2 / twice_max))
        p["mo"], p["so"] = (
            int(v) for v in quantize_multiplier(twice_max * twice_max / ((1 << 14) * so))
        )
    return p


def _kinds(node: Node) -> np.ndarray:
    a_t, b_t, y_t = node.inputs[0], node.inputs[1], node.outputs[0]
    n = y_t.size
    if node.op == "add":
        return lane_kinds(a_t.shape, b_t.shape, y_t.shape, 16, 8)
    if node.op == "mul":
        return lane_kinds(a_t.shape, b_t.shape, y_t.shape, 16, 16)
    return np.full(n, REF)


def _wrap16(fn: Function, v: str, ty: str) -> str:
    """vmovn_s32: the low 16 bits, sign extended."""
    v = fn.op(f"arith.trunci {v} : {ty} to {q.retype(ty, 'i16')}")
    return fn.op(f"arith.extsi {v} : {q.retype(ty, 'i16')} to {ty}")


def binary_value(fn: Function, op: str, p: dict, x1: str, x2: str, kind: int, ty: str) -> str:
    """The op on zero-point-adjusted i64 inputs, before the output zero point and clamp."""
    c = lambda v: q.iconst(fn, v, ty)  # noqa: E731
    b = lambda o, a, bb: q.binop(fn, o, a, bb, ty)  # noqa: E731
    if op in ("add", "sub"):
        if kind == REF:
            r1 = q.mbqm(fn, b("shli", x1, c(p["left"])), p["m1"], p["s1"], ty, "tflite")
            r2 = q.mbqm(fn, b("shli", x2, c(p["left"])), p["m2"], p["s2"], ty, "tflite")
            total = b("subi" if op == "sub" else "addi", r1, r2)
            return q.mbqm(fn, total, p["mo"], p["so"], ty, "tflite")
        if kind == VEC:
            e1 = q.srdhm(fn, b("shli", x1, c(p["left"] + p["s1"])), p["m1"], ty)
            e2 = q.srdhm(fn, b("shli", x2, c(p["left"] + p["s2"])), p["m2"], ty)
        else:  # SCALAR_VEC: shift left, SQRDMULH, truncating shift right
            e1 = b("shrsi", q.srdhm(fn, b("shli", x1, c(p["left"])), p["m1"], ty), c(-p["s1"]))
            e2 = b("shrsi", q.srdhm(fn, b("shli", x2, c(p["left"])), p["m2"], ty), c(-p["s2"]))
        out = q.rounding_divide_by_pot(
            fn, q.srdhm(fn, b("addi", e1, e2), p["mo"], ty), -p["so"], ty
        )
        return _wrap16(fn, out, ty)
    if op == "mul":
        prod = b("muli", x1, x2)
        if kind == REF:
            return q.mbqm(fn, prod, p["m"], p["s"], ty, "tflite")
        left = max(p["s"], 0)
        v = q.srdhm(fn, b("shli", prod, c(left)) if left else prod, p["m"], ty)
        return _wrap16(fn, q.rounding_divide_by_pot(fn, v, max(-p["s"], 0), ty), ty)
    if op == "squared_difference":
        r1 = q.mbqm(fn, b("shli", x1, c(7)), p["m1"], p["s1"], ty, "tflite")
        r2 = q.mbqm(fn, b("shli", x2, c(7)), p["m2"], p["s2"], ty, "tflite")
        d = b("subi", r1, r2)
        return q.mbqm(fn, b("muli", d, d), p["mo"], p["so"], ty, "tflite")
    raise NotImplementedError(op)


def _check_same_quant(node: Node) -> None:
    qs = {
        (float(np.float32(t.scale[0])), int(t.zero_point[0]))
        for t in [*node.inputs[:2], node.outputs[0]]
    }
    if len(qs) != 1:
        raise TflcError(f"int8 '{node.op}' with rescaling is not supported", node.where)


def _operand(fn: Function, k: Kernel, t, y_t):
    """A loader `(i) -> i64 value` of operand `t` broadcast to the output, by flat index."""
    mem = k.arg_tensor(t)
    ext = "arith.extsi" if t.dtype == "i8" else "arith.extui"
    if t.shape == y_t.shape:
        idx = None
    else:
        src = np.arange(max(t.size, 1), dtype=np.int32).reshape(t.shape)
        idx = k.arg_const(np.broadcast_to(src, y_t.shape).reshape(-1).astype(np.int32))

    def load(i: str) -> str:
        j = i if idx is None else _index(fn, fn.load(idx[0], idx[1], i))
        return fn.op(f"{ext} {fn.load(mem[0], mem[1], j)} : i8 to i64")

    return load


def emit_binary(k: Kernel, t: Tiling, node: Node) -> None:
    fn = k.fn
    a_t, b_t, y_t = node.inputs[0], node.inputs[1], node.outputs[0]
    if node.op == "prelu":
        emit_prelu(k, t, node)
        return
    if y_t.dtype != "i8":
        raise TflcError(f"int8 '{node.op}' with {y_t.dtype} output", node.where)
    if node.op in ("maximum", "minimum"):
        _check_same_quant(node)
    kinds = _kinds(node)
    n_vec = int(np.count_nonzero(kinds == VEC))
    if a_t.shape == b_t.shape and n_vec and np.all(kinds[:n_vec] == VEC):
        _emit_same_shape(k, t, node, n_vec)
        return
    p = _params(node) if node.op not in ("maximum", "minimum") else {}
    lo, hi = q.out_clamp(node)
    la = _operand(fn, k, a_t, y_t)
    lb = _operand(fn, k, b_t, y_t)
    y = k.arg_tensor(y_t)
    used = sorted(set(kinds.tolist()))
    kind_tab = k.arg_const(kinds.astype(np.int8)) if len(used) > 1 else None
    n = y_t.size
    tb, te = k.parallel_range(n)
    with fn.loop(tb, te) as i:
        x1, x2 = la(i), lb(i)
        if node.op in ("maximum", "minimum"):
            r = q.binop(fn, "maxsi" if node.op == "maximum" else "minsi", x1, x2, "i64")
        else:
            x1 = q.binop(fn, "subi", x1, q.iconst(fn, p["z1"], "i64"), "i64")
            x2 = q.binop(fn, "subi", x2, q.iconst(fn, p["z2"], "i64"), "i64")
            vals = {kd: binary_value(fn, node.op, p, x1, x2, kd, "i64") for kd in used}
            r = vals[used[0]]
            if kind_tab is not None:
                kd = fn.load(kind_tab[0], kind_tab[1], i)
                for other in used[1:]:
                    is_it = fn.op(f"arith.cmpi eq, {kd}, {fn._const(str(other), 'i8')} : i8")
                    r = fn.op(f"arith.select {is_it}, {vals[other]}, {r} : i64")
            r = q.binop(fn, "addi", r, q.iconst(fn, p["zo"], "i64"), "i64")
        r = q.clamp(fn, r, lo, hi, "i64")
        fn.store(fn.op(f"arith.trunci {r} : i64 to i8"), y[0], y[1], i)


def _emit_same_shape(k: Kernel, t: Tiling, node: Node, n_vec: int) -> None:
    """Equal shapes: the first `n_vec` elements (LiteRT's vector loop) as vectors, the tail
    with reference rounding; threads split the vectors. The vector loop's values fit in i32
    (|x - zp| <= 255 shifted left by at most 20 for ADD; MUL's product by its left shift), so
    it runs in i32 lanes with i64 only inside the high multiplies."""
    fn, v = k.fn, t.lanes
    a_t, b_t, y_t = node.inputs[0], node.inputs[1], node.outputs[0]
    p = _params(node)
    lo, hi = q.out_clamp(node)
    a, b, y = k.arg_tensor(a_t), k.arg_tensor(b_t), k.arg_tensor(y_t)
    n = y_t.size
    if node.op == "add":
        biggest = 255 << (p["left"] + max(p["s1"], p["s2"], 0))
    else:
        biggest = 255 * 255 << max(p["s"], 0)
    lane = "i32" if biggest < 1 << 29 else "i64"

    def element(i: str, lanes: int | None, kind: int) -> None:
        ty = q.vec(lanes, lane) if lanes else "i64"
        if lanes:
            x1 = q.load_widened(fn, a[0], a[1], i, lanes, lanes, lane)
            x2 = q.load_widened(fn, b[0], b[1], i, lanes, lanes, lane)
        else:
            x1 = fn.op(f"arith.extsi {fn.load(a[0], a[1], i)} : i8 to i64")
            x2 = fn.op(f"arith.extsi {fn.load(b[0], b[1], i)} : i8 to i64")
        x1 = q.binop(fn, "subi", x1, q.iconst(fn, p["z1"], ty), ty)
        x2 = q.binop(fn, "subi", x2, q.iconst(fn, p["z2"], ty), ty)
        r = binary_value(fn, node.op, p, x1, x2, kind, ty)
        r = q.binop(fn, "addi", r, q.iconst(fn, p["zo"], ty), ty)
        r = q.clamp(fn, r, lo, hi, ty)
        if lanes:
            if lane == "i64":
                r = fn.op(f"arith.trunci {r} : {ty} to {q.vec(lanes, 'i32')}")
            q.store_narrow(fn, r, lanes, y[0], y[1], i, lanes)
        else:
            fn.store(fn.op(f"arith.trunci {r} : i64 to i8"), y[0], y[1], i)

    blocks = n_vec // v
    tb, te = k.parallel_range(blocks)
    with fn.loop(tb, te) as blk:
        element(fn.mul(blk, v), v, VEC)
    if n_vec < n:
        last = fn.op(f"arith.cmpi eq, {te}, {fn.idx(blocks)} : index")

        def tail() -> None:
            with fn.loop(n_vec, n) as i:
                element(i, None, REF)

        fn.if_else(last, tail)


def emit_prelu(k: Kernel, t: Tiling, node: Node) -> None:
    """PReLU with a constant slope: one 256-entry table per slope element."""
    fn = k.fn
    x_t, a_t, y_t = node.inputs[0], node.inputs[1], node.outputs[0]
    if not a_t.is_const:
        raise TflcError("int8 prelu needs a constant slope on the cpu target", node.where)
    alpha = a_t.value
    values = np.arange(-128, 128).astype(np.int8)
    xs = np.broadcast_to(values.reshape((256,) + (1,) * alpha.ndim), (256, *alpha.shape))
    table = reference.evaluate(node, [np.ascontiguousarray(xs), alpha], xs.shape)
    table = np.ascontiguousarray(table.reshape(256, -1).T).reshape(-1)  # [slope][value]
    tab = k.arg_const(table.astype(np.int8))
    slope_of = np.broadcast_to(
        np.arange(max(alpha.size, 1), dtype=np.int32).reshape(alpha.shape), y_t.shape
    ).reshape(-1)
    sl = k.arg_const(np.ascontiguousarray(slope_of) * 256)
    x = k.arg_tensor(x_t)
    y = k.arg_tensor(y_t)
    with fn.loop(0, y_t.size) as i:
        v = fn.op(f"arith.extsi {fn.load(x[0], x[1], i)} : i8 to i32")
        v = fn.op(f"arith.addi {v}, {fn.i32(128)} : i32")
        v = fn.op(f"arith.addi {v}, {fn.load(sl[0], sl[1], i)} : i32")
        fn.store(fn.load(tab[0], tab[1], _index(fn, v)), y[0], y[1], i)


def emit_div(k: Kernel, t: Tiling, node: Node) -> None:
    """int8 DIV as a table of every pair of values: y = table[(a + 128) * 256 + b + 128], each
    entry the interpreter's quantized_div (reference DivElementwise: a fixed-point reciprocal
    per divisor, bit-exact with LiteRT). A divisor equal to its zero point, where LiteRT stops
    with an error, gives the output zero point."""
    fn = k.fn
    a_t, b_t, y_t = node.inputs[0], node.inputs[1], node.outputs[0]
    values = np.arange(-128, 128).astype(np.int8)
    dividends, divisors = np.repeat(values, 256), np.tile(values, 256)
    defined = divisors.astype(np.int64) != q.scale_zp(b_t)[1]
    lo, hi = q.out_clamp(node)
    table = np.full(divisors.size, np.clip(q.scale_zp(y_t)[1], lo, hi), np.int8)
    pairs = [dividends[defined], divisors[defined]]
    table[defined] = reference.evaluate(node, pairs, pairs[0].shape).reshape(-1)
    la, lb = _operand(fn, k, a_t, y_t), _operand(fn, k, b_t, y_t)
    tab = k.arg_const(table)
    y = k.arg_tensor(y_t)
    tb, te = k.parallel_range(y_t.size)
    with fn.loop(tb, te) as i:
        row = q.binop(fn, "addi", la(i), q.iconst(fn, 128, "i64"), "i64")
        at = q.binop(fn, "muli", row, q.iconst(fn, 256, "i64"), "i64")
        at = q.binop(
            fn, "addi", at, q.binop(fn, "addi", lb(i), q.iconst(fn, 128, "i64"), "i64"), "i64"
        )
        fn.store(
            fn.load(tab[0], tab[1], fn.op(f"arith.index_cast {at} : i64 to index")), y[0], y[1], i
        )
