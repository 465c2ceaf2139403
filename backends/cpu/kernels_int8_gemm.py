"""int8 kernels of the GEMM family: fully_connected and conv_2d (1x1 as a GEMM, general convs
with bounds-checked borders), register-tiled like the float kernels (MR pixels x NR vectors).

Weights are packed at compile time as pairs of consecutive reduction steps, interleaved per
output channel (`[Cout/NRV][K/2][NRV][2]`, int8, sign-extended to int16 as they are loaded), so
that one step multiplies a broadcast pair of inputs with 2*lanes weights and adds adjacent
products: LLVM turns that sext/mul/even-odd add into one `vpmaddwd` on x86 (plain vector code
elsewhere). The input zero point is folded
into a per-channel initial accumulator (bias - zp_in * sum(w)); padded taps read the input zero
point, so they contribute nothing, as in TFLite. Requantization ("neon" rounding, as LiteRT's
ruy/optimized paths), the output zero point and the activation clamp are applied to the
accumulators before the one store of each tile.
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


def pack_pairs(w_kn: np.ndarray, nrv: int, k_groups: int = 1) -> np.ndarray:
    """[K, N] int8 weights -> `[N/nrv][G][K'/2][nrv][2]` where the reduction splits into
    `k_groups` equal groups, each padded to an even length with zeros."""
    k, n = w_kn.shape
    kg = k // k_groups
    kg2 = kg + kg % 2
    nb = _ceil_div(n, nrv)
    padded = np.zeros((k_groups, kg2, nb * nrv), np.int8)
    padded[:, :kg, :n] = w_kn.reshape(k_groups, kg, n)
    # [G][K'/2][2][NB][nrv] -> [NB][G][K'/2][nrv][2]
    p = padded.reshape(k_groups, kg2 // 2, 2, nb, nrv).transpose(3, 0, 1, 4, 2)
    return np.ascontiguousarray(p).reshape(-1)


class Int8Tile:
    """MR x NR i32 accumulators over one output-channel panel, requantized at the store."""

    def __init__(
        self,
        k: Kernel,
        t: Tiling,
        node: Node,
        w_kn: np.ndarray,
        bias: np.ndarray,
        x_zp: int,
        out,
        n: int,
        mult,
        shift,
        k_groups: int = 1,
    ):
        self.k, self.t, self.out, self.n = k, t, out, n
        nrv = t.nr * t.lanes
        self.nrv = nrv
        self.w = k.arg_const(pack_pairs(w_kn, nrv, k_groups))
        n_pad = _ceil_div(n, nrv) * nrv
        init = np.zeros(n_pad, np.int64)
        init[:n] = bias - x_zp * w_kn.sum(axis=0)
        if np.any(np.abs(init) >= 1 << 31):
            raise TflcError("int8 accumulator initial value does not fit in int32", node.where)
        self.init = k.arg_const(init.astype(np.int32))
        bound = int(np.max(np.abs(init[:n]) + 128 * np.abs(w_kn).sum(axis=0), initial=0))
        tabs32 = q.i32_requant_tables(mult, shift, n_pad, bound)
        self.i32 = tabs32 is not None
        if self.i32:
            self.tabs = {name: k.arg_const(a) for name, a in tabs32.items()}
        else:
            tabs = q.neon_requant_tables(mult, shift, n_pad)
            self.any_left = bool(np.any(tabs["left"]))
            self.tabs = {name: k.arg_const(a) for name, a in tabs.items()}
        y_t = node.outputs[0]
        self.zo = q.scale_zp(y_t)[1]
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
            r = q.requant_i32_vector(fn, acc, self.tabs, ch, v)
            r = q.binop(fn, "addi", r, q.iconst(fn, self.zo, v32), v32)
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


def pair_of(fn: Function, x, index: str, lanes: int, single: bool = False) -> str:
    """Two consecutive int8 inputs at `index` as their raw 16 bits (`single`: one input and a
    zero byte); `splat_pair` broadcasts and sign-extends them (vpbroadcastw + vpmovsxbw)."""
    if single:
        return fn.op(f"arith.extui {fn.load(x[0], x[1], index)} : i8 to i16")
    p8 = fn.op(f"vector.load {x[0]}[{index}] : {x[1]}, vector<2xi8>")
    p16 = fn.op(f"vector.bitcast {p8} : vector<2xi8> to vector<1xi16>")
    return fn.op(f"vector.extract {p16}[0] : i16 from vector<1xi16>")


def splat_pair(fn: Function, raw16: str, lanes: int) -> str:
    """A raw int8 pair -> vector of 2*lanes int16 (the pair repeated, sign-extended)."""
    b = fn.op(f"vector.broadcast {raw16} : i16 to {q.vec(lanes, 'i16')}")
    b8 = fn.op(f"vector.bitcast {b} : {q.vec(lanes, 'i16')} to {q.vec(2 * lanes, 'i8')}")
    return q.ext(fn, b8, q.vec(2 * lanes, "i8"), q.vec(2 * lanes, "i16"))


def madd_step(
    fn: Function, w, w_index: str, nvec: int, lanes: int, pairs: list[str], accs: list[str]
) -> list[str]:
    """accs[m][j] += pairwise dot(pair m, weights j): sext, mul, add even and odd lanes."""
    v16, v32w = q.vec(2 * lanes, "i16"), q.vec(2 * lanes, "i32")
    even = ", ".join(str(2 * i) for i in range(lanes))
    odd = ", ".join(str(2 * i + 1) for i in range(lanes))
    ws = []
    for j in range(nvec):
        v8 = q.vec(2 * lanes, "i8")
        wv = fn.op(f"vector.load {w[0]}[{fn.add(w_index, 2 * j * lanes)}] : {w[1]}, {v8}")
        ws.append(q.ext(fn, q.ext(fn, wv, v8, v16), v16, v32w))
    out = list(accs)
    for m, p in enumerate(pairs):
        xv = q.ext(fn, splat_pair(fn, p, lanes), v16, v32w)
        for j in range(nvec):
            prod = fn.op(f"arith.muli {xv}, {ws[j]} : {v32w}")
            e = fn.op(f"vector.shuffle {prod}, {prod} [{even}] : {v32w}, {v32w}")
            o = fn.op(f"vector.shuffle {prod}, {prod} [{odd}] : {v32w}, {v32w}")
            s = fn.op(f"arith.addi {e}, {o} : {q.vec(lanes, 'i32')}")
            out[m * nvec + j] = fn.op(
                f"arith.addi {out[m * nvec + j]}, {s} : {q.vec(lanes, 'i32')}"
            )
    return out


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
    fn, v = k.fn, t.lanes
    tile = Int8Tile(k, t, node, w_kn, bias, x_zp, out, n, mult, shift)
    nrv = tile.nrv
    half = _ceil_div(depth, 2)
    k.flops += 2 * rows * depth * n
    acc_ty = q.vec(v, "i32")

    def tiles(mr: int, p0: str):
        def k_loops(fn: Function, nb, nvec: int, accs: list[str]) -> list[str]:
            w_base = fn.mul(nb, half * nrv * 2)
            bases = [fn.mul(fn.add(p0, m), depth) for m in range(mr)]
            if depth // 2:
                with fn.loop_carried(0, depth // 2, 1, accs, acc_ty) as (kk, carried, res):
                    k2 = fn.mul(kk, 2)
                    pairs = [pair_of(fn, x, fn.add(bases[m], k2), v) for m in range(mr)]
                    widx = fn.add(w_base, fn.mul(kk, nrv * 2))
                    res[:] = madd_step(fn, tile.w, widx, nvec, v, pairs, carried)
                accs = res
            if depth % 2:
                pairs = [pair_of(fn, x, fn.add(bases[m], depth - 1), v, True) for m in range(mr)]
                widx = fn.add(w_base, (half - 1) * nrv * 2)
                accs = madd_step(fn, tile.w, widx, nvec, v, pairs, accs)
            return accs

        tile.all_panels(mr, k_loops, lambda m: fn.mul(fn.add(p0, m), n))

    split_row_tiles(k, rows, t.mr, tiles)


def int8_tiling(t: Tiling) -> Tiling:
    """Two rows by twice the float tile's channel vectors. An int8 input pair costs two
    instructions to broadcast and every weight vector needs a register of its own (sign
    extended from int8), so the register file holds rows * vecs accumulators + vecs weights + 2:
    2 x 4 fits AVX2's sixteen without spills where 4 x 3 does not. MobileNetV2 int8 CPU time
    per run on AVX2: 2x4 9.8 ms, 3x3 10.1, 4x3 10.3, 6x2 10.6."""
    return Tiling(t.lanes, 2, 2 * t.nr)


def _check_input(x_t: Tensor, node: Node) -> None:
    if x_t.dtype != "i8":
        raise TflcError(f"the cpu target has no {x_t.dtype} kernel for '{node.op}'", node.where)


def emit_fully_connected(k: Kernel, t: Tiling, node: Node) -> None:
    x_t, w_t, y_t = node.inputs[0], node.inputs[1], node.outputs[0]
    _check_input(x_t, node)
    t = int8_tiling(t)
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
    t = int8_tiling(t)
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
    fn, v = k.fn, t.lanes
    w_kn = filt.transpose(1, 2, 3, 0).reshape(kh * kw * cin, cout)
    tile = Int8Tile(k, t, node, w_kn, bias, x_zp, y, cout, mult, shift, k_groups=kh * kw)
    nrv = tile.nrv
    cin2 = cin + cin % 2
    k.flops += 2 * batch * oh * ow * cout * kh * kw * cin
    ow_lo, ow_hi = _interior(ow, w, kw, sw, dw, pl)
    acc_ty = q.vec(v, "i32")
    # A padded tap reads the zero point: the raw bytes (zp, zp), or (zp, 0) for a single.
    byte = x_zp & 0xFF
    pair_bits = byte << 8 | byte
    zp_pair = fn._const(str(pair_bits - (1 << 16) if pair_bits >= 1 << 15 else pair_bits), "i16")
    zp_single = fn._const(str(byte), "i16")

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
                    w_base = fn.mul(fn.add(fn.mul(nb, kh * kw), tap), cin2 * nrv)

                    def step(pairs_of, c, widx, single=False):
                        pairs = []
                        for m in range(mr):
                            p = pairs_of(m)
                            if checked:
                                zp = zp_single if single else zp_pair
                                p = fn.op(f"arith.select {valid[m]}, {p}, {zp} : i16")
                            pairs.append(p)
                        return madd_step(fn, tile.w, widx, nvec, v, pairs, c)

                    cur = c2
                    if cin // 2:
                        with fn.loop_carried(0, cin // 2, 1, c2, acc_ty) as (ci, c3, r3):
                            c2i = fn.mul(ci, 2)
                            r3[:] = step(
                                lambda m: pair_of(fn, x, fn.add(bases[m], c2i), v),
                                c3,
                                fn.add(w_base, fn.mul(ci, nrv * 2)),
                            )
                        cur = r3
                    if cin % 2:
                        cur = step(
                            lambda m: pair_of(fn, x, fn.add(bases[m], cin - 1), v, True),
                            cur,
                            fn.add(w_base, (cin2 // 2 - 1) * nrv * 2),
                            True,
                        )
                    r2[:] = cur
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
