"""int8 kernels of the GEMM family: fully_connected and conv_2d (1x1 as a GEMM, general convs
with bounds-checked borders), register-tiled like the float kernels (MR pixels x NR vectors).

Weights are packed at compile time in groups of consecutive reduction steps, interleaved per
output channel, and one step multiplies a broadcast group of inputs with a panel of weights
(kernels_int8_dot.py: int16 pairs through `vpmaddwd`, or, where the CPU has it, groups of four
through the u8 x s8 `vpdpbusd`). The input zero point (and the dot product's own input offset)
is folded into a per-channel initial accumulator (bias - (zp_in + offset) * sum(w)); padded
taps read the input zero point, so they contribute nothing, as in TFLite. Requantization
("neon" rounding, as LiteRT's ruy/optimized paths), the output zero point and the activation
clamp are applied to the accumulators before the one store of each tile.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu import kernels_int8_common as q
from tflc.backends.cpu.emitter import Function
from tflc.backends.cpu.graph import Node, Tensor
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import (
    Tiling,
    _conv_geometry,
    _interior,
    row_of_tiles,
    split_row_tiles,
)
from tflc.backends.cpu.kernels_int8_dot import PairDot, QuadDot, dot_for, pack_groups
from tflc.errors import TflcError
from tflc.runtime.kernels.quant_math import quantize_multiplier


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def conv_multipliers(x_t: Tensor, w_t: Tensor, y_t: Tensor, n: int):
    """PopulateConvolutionQuantizationParams: per-channel (or broadcast) multiplier/shift."""
    in_s = float(np.float32(x_t.scale[0]))
    out_s = float(np.float32(y_t.scale[0]))
    w_s = np.broadcast_to(w_t.scale.astype(np.float32).astype(np.float64), (n,))
    return quantize_multiplier((np.float64(in_s) * w_s) / np.float64(out_s))


def _weights(w_t: Tensor) -> np.ndarray:
    if w_t.dtype != "i8" or np.any(w_t.zero_point != 0):
        raise TflcError("only symmetric int8 weights are supported by the cpu target")
    return w_t.value.astype(np.int64)


def _bias(b_t: Tensor | None, n: int) -> np.ndarray:
    if b_t is None:
        return np.zeros(n, np.int64)
    return b_t.value.astype(np.int64).reshape(-1)


class Int8Tile:
    """MR x NR i32 accumulators over one output-channel panel, requantized at the store."""

    def __init__(
        self,
        k: Kernel,
        t: Tiling,
        node: Node,
        x,
        w_kn: np.ndarray,
        bias: np.ndarray,
        x_zp: int,
        out,
        n: int,
        mult,
        shift,
        dot: PairDot | QuadDot,
        k_groups: int = 1,
    ):
        self.k, self.t, self.x, self.out, self.n, self.dot = k, t, x, out, n, dot
        nrv = t.nr * t.lanes
        self.nrv = nrv
        self.w = k.arg_const(pack_groups(w_kn, nrv, dot.group, k_groups))
        n_pad = _ceil_div(n, nrv) * nrv
        w_sum = w_kn.sum(axis=0)
        init = np.zeros(n_pad, np.int64)
        init[:n] = bias - (x_zp + dot.input_offset) * w_sum
        if np.any(np.abs(init) >= 1 << 31):
            raise TflcError("int8 accumulator initial value does not fit in int32", node.where)
        self.init = k.arg_const(init.astype(np.int32))
        # the final sums, whatever the dot product's offset: bias + sum((x - zp) * w)
        start = np.abs(bias - x_zp * w_sum)
        bound = int(np.max(start + 128 * np.abs(w_kn).sum(axis=0), initial=0))
        y_t = node.outputs[0]
        self.zo = q.scale_zp(y_t)[1]
        tabs32 = q.i32_requant_tables(mult, shift, n_pad, bound, self.zo, t.lanes)
        self.i32 = tabs32 is not None
        if self.i32:
            self.tabs = {name: k.arg_const(a) for name, a in tabs32.items()}
        else:
            tabs = q.neon_requant_tables(mult, shift, n_pad)
            self.any_left = bool(np.any(tabs["left"]))
            self.tabs = {name: k.arg_const(a) for name, a in tabs.items()}
        self.lo, self.hi = q.out_clamp(node)

    def emit(self, mr: int, nb, valid_cols: int, k_loops, out_rows) -> None:
        fn, v = self.k.fn, self.t.lanes
        v32 = q.vec(v, "i32")
        nvec = _ceil_div(valid_cols, v)
        col0 = fn.mul(nb, self.nrv)
        init = [
            fn.op(f"vector.load {self.init[0]}[{fn.add(col0, j * v)}] : {self.init[1]}, {v32}")
            for j in range(nvec)
        ]
        accs = k_loops(fn, nb, nvec, [init[j] for _ in range(mr) for j in range(nvec)])
        for m in range(mr):
            base = fn.add(out_rows(m), col0)
            for j in range(nvec):
                val = self.requantize(accs[m * nvec + j], fn.add(col0, j * v))
                count = min(v, valid_cols - j * v)
                q.store_narrow(fn, val, v, self.out[0], self.out[1], fn.add(base, j * v), count)

    def requantize(self, acc: str, ch: str) -> str:
        fn, v = self.k.fn, self.t.lanes
        v64, v32 = q.vec(v, "i64"), q.vec(v, "i32")
        if self.i32:
            r = q.requant_i32_vector(fn, acc, self.tabs, ch, v, self.zo)
            return q.clamp(fn, r, self.lo, self.hi, v32)
        a = q.ext(fn, acc, v32, v64)
        r = q.requant_neon_vector(fn, a, self.tabs, ch, v64, self.any_left)
        r = q.binop(fn, "addi", r, q.iconst(fn, self.zo, v64), v64)
        r = q.clamp(fn, r, self.lo, self.hi, v64)
        return fn.op(f"arith.trunci {r} : {v64} to {v32}")

    def all_panels(self, mr: int, k_loops, out_rows) -> None:
        fn = self.k.fn
        full = self.n // self.nrv
        if full == 1:
            self.emit(mr, 0, self.nrv, k_loops, out_rows)
        elif full > 1:
            with fn.loop(0, full) as nb:
                self.emit(mr, nb, self.nrv, k_loops, out_rows)
        if self.n % self.nrv:
            self.emit(mr, full, self.n % self.nrv, k_loops, out_rows)


def reduce_run(
    fn: Function, tile: Int8Tile, w_base, length: int, nvec: int, bases, accs, guard=None
) -> list[str]:
    """accs += the products of `length` consecutive inputs at each row's `bases[m]` with the
    weights packed from `w_base`: whole groups in a loop, then the short last group.
    `guard(m, raw, ty)` may replace a row's raw group (a conv's padded taps)."""
    dot, v, nrv = tile.dot, tile.t.lanes, tile.nrv
    g = dot.group
    stride = nrv * g  # packed weight bytes per group

    def step(offset, count: int, widx, carried):
        raws = []
        for m, base in enumerate(bases):
            raw = dot.load(fn, tile.x, fn.add(base, offset), count)
            raws.append(guard(m, raw, dot.raw_type) if guard else raw)
        return dot.step(fn, tile.w, widx, nvec, v, raws, carried)

    if length // g:
        acc_ty = q.vec(v, "i32")
        with fn.loop_carried(0, length // g, 1, accs, acc_ty) as (kk, carried, res):
            res[:] = step(fn.mul(kk, g), g, fn.add(w_base, fn.mul(kk, stride)), carried)
        accs = res
    if length % g:
        full = length // g
        accs = step(full * g, length % g, fn.add(w_base, full * stride), accs)
    return accs


def emit_gemm(
    k: Kernel,
    t: Tiling,
    node: Node,
    x,
    rows: int,
    depth: int,
    w_kn,
    bias,
    x_zp,
    out,
    n: int,
    mult,
    shift,
) -> None:
    """out[rows x n] = requant(x[rows x depth] @ w_kn[depth x n] + bias)."""
    fn = k.fn
    dot = dot_for(t.lanes, t.u8s8_dot)
    t = int8_tiling(t, dot)
    tile = Int8Tile(k, t, node, x, w_kn, bias, x_zp, out, n, mult, shift, dot)
    groups = _ceil_div(depth, dot.group)
    k.flops += 2 * rows * depth * n

    def tiles(mr: int, p0: str):
        def k_loops(fn: Function, nb, nvec: int, accs: list[str]) -> list[str]:
            w_base = fn.mul(nb, groups * tile.nrv * dot.group)
            bases = [fn.mul(fn.add(p0, m), depth) for m in range(mr)]
            return reduce_run(fn, tile, w_base, depth, nvec, bases, accs)

        tile.all_panels(mr, k_loops, lambda m: fn.mul(fn.add(p0, m), n))

    split_row_tiles(k, rows, t.mr, tiles)


def int8_tiling(t: Tiling, dot: PairDot | QuadDot) -> Tiling:
    """Pairs: two rows by twice the float tile's channel vectors. An int8 input pair costs two
    instructions to broadcast and every weight vector needs a register of its own (sign
    extended from int8), so the register file holds rows * vecs accumulators + vecs weights + 2:
    2 x 4 fits AVX2's sixteen without spills where 4 x 3 does not. MobileNetV2 int8 CPU time
    per run on AVX2: 2x4 9.8 ms, 3x3 10.1, 4x3 10.3, 6x2 10.6.
    Quads (vpdpbusd reads its weights as they are packed): QUAD_TILES."""
    if isinstance(dot, QuadDot):
        mr, nr = QUAD_TILES[t.lanes]
        return Tiling(t.lanes, mr, nr, t.fused_multiply_add, t.u8s8_dot, t.byte_permute)
    return Tiling(t.lanes, 2, 2 * t.nr, t.fused_multiply_add, t.u8s8_dot, t.byte_permute)


# rows x vectors of the vpdpbusd tiles per i32 lanes, within 32 (AVX-512) or 16 registers.
# MobileNetV2 int8 on Zen (AVX-512), best of runs: 4x4, 3x6, 4x6, 5x4, 6x4, 6x3 and 8x2
# within 3% of each other (requantization, not the dot products, bounds its small-K layers);
# 2x4 12% slower.
QUAD_TILES = {16: (4, 4), 8: (2, 4)}


def _check_input(x_t: Tensor, node: Node) -> None:
    if x_t.dtype != "i8":
        raise TflcError(f"the cpu target has no {x_t.dtype} kernel for '{node.op}'", node.where)


def emit_fully_connected(k: Kernel, t: Tiling, node: Node) -> None:
    x_t, w_t, y_t = node.inputs[0], node.inputs[1], node.outputs[0]
    _check_input(x_t, node)
    b_t = node.inputs[2] if len(node.inputs) > 2 else None
    w = _weights(w_t)  # [N, K]
    n, depth = w.shape
    mult, shift = conv_multipliers(x_t, w_t, y_t, n)
    x = k.arg_tensor(x_t)
    y = k.arg_tensor(y_t)
    emit_gemm(
        k,
        t,
        node,
        x,
        x_t.size // depth,
        depth,
        w.T,
        _bias(b_t, n),
        q.scale_zp(x_t)[1],
        y,
        n,
        mult,
        shift,
    )


def emit_conv(k: Kernel, t: Tiling, node: Node) -> None:
    x_t, w_t, y_t = node.inputs[0], node.inputs[1], node.outputs[0]
    _check_input(x_t, node)
    b_t = node.inputs[2] if len(node.inputs) > 2 else None
    filt = _weights(w_t)  # [Cout, KH, KW, Cin]
    cout, kh, kw, cin = filt.shape
    if x_t.shape[3] != cin:
        raise TflcError("grouped int8 conv_2d is not supported by the cpu target", node.where)
    bias = _bias(b_t, cout)
    mult, shift = conv_multipliers(x_t, w_t, y_t, cout)
    x_zp = q.scale_zp(x_t)[1]
    sh, sw, dh, dw, h, w, oh, ow, pt, pl = _conv_geometry(node, x_t.shape, y_t.shape, kh, kw)
    batch = x_t.shape[0]
    x = k.arg_tensor(x_t)
    y = k.arg_tensor(y_t)
    if kh == kw == 1 and sh == sw == 1 and pt == pl == 0 and (h, w) == (oh, ow):
        emit_gemm(
            k,
            t,
            node,
            x,
            batch * h * w,
            cin,
            filt.reshape(cout, cin).T,
            bias,
            x_zp,
            y,
            cout,
            mult,
            shift,
        )
        return
    fn = k.fn
    dot = dot_for(t.lanes, t.u8s8_dot)
    t = int8_tiling(t, dot)
    w_kn = filt.transpose(1, 2, 3, 0).reshape(kh * kw * cin, cout)
    tile = Int8Tile(k, t, node, x, w_kn, bias, x_zp, y, cout, mult, shift, dot, kh * kw)
    tap_bytes = _ceil_div(cin, dot.group) * dot.group * tile.nrv  # packed weights per tap
    k.flops += 2 * batch * oh * ow * cout * kh * kw * cin
    ow_lo, ow_hi = _interior(ow, w, kw, sw, dw, pl)
    acc_ty = q.vec(t.lanes, "i32")
    zp_group = dot.padding(fn, x_zp)  # what a padded tap reads

    def row_tiles(n_img, ohv, mr: int, ow0: str, checked: bool):
        ih0 = fn.add(fn.mul(ohv, sh), -pt)
        img_in = fn.mul(n_img, h * w * cin)
        img_out = fn.mul(n_img, oh * ow * cout)

        def k_loops(fn: Function, nb, nvec: int, accs: list[str]) -> list[str]:
            # Rows outside the image still run (their taps read the zero point), which keeps
            # the loop bounds static; valid pixels are selected per tap.
            with fn.loop_carried(0, kh, 1, accs, acc_ty) as (ky, c1, r1):
                ih = fn.add(ih0, fn.mul(ky, dh))
                if checked:
                    row_ok = fn.in_range(ih, 0, h)
                    ih = fn.op(f"arith.maxsi {ih}, {fn.idx(0)} : index")
                    ih = fn.op(f"arith.minsi {ih}, {fn.idx(h - 1)} : index")
                row = fn.add(img_in, fn.mul(ih, w * cin))
                with fn.loop_carried(0, kw, 1, c1, acc_ty) as (kx, c2, r2):
                    bases, valid = [], []
                    for m in range(mr):
                        iw = fn.add(fn.add(fn.mul(fn.add(ow0, m), sw), -pl), fn.mul(kx, dw))
                        if checked:
                            ok = fn.op(f"arith.andi {row_ok}, {fn.in_range(iw, 0, w)} : i1")
                            valid.append(ok)
                            iw = fn.op(f"arith.maxsi {iw}, {fn.idx(0)} : index")
                            iw = fn.op(f"arith.minsi {iw}, {fn.idx(w - 1)} : index")
                        bases.append(fn.add(row, fn.mul(iw, cin)))
                    tap = fn.add(fn.mul(ky, kw), kx)
                    w_base = fn.mul(fn.add(fn.mul(nb, kh * kw), tap), tap_bytes)

                    def guard(m: int, raw: str, ty: str) -> str:
                        return fn.op(f"arith.select {valid[m]}, {raw}, {zp_group} : {ty}")

                    r2[:] = reduce_run(
                        fn, tile, w_base, cin, nvec, bases, c2, guard if checked else None
                    )
                r1[:] = r2
            return r1

        def out_row(m: int) -> str:
            p = fn.add(fn.mul(ohv, ow), fn.add(ow0, m))
            return fn.add(fn.mul(p, cout), img_out)

        tile.all_panels(mr, k_loops, out_row)

    oh_lo, oh_hi = _interior(oh, h, kh, sh, dh, pt)

    def tiles_of_row(n_img, ohv):
        row_in = fn.in_range(ohv, oh_lo, oh_hi)
        row_of_tiles(fn, t.mr, ow, (ow_lo, ow_hi), lambda *a: row_tiles(n_img, ohv, *a), row_in)

    tb, te = k.parallel_range(oh)
    with fn.loop(0, batch) as n_img, fn.loop(tb, te) as ohv:
        tiles_of_row(n_img, ohv)
