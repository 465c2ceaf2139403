"""int8 reductions: mean, sum, reduce_max/min, and softmax / log_softmax over the last axis.

A reduction reads, for output o, the inputs at base[o] + rel[r]: both offset lists are computed
at compile time, so any set of axes takes the same loop. The arithmetic follows the
interpreter: MEAN folds 1/n into the multiplier (reference path) or, for 4-D H,W means with
kept dims, uses LiteRT's optimized float-derived bias and "neon" rounding for blocks of 16
channels; SUM rescales in float as LiteRT's optimized QuantizedMeanOrSum; SOFTMAX and LOG_SOFTMAX use
the float exp table and float normalization of LiteRT's int8 kernels.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu import kernels_int8_common as q
from tflc.backends.cpu import kernels_int8_fixed_point as fixed
from tflc.backends.cpu.emitter import Function
from tflc.backends.cpu.graph import Node
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling
from tflc.errors import TflcError
from tflc.runtime.kernels.quant_math import quantize_multiplier
from tflc.runtime.kernels.quantized_activations import softmax_exp_table


def _axes(node: Node) -> tuple[int, ...]:
    x_t = node.inputs[0]
    a_t = node.inputs[1]
    rank = len(x_t.shape)
    return tuple(sorted({int(a) % rank for a in np.asarray(a_t.value).reshape(-1)}))


def _offsets(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(base offset per output, relative offset per reduced element), in output order."""
    idx = np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.int64).reshape(shape)
    kept = [d for d in range(len(shape)) if d not in axes]
    moved = np.transpose(idx, kept + list(axes))
    n_out = int(np.prod([shape[d] for d in kept], dtype=np.int64))
    flat = moved.reshape(n_out, -1)
    return flat[:, 0].astype(np.int32), (flat[0] - flat[0, 0]).astype(np.int32)


def _reduce_loop(k: Kernel, node: Node, combine: str, init: int, finish) -> None:
    """out[o] = finish(o, fold(combine, x[base[o] + rel[r]] for r)) as i64 scalars."""
    fn = k.fn
    x_t, y_t = node.inputs[0], node.outputs[0]
    base, rel = _offsets(x_t.shape, _axes(node))
    x, y = k.arg_tensor(x_t), k.arg_tensor(y_t)
    b, r = k.arg_const(base), k.arg_const(rel)
    tb, te = k.parallel_range(base.size)
    with fn.loop(tb, te) as o:
        b0 = fn.load(b[0], b[1], o)
        with fn.loop_carried(0, rel.size, 1, [q.iconst(fn, init, "i64")], "i64") as (j, acc, res):
            off = fn.op(f"arith.addi {b0}, {fn.load(r[0], r[1], j)} : i32")
            v = fn.load(x[0], x[1], fn.op(f"arith.index_cast {off} : i32 to index"))
            v = fn.op(f"arith.extsi {v} : i8 to i64")
            res[:] = [fn.op(f"arith.{combine} {acc[0]}, {v} : i64")]
        out = finish(fn, o, res[0])
        fn.store(fn.op(f"arith.trunci {out} : i64 to i8"), y[0], y[1], o)


def emit_mean(k: Kernel, t: Tiling, node: Node) -> None:
    x_t, y_t = node.inputs[0], node.outputs[0]
    axes = _axes(node)
    in_s, in_zp = q.scale_zp(x_t)
    out_s, out_zp = q.scale_zp(y_t)
    in_s, out_s = float(np.float32(in_s)), float(np.float32(out_s))
    lo, hi = q.qrange(y_t)
    n = int(np.prod([x_t.shape[a] for a in axes], dtype=np.int64))
    keep = bool(node.attr("keep_dims", False))
    depth = x_t.shape[-1]
    if keep and len(x_t.shape) == 4 and axes == (1, 2):
        temp = np.float32(in_zp) * np.float32(in_s) / np.float32(out_s)
        temp = temp + np.float32(0.5) if temp > 0 else temp - np.float32(0.5)
        bias = out_zp - int(np.float32(temp))
        real = np.float32(in_s) / (np.float32(n) * np.float32(out_s))
        m, s = (int(v) for v in quantize_multiplier(float(real)))
        vec = depth // 16 * 16

        def finish(fn: Function, o: str, acc: str) -> str:
            ref = q.mbqm(fn, acc, m, s, "i64", "tflite")
            if vec:
                neon = q.mbqm(fn, acc, m, s, "i64", "neon")
                ch = fn.op(f"arith.remui {o}, {fn.idx(depth)} : index")
                in_vec = fn.op(f"arith.cmpi ult, {ch}, {fn.idx(vec)} : index")
                ref = fn.op(f"arith.select {in_vec}, {neon}, {ref} : i64")
            ref = fn.op(f"arith.addi {ref}, {q.iconst(fn, bias, 'i64')} : i64")
            return q.clamp(fn, ref, lo, hi, "i64")
    else:
        m, s = (int(v) for v in quantize_multiplier(np.float64(in_s) / np.float64(out_s)))
        if n:
            sh = min(n.bit_length() - 1, 32)
            sh = min(sh, 31 + s)
            m = (m << sh) // n
            s -= sh

        def finish(fn: Function, o: str, acc: str) -> str:
            acc = fn.op(f"arith.subi {acc}, {q.iconst(fn, in_zp * n, 'i64')} : i64")
            r = q.mbqm(fn, acc, m, s, "i64", "tflite")
            r = fn.op(f"arith.addi {r}, {q.iconst(fn, out_zp, 'i64')} : i64")
            return q.clamp(fn, r, lo, hi, "i64")

    _reduce_loop(k, node, "addi", 0, finish)


