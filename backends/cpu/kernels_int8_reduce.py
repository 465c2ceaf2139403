"""int8 reductions: mean, sum, reduce_max/min, and softmax over the last axis.

A reduction reads, for output o, the inputs at base[o] + rel[r]: both offset lists are computed
at compile time, so any set of axes takes the same loop. The arithmetic follows the
interpreter: MEAN folds 1/n into the multiplier (reference path) or, for 4-D H,W means with
kept dims, uses LiteRT's optimized float-derived bias and "neon" rounding for blocks of 16
channels; SUM rescales in float as LiteRT's optimized QuantizedMeanOrSum; SOFTMAX uses the
float exp table and float normalization of LiteRT's int8 kernel.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu import kernels_int8_common as q
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


def emit_softmax(k: Kernel, t: Tiling, node: Node) -> None:
    fn = k.fn
    x_t, y_t = node.inputs[0], node.outputs[0]
    if x_t.dtype != "i8" or y_t.dtype != "i8":
        raise TflcError(f"softmax {x_t.dtype} -> {y_t.dtype} on the cpu target", node.where)
    beta = float(node.attr("beta", 1.0))
    in_s, _ = q.scale_zp(x_t)
    out_s, out_zp = q.scale_zp(y_t)
    table = softmax_exp_table(in_s, beta)  # indexed by max - x
    depth = x_t.shape[-1]
    rows = x_t.size // depth
    x, y = k.arg_tensor(x_t), k.arg_tensor(y_t)
    tab = k.arg_const(table)
    out_s32 = fn.f32(float(np.float32(out_s)))

    def exp_of(base: str, j: str, mx: str) -> str:
        v = fn.op(f"arith.extsi {fn.load(x[0], x[1], fn.add(base, j))} : i8 to i32")
        dd = fn.op(f"arith.subi {mx}, {v} : i32")
        return fn.load(tab[0], tab[1], fn.op(f"arith.index_cast {dd} : i32 to index"))

    tb, te = k.parallel_range(rows)
    with fn.loop(tb, te) as r:
        base = fn.mul(r, depth)
        with fn.loop_carried(0, depth, 1, [fn.i32(-128)], "i32") as (j, acc, res):
            v = fn.op(f"arith.extsi {fn.load(x[0], x[1], fn.add(base, j))} : i8 to i32")
            res[:] = [fn.op(f"arith.maxsi {acc[0]}, {v} : i32")]
        mx = res[0]
        with fn.loop_carried(0, depth, 1, [fn.f32(0.0)], "f32") as (j, acc, res2):
            res2[:] = [fn.op(f"arith.addf {acc[0]}, {exp_of(base, j, mx)} : f32")]
        denom = fn.op(f"arith.mulf {res2[0]}, {out_s32} : f32")
        inv = fn.op(f"arith.divf {fn.f32(1.0)}, {denom} : f32")
        with fn.loop(0, depth) as j:
            prob = fn.op(f"arith.mulf {exp_of(base, j, mx)}, {inv} : f32")
            rnd = fn.op(f"math.floor {fn.op(f'arith.addf {prob}, {fn.f32(0.5)} : f32')} : f32")
            qv = fn.op(f"arith.fptosi {rnd} : f32 to i32")
            qv = fn.op(f"arith.addi {qv}, {fn.i32(out_zp)} : i32")
            qv = q.clamp(fn, qv, -128, 127, "i32")
            fn.store(fn.op(f"arith.trunci {qv} : i32 to i8"), y[0], y[1], fn.add(base, j))
