"""Dynamic-range (hybrid) fully_connected: int8 weights, float activations quantized per row
at run time exactly as TFLite's hybrid kernel does (tensor_utils::AsymmetricQuantizeFloats /
SymmetricQuantizeFloats), an int32 dot product, then one float rescale per output:

    q = clamp(round(zp + x * (1 / s)), -128, 127)        (asymmetric; symmetric: zp = 0, +-127)
    y = bias + float(sum_k q_k w_kn - zp * sum_k w_kn) * (s * w_scale_n)
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu.emitter import activation, vty
from tflc.backends.cpu.graph import Node
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling, const_float


def is_hybrid_fully_connected(node: Node) -> bool:
    w = node.inputs[1]
    return (
        node.op == "fully_connected"
        and w.is_const
        and w.scale is not None
        and w.dtype == "i8"
        and node.inputs[0].dtype == "f32"
    )


def emit_hybrid_fully_connected(k: Kernel, t: Tiling, node: Node) -> None:
    fn, v = k.fn, t.lanes
    x_t, w_t, y_t = node.inputs[0], node.inputs[1], node.outputs[0]
    b_t = node.inputs[2] if len(node.inputs) > 2 else None
    w_int = w_t.value.astype(np.int32)  # [N, K]
    n, depth = w_int.shape
    rows = x_t.size // depth
    npad = -(-n // v) * v
    wp = np.zeros((depth, npad), np.int32)
    wp[:, :n] = w_int.T
    sums = np.zeros(npad, np.int32)
    sums[:n] = w_int.sum(axis=1)
    scales = np.zeros(npad, np.float32)
    scales[:n] = np.broadcast_to(w_t.scale.astype(np.float32), (n,))
    bias = np.zeros(npad, np.float32)
    if b_t is not None:
        bias[:n] = const_float(b_t)
    asym = bool(node.attr("asymmetric_quantize_inputs", False))
    act = node.attr("fused_activation_function", "NONE")
    x = k.arg_tensor(x_t)
    y = k.arg_tensor(y_t)
    wv, sv = k.arg_const(wp), k.arg_const(sums)
    cv, bv = k.arg_const(scales), k.arg_const(bias)
    k.flops += 2 * rows * depth * n
    vi = f"vector<{v}xi32>"
    q = fn.op(f"memref.alloca() : memref<{depth}xi32>")
    qty = f"memref<{depth}xi32>"
    with fn.loop(0, rows) as r:
        base = fn.mul(r, depth)
        init = [fn.f32(np.inf), fn.f32(-np.inf)]
        with fn.loop_carried(0, depth, 1, init, "f32") as (i, mm, res):
            xv = fn.load(x[0], x[1], fn.add(base, i))
            res[:] = [
                fn.op(f"arith.minimumf {mm[0]}, {xv} : f32"),
                fn.op(f"arith.maximumf {mm[1]}, {xv} : f32"),
            ]
        lo, hi = res
        if asym:
            rmin = fn.op(
                f"arith.extf {fn.op(f'arith.minimumf {lo}, {fn.f32(0.0)} : f32')} : f32 to f64"
            )
            rmax = fn.op(
                f"arith.extf {fn.op(f'arith.maximumf {hi}, {fn.f32(0.0)} : f32')} : f32 to f64"
            )

            def d(c: float) -> str:
                return fn._const(f"{c!r}", "f64")

            scale = fn.op(
                f"arith.divf {fn.op(f'arith.subf {rmax}, {rmin} : f64')}, {d(255.0)} : f64"
            )
            a = fn.op(f"arith.divf {rmin}, {scale} : f64")
            bq = fn.op(f"arith.divf {rmax}, {scale} : f64")
            zmin = fn.op(f"arith.subf {d(-128.0)}, {a} : f64")
            zmax = fn.op(f"arith.subf {d(127.0)}, {bq} : f64")
            emin = fn.op(f"arith.addf {d(128.0)}, {fn.op(f'math.absf {a} : f64')} : f64")
            emax = fn.op(f"arith.addf {d(127.0)}, {fn.op(f'math.absf {bq} : f64')} : f64")
            use_min = fn.op(f"arith.cmpf olt, {emin}, {emax} : f64")
            zpd = fn.op(f"arith.select {use_min}, {zmin}, {zmax} : f64")
            zpd = fn.op(f"math.round {zpd} : f64")
            zpd = fn.op(f"arith.maximumf {zpd}, {d(-128.0)} : f64")
            zpd = fn.op(f"arith.minimumf {zpd}, {d(127.0)} : f64")
            same = fn.op(f"arith.cmpf oeq, {rmin}, {rmax} : f64")
            sf = fn.op(f"arith.truncf {scale} : f64 to f32")
            sf = fn.op(f"arith.select {same}, {fn.f32(1.0)}, {sf} : f32")
            zp = fn.op(f"arith.fptosi {zpd} : f64 to i32")
            zp = fn.op(f"arith.select {same}, {fn.i32(0)}, {zp} : i32")
            qlo, qhi = -128, 127
        else:
            rng = fn.op(
                f"arith.maximumf {fn.op(f'math.absf {lo} : f32')}, {fn.op(f'math.absf {hi} : f32')} : f32"
            )
            same = fn.op(f"arith.cmpf oeq, {rng}, {fn.f32(0.0)} : f32")
            sf = fn.op(f"arith.divf {rng}, {fn.f32(127.0)} : f32")
            sf = fn.op(f"arith.select {same}, {fn.f32(1.0)}, {sf} : f32")
            zp = fn.i32(0)
            qlo, qhi = -127, 127
        inv = fn.op(f"arith.divf {fn.f32(1.0 if asym else 127.0)}, {sf if asym else rng} : f32")
        zpf = fn.op(f"arith.sitofp {zp} : i32 to f32")
        with fn.loop(0, depth) as i:
            xv = fn.load(x[0], x[1], fn.add(base, i))
            sx = fn.op(f"arith.mulf {xv}, {inv} : f32")
            if asym:
                sx = fn.op(f"arith.addf {zpf}, {sx} : f32")
            qv = fn.op(f"math.round {sx} : f32")
            qv = fn.op(f"arith.maximumf {qv}, {fn.f32(qlo)} : f32")
            qv = fn.op(f"arith.minimumf {qv}, {fn.f32(qhi)} : f32")
            qv = fn.op(f"arith.fptosi {qv} : f32 to i32")
            qv = fn.op(f"arith.select {same}, {fn.i32(0)}, {qv} : i32")
            fn.store(qv, q, qty, i)
        sfv = fn.splat(sf)
        zpv = fn.op(f"vector.broadcast {zp} : i32 to {vi}")
        for c0 in range(0, n, v):
            count = min(v, n - c0)
            zero = fn._const("dense<0>", vi)
            with fn.loop_carried(0, depth, 1, [zero], vi) as (i, acc, res):
                qs = fn.op(f"vector.broadcast {fn.load(q, qty, i)} : i32 to {vi}")
                wvec = fn.op(f"vector.load {wv[0]}[{fn.add(fn.mul(i, npad), c0)}] : {wv[1]}, {vi}")
                prod = fn.op(f"arith.muli {qs}, {wvec} : {vi}")
                res[:] = [fn.op(f"arith.addi {acc[0]}, {prod} : {vi}")]
            rs = fn.op(f"vector.load {sv[0]}[{fn.idx(c0)}] : {sv[1]}, {vi}")
            dot = fn.op(f"arith.subi {res[0]}, {fn.op(f'arith.muli {rs}, {zpv} : {vi}')} : {vi}")
            dotf = fn.op(f"arith.sitofp {dot} : {vi} to {vty(v)}")
            scale = fn.op(f"arith.mulf {sfv}, {fn.vload(cv[0], cv[1], fn.idx(c0))} : {vty(v)}")
            out = fn.op(f"arith.mulf {dotf}, {scale} : {vty(v)}")
            out = fn.op(f"arith.addf {fn.vload(bv[0], bv[1], fn.idx(c0))}, {out} : {vty(v)}")
            out = activation(fn, out, act, vty(v))
            fn.vstore_n(out, y[0], y[1], fn.add(fn.mul(r, n), c0), count)