def emit_sum(k: Kernel, t: Tiling, node: Node) -> None:
    x_t, y_t = node.inputs[0], node.outputs[0]
    in_s, in_zp = q.scale_zp(x_t)
    out_s, out_zp = q.scale_zp(y_t)
    lo, hi = q.qrange(y_t)
    n = int(np.prod([x_t.shape[a] for a in _axes(node)], dtype=np.int64))
    scale = np.float32(in_s) / np.float32(out_s)
    bias = np.float32(np.float32(-in_zp) * scale) * np.float32(n)

    def finish(fn: Function, o: str, acc: str) -> str:
        f = fn.op(f"arith.sitofp {acc} : i64 to f32")
        f = fn.op(f"arith.mulf {f}, {fn.f32(float(scale))} : f32")
        f = fn.op(f"arith.addf {f}, {fn.f32(float(bias))} : f32")
        f = fn.op(f"math.round {f} : f32")
        r = fn.op(f"arith.fptosi {f} : f32 to i64")
        r = fn.op(f"arith.addi {r}, {q.iconst(fn, out_zp, 'i64')} : i64")
        return q.clamp(fn, r, lo, hi, "i64")

    _reduce_loop(k, node, "addi", 0, finish)


def emit_reduce_extreme(k: Kernel, t: Tiling, node: Node) -> None:
    x_t, y_t = node.inputs[0], node.outputs[0]
    (in_s, in_zp), (out_s, out_zp) = q.scale_zp(x_t), q.scale_zp(y_t)
    in_s, out_s = float(np.float32(in_s)), float(np.float32(out_s))
    lo, hi = q.qrange(y_t)
    is_max = node.op == "reduce_max"
    same = (in_s, in_zp) == (out_s, out_zp)
    m, s = (int(v) for v in quantize_multiplier(np.float64(in_s) / np.float64(out_s)))

    def finish(fn: Function, o: str, acc: str) -> str:
        if same:
            return acc
        acc = fn.op(f"arith.subi {acc}, {q.iconst(fn, in_zp, 'i64')} : i64")
        r = q.mbqm(fn, acc, m, s, "i64", "tflite")
        r = fn.op(f"arith.addi {r}, {q.iconst(fn, out_zp, 'i64')} : i64")
        return q.clamp(fn, r, lo, hi, "i64")

    _reduce_loop(k, node, "maxsi" if is_max else "minsi", -128 if is_max else 127, finish)


def _softmax_rows(k: Kernel, node: Node, beta: float, finish) -> None:
    """The rows of the last axis of an int8 softmax / log_softmax: each row's max, its sum of
    exp-table values (float32, in order), then `finish(base, j, x_j, max, sum, exp_of)` per
    element. The table is the interpreter's (softmax_exp_table, indexed by max - x)."""
    fn = k.fn
    x_t, y_t = node.inputs[0], node.outputs[0]
    if x_t.dtype != "i8" or y_t.dtype != "i8":
        raise TflcError(f"{node.op} {x_t.dtype} -> {y_t.dtype} on the cpu target", node.where)
    depth = x_t.shape[-1]
    rows = x_t.size // depth
    x = k.arg_tensor(x_t)
    tab = k.arg_const(softmax_exp_table(q.scale_zp(x_t)[0], beta))

    def value(base: str, j: str) -> str:
        return fn.op(f"arith.extsi {fn.load(x[0], x[1], fn.add(base, j))} : i8 to i32")

    def exp_of(v: str, mx: str) -> str:
        dd = fn.op(f"arith.subi {mx}, {v} : i32")
        return fn.load(tab[0], tab[1], fn.op(f"arith.index_cast {dd} : i32 to index"))

    tb, te = k.parallel_range(rows)
    with fn.loop(tb, te) as r:
        base = fn.mul(r, depth)
        with fn.loop_carried(0, depth, 1, [fn.i32(-128)], "i32") as (j, acc, res):
            res[:] = [fn.op(f"arith.maxsi {acc[0]}, {value(base, j)} : i32")]
        mx = res[0]
        with fn.loop_carried(0, depth, 1, [fn.f32(0.0)], "f32") as (j, acc, res2):
            res2[:] = [fn.op(f"arith.addf {acc[0]}, {exp_of(value(base, j), mx)} : f32")]
        finish(base, depth, value, mx, res2[0], exp_of)


def _store_i8(fn: Function, k: Kernel, y, rounded: str, zp: int, at: str) -> None:
    qv = fn.op(f"arith.fptosi {rounded} : f32 to i32")
    qv = q.clamp(fn, fn.op(f"arith.addi {qv}, {fn.i32(zp)} : i32"), -128, 127, "i32")
    fn.store(fn.op(f"arith.trunci {qv} : i32 to i8"), y[0], y[1], at)


def emit_softmax(k: Kernel, t: Tiling, node: Node) -> None:
    """exp(x - max) / sum, scaled by 1 / output scale and rounded half up (LiteRT's int8
    optimized Softmax)."""
    fn = k.fn
    out_s, out_zp = q.scale_zp(node.outputs[0])
    y = k.arg_tensor(node.outputs[0])
    out_s32 = fn.f32(float(np.float32(out_s)))

    def finish(base, depth, value, mx, total, exp_of) -> None:
        denom = fn.op(f"arith.mulf {total}, {out_s32} : f32")
        inv = fn.op(f"arith.divf {fn.f32(1.0)}, {denom} : f32")
        with fn.loop(0, depth) as j:
            prob = fn.op(f"arith.mulf {exp_of(value(base, j), mx)}, {inv} : f32")
            rnd = fn.op(f"math.floor {fn.op(f'arith.addf {prob}, {fn.f32(0.5)} : f32')} : f32")
            _store_i8(fn, k, y, rnd, out_zp, fn.add(base, j))

    _softmax_rows(k, node, float(node.attr("beta", 1.0)), finish)


def emit_log_softmax(k: Kernel, t: Tiling, node: Node) -> None:
    """x * (in / out scale) - (in scale * max + log(sum)) / out scale, rounded half to even
    (LiteRT's int8 optimized LogSoftmax, as the interpreter's quantized_activations.log_softmax:
    the log of the float32 sum taken in double and rounded to float32, like logf)."""
    fn = k.fn
    in_s32 = np.float32(q.scale_zp(node.inputs[0])[0])
    out_s, out_zp = q.scale_zp(node.outputs[0])
    out_s32 = np.float32(out_s)
    y = k.arg_tensor(node.outputs[0])

    def finish(base, depth, value, mx, total, exp_of) -> None:
        wide = fn.op(f"math.log {fn.op(f'arith.extf {total} : f32 to f64')} : f64")
        log_sum = fn.op(f"arith.truncf {wide} : f64 to f32")
        mx_f = fn.op(f"arith.sitofp {mx} : i32 to f32")
        shifted = fn.op(f"arith.mulf {fn.f32(float(in_s32))}, {mx_f} : f32")
        shifted = fn.op(f"arith.addf {shifted}, {log_sum} : f32")
        offset = fn.op(f"arith.divf {shifted}, {fn.f32(float(out_s32))} : f32")
        scale = fn.f32(float(in_s32 / out_s32))
        with fn.loop(0, depth) as j:
            xf = fn.op(f"arith.sitofp {value(base, j)} : i32 to f32")
            log_prob = fn.op(
                f"arith.subf {fn.op(f'arith.mulf {scale}, {xf} : f32')}, {offset} : f32"
            )
            _store_i8(fn, k, y, fn.op(f"math.roundeven {log_prob} : f32"), out_zp, fn.add(base, j))

    _softmax_rows(k, node, 1.0, finish)


def emit_l2_normalization(k: Kernel, t: Tiling, node: Node) -> None:
    """int8 L2Normalization: each row's sum of squares (of x - zero point) gives a fixed-point
    1 / sqrt at run time (kernels_int8_fixed_point.inv_sqrt_multiplier_exp, the interpreter's
    quant_math step for step); each value times it with 7 more bits of shift, clamped to int8
    (the output is LiteRT's fixed 1/128 scale)."""
    fn = k.fn
    x_t, y_t = node.inputs[0], node.outputs[0]
    if x_t.dtype != "i8" or y_t.dtype != "i8":
        raise TflcError(
            f"l2_normalization {x_t.dtype} -> {y_t.dtype} on the cpu target", node.where
        )
    zp = q.scale_zp(x_t)[1]
    depth = x_t.shape[-1]
    x, y = k.arg_tensor(x_t), k.arg_tensor(y_t)

    def centered(base: str, j: str) -> str:
        v = q.ext(fn, fn.load(x[0], x[1], fn.add(base, j)), "i8", "i64")
        return q.binop(fn, "subi", v, q.iconst(fn, zp, "i64"), "i64")

    tb, te = k.parallel_range(x_t.size // depth)
    with fn.loop(tb, te) as r:
        base = fn.mul(r, depth)
        with fn.loop_carried(0, depth, 1, [q.iconst(fn, 0, "i64")], "i64") as (j, acc, res):
            v = centered(base, j)
            res[:] = [q.binop(fn, "addi", acc[0], q.binop(fn, "muli", v, v, "i64"), "i64")]
        multiplier, shift = fixed.inv_sqrt_multiplier_exp(fn, res[0])
        shift = q.binop(fn, "addi", shift, q.iconst(fn, 7, "i64"), "i64")
        with fn.loop(0, depth) as j:
            v = q.clamp(
                fn, fixed.mbqm_dynamic(fn, centered(base, j), multiplier, shift), -128, 127, "i64"
            )
            fn.store(fn.op(f"arith.trunci {v} : i64 to i8"), y[0], y[1], fn.add(base, j))
