"""Float kernels of the convolution family: GEMM (fully_connected, 1x1 conv), general conv_2d,
depthwise_conv_2d and the 2-D pools, register-tiled and vectorized over output channels (NHWC).

Weights are packed at compile time into the layout the micro-kernel reads: conv filters become
`[Cout/NRV][KH][KW][Cin][NRV]` panels (NRV = NR vectors of output channels, zero padded), so
the inner loop loads NR contiguous weight vectors and broadcasts MR input pixels into MR x NR
accumulators. Bias and the fused activation are applied before the one store of each tile.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from tflc.backends.cpu.emitter import Function, activation, vty
from tflc.backends.cpu.graph import Node, dequantized
from tflc.backends.cpu.kernel import Kernel
from tflc.runtime.kernels.geometry import conv_axis


@dataclass(frozen=True)
class Tiling:
    lanes: int  # f32 lanes of the target's widest vector
    mr: int  # output pixels per tile
    nr: int  # output-channel vectors per tile
    # False: float sums in TFLite's builtin order (separate multiply and add, bias added
    # after the products), so dynamic-range layers that quantize these sums see the same bits.
    fused_multiply_add: bool = True
    # The target has vpdpbusd at this vector width: int8 GEMMs take four products per lane.
    u8s8_dot: bool = False
    # ... and permutes bytes across the whole vector in one instruction (AVX512-VBMI).
    byte_permute: bool = False


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def const_float(t) -> np.ndarray:
    return dequantized(t) if t.scale is not None else t.value.astype(np.float32)


def _pack_panels(w: np.ndarray, nrv: int) -> np.ndarray:
    """[K..., N] -> [ceil(N/nrv)][K...][nrv], zero padded."""
    n = w.shape[-1]
    nb = _ceil_div(n, nrv)
    flat = w.reshape(-1, n)
    padded = np.zeros((flat.shape[0], nb * nrv), np.float32)
    padded[:, :n] = flat
    return np.ascontiguousarray(padded.reshape(flat.shape[0], nb, nrv).transpose(1, 0, 2))


def _pad_bias(b: np.ndarray | None, n: int, nrv: int) -> np.ndarray:
    out = np.zeros(_ceil_div(n, nrv) * nrv, np.float32)
    if b is not None:
        out[:n] = b
    return out


Rescale = Callable[[Function, str, str, str, "str | int"], str]


class _Tile:
    """MR x NR accumulators over one output-channel panel; `k_loops` emits the reduction.

    Without `rescale` the accumulators start at the bias. With it (dynamic-range kernels, whose
    products are integers) they start at zero and `rescale(fn, acc, bias, col, image)` turns
    the finished sums into outputs before the activation."""

    def __init__(self, k: Kernel, t: Tiling, w, b, out, n_out: int, act: str, rescale=None):
        self.k, self.t, self.w, self.b, self.out, self.n, self.act = k, t, w, b, out, n_out, act
        self.rescale: Rescale | None = rescale

    def emit(
        self, mr: int, nb: str | int, valid_cols: int, k_loops, out_rows, image: str | int = 0
    ) -> None:
        """`k_loops(fn, nb, nvec, accs) -> accs`; `out_rows(m) -> index of the row's first
        output element`; `image`: the batch index of the tile (for `rescale`)."""
        fn, v = self.k.fn, self.t.lanes
        nrv = self.t.nr * v
        nvec = _ceil_div(valid_cols, v)
        col0 = fn.mul(nb, nrv)
        bias = [fn.vload(self.b[0], self.b[1], fn.add(col0, j * v)) for j in range(nvec)]
        bias_first = self.rescale is None and self.t.fused_multiply_add
        init = bias if bias_first else [fn.vf32(0.0)] * nvec
        accs = [init[j] for _ in range(mr) for j in range(nvec)]
        accs = k_loops(fn, nb, nvec, accs)
        for m in range(mr):
            row = out_rows(m)
            base = fn.add(row, col0)
            for j in range(nvec):
                val = accs[m * nvec + j]
                if self.rescale is not None:
                    val = self.rescale(fn, val, bias[j], fn.add(col0, j * v), image)
                elif not bias_first:
                    val = fn.op(f"arith.addf {val}, {bias[j]} : {vty(v)}")
                val = activation(fn, val, self.act, vty(v))
                count = min(v, valid_cols - j * v)
                fn.vstore_n(val, self.out[0], self.out[1], fn.add(base, j * v), count)

    def all_panels(self, mr: int, k_loops, out_rows, image: str | int = 0) -> None:
        fn = self.k.fn
        nrv = self.t.nr * self.t.lanes
        full = self.n // nrv
        if full == 1:
            self.emit(mr, 0, nrv, k_loops, out_rows, image)
        elif full > 1:
            with fn.loop(0, full) as nb:
                self.emit(mr, nb, nrv, k_loops, out_rows, image)
        if self.n % nrv:
            self.emit(mr, full, self.n % nrv, k_loops, out_rows, image)


def _fma_step(fn: Function, w, w_index, nvec: int, v: int, scalars: list[str], accs: list[str]):
    ws = [fn.vload(w[0], w[1], fn.add(w_index, j * v)) for j in range(nvec)]
    out = list(accs)
    for m, a in enumerate(scalars):
        b = fn.splat(a)
        for j in range(nvec):
            out[m * nvec + j] = fn.fma(b, ws[j], out[m * nvec + j])
    return out


def emit_gemm(
    k: Kernel, t: Tiling, x, rows: int, depth: int, n: int, w_kn, bias, out, act, rescale=None
):
    """out[rows x n] = act(x[rows x depth] @ w_kn[depth x n] + bias) (one image when
    `rescale` is given: it is called with image 0)."""
    fn = k.fn
    nrv = t.nr * t.lanes
    w = k.arg_const(_pack_panels(w_kn, nrv))
    b = k.arg_const(_pad_bias(bias, n, nrv))
    tile = _Tile(k, t, w, b, out, n, act, rescale)
    k.flops += 2 * rows * depth * n

    def tiles(mr: int, p0: str):
        def k_loops(fn: Function, nb, nvec: int, accs: list[str]) -> list[str]:
            w_base = fn.mul(nb, depth * nrv)
            bases = [fn.mul(fn.add(p0, m), depth) for m in range(mr)]
            with fn.loop_carried(0, depth, 1, accs, vty(t.lanes)) as (kk, carried, res):
                scalars = [fn.load(x[0], x[1], fn.add(bases[m], kk)) for m in range(mr)]
                res[:] = _fma_step(
                    fn, w, fn.add(w_base, fn.mul(kk, nrv)), nvec, t.lanes, scalars, carried
                )
            return res

        tile.all_panels(mr, k_loops, lambda m: fn.mul(fn.add(p0, m), n))

    split_row_tiles(k, rows, t.mr, tiles)


def split_row_tiles(k: Kernel, rows: int, mr: int, tiles) -> None:
    """`tiles(mr, first_row)` over `rows` in tiles of `mr` rows, then `tiles(1, row)` for the
    rest. Threads split the tiles; the partial last tile belongs to the last range."""
    fn = k.fn
    full = rows // mr
    tb, te = k.parallel_range(_ceil_div(rows, mr))
    if full:
        hi = fn.op(f"arith.minui {te}, {fn.idx(full)} : index")
        with fn.loop(tb, hi) as ti:
            tiles(mr, fn.mul(ti, mr))
    if rows % mr:
        last = fn.op(f"arith.cmpi ugt, {te}, {fn.idx(full)} : index")

        def rest() -> None:
            with fn.loop(full * mr, rows) as p0:
                tiles(1, p0)

        fn.if_else(last, rest)


def _conv_geometry(node: Node, in_shape, out_shape, kh: int, kw: int):
    sh, sw = node.attr("stride_h", 1), node.attr("stride_w", 1)
    dh, dw = node.attr("dilation_h_factor", 1), node.attr("dilation_w_factor", 1)
    h, w = in_shape[1], in_shape[2]
    oh, ow = out_shape[1], out_shape[2]
    padding = node.attr("padding", "VALID")
    pt, pl = conv_axis(padding, h, kh, sh, dh).before, conv_axis(padding, w, kw, sw, dw).before
    return sh, sw, dh, dw, h, w, oh, ow, pt, pl


def _interior(out: int, size: int, k: int, s: int, d: int, pad: int) -> tuple[int, int]:
    """[lo, hi): outputs whose whole window lies inside the input."""
    lo = min(_ceil_div(pad, s), out)
    hi = (size - 1 + pad - (k - 1) * d) // s + 1
    hi = max(lo, min(hi, out))
    return lo, hi


def row_of_tiles(fn: Function, mr: int, ow: int, interior, row_tiles, row_inside=None) -> None:
    """One output row as tiles of `mr` pixels, then single pixels: `row_tiles(mr, ow0,
    checked)`; a tile runs unchecked when every window lies inside the image (its pixels in
    the `interior` [lo, hi) and `row_inside`, an i1, true)."""
    main = ow - ow % mr
    if main:
        with fn.loop(0, main, mr) as ow0:
            inside = fn.op(f"arith.cmpi sge, {ow0}, {fn.idx(interior[0])} : index")
            last = fn.add(ow0, mr - 1)
            inside2 = fn.op(f"arith.cmpi slt, {last}, {fn.idx(interior[1])} : index")
            cond = fn.op(f"arith.andi {inside}, {inside2} : i1")
            if row_inside is not None:
                cond = fn.op(f"arith.andi {cond}, {row_inside} : i1")
            fn.if_else(cond, lambda: row_tiles(mr, ow0, False), lambda: row_tiles(mr, ow0, True))
    if ow % mr:
        with fn.loop(main, ow) as ow0:
            row_tiles(1, ow0, True)


def emit_conv(k: Kernel, t: Tiling, node: Node, filt=None, rescale: Rescale | None = None) -> None:
    """`filt` / `rescale`: the filter values and output rescale of a dynamic-range conv."""
    x_t, w_t = node.inputs[0], node.inputs[1]
    b_t = node.inputs[2] if len(node.inputs) > 2 else None
    y_t = node.outputs[0]
    filt = const_float(w_t) if filt is None else filt  # [Cout, KH, KW, Cin]
    cout, kh, kw, cin = filt.shape
    bias = const_float(b_t) if b_t is not None else None
    act = node.attr("fused_activation_function", "NONE")
    sh, sw, dh, dw, h, w, oh, ow, pt, pl = _conv_geometry(node, x_t.shape, y_t.shape, kh, kw)
    batch = x_t.shape[0]
    x = k.arg_tensor(x_t)
    y = k.arg_tensor(y_t)
    pointwise = kh == kw == 1 and sh == sw == 1 and pt == pl == 0 and (h, w) == (oh, ow)
    if pointwise and (rescale is None or batch == 1):
        w_kn = filt.reshape(cout, cin).T
        emit_gemm(k, t, x, batch * h * w, cin, cout, w_kn, bias, y, act, rescale)
        return
    fn = k.fn
    nrv = t.nr * t.lanes
    wp = k.arg_const(_pack_panels(filt.transpose(1, 2, 3, 0), nrv))
    bp = k.arg_const(_pad_bias(bias, cout, nrv))
    tile = _Tile(k, t, wp, bp, y, cout, act, rescale)
    k.flops += 2 * batch * oh * ow * cout * kh * kw * cin
    ow_lo, ow_hi = _interior(ow, w, kw, sw, dw, pl)
    h_checked = (oh - 1) * sh + (kh - 1) * dh - pt >= h or pt > 0

    def kh_bounds(ih0: str) -> tuple[str | int, str | int]:
        if not h_checked:
            return 0, kh
        # kh in [ceil(-ih0/d), ceil((h-ih0)/d)) clipped to [0, kh)
        neg = fn.op(f"arith.subi {fn.idx(0)}, {ih0} : index")
        lo = fn.op(f"arith.ceildivsi {neg}, {fn.idx(dh)} : index")
        lo = fn.op(f"arith.maxsi {lo}, {fn.idx(0)} : index")
        rem = fn.op(f"arith.subi {fn.idx(h)}, {ih0} : index")
        hi = fn.op(f"arith.ceildivsi {rem}, {fn.idx(dh)} : index")
        hi = fn.op(f"arith.minsi {hi}, {fn.idx(kh)} : index")
        hi = fn.op(f"arith.maxsi {hi}, {lo} : index")
        return lo, hi

    def row_tiles(n_img, ohv, mr: int, ow0: str, checked: bool):
        ih0 = fn.add(fn.mul(ohv, sh), -pt)
        img_in = fn.mul(n_img, h * w * cin)
        img_out = fn.mul(n_img, oh * ow * cout)

        def k_loops(fn: Function, nb, nvec: int, accs: list[str]) -> list[str]:
            lo, hi = kh_bounds(ih0)
            with fn.loop_carried(lo, hi, 1, accs, vty(t.lanes)) as (ky, c1, r1):
                ih = fn.add(ih0, fn.mul(ky, dh))
                row = fn.add(img_in, fn.mul(ih, w * cin))
                with fn.loop_carried(0, kw, 1, c1, vty(t.lanes)) as (kx, c2, r2):
                    bases, valid = [], []
                    for m in range(mr):
                        iw = fn.add(fn.add(fn.mul(fn.add(ow0, m), sw), -pl), fn.mul(kx, dw))
                        if checked:
                            valid.append(fn.in_range(iw, 0, w))
                            iw = fn.op(f"arith.maxsi {iw}, {fn.idx(0)} : index")
                            iw = fn.op(f"arith.minsi {iw}, {fn.idx(w - 1)} : index")
                        bases.append(fn.add(row, fn.mul(iw, cin)))
                    w_base = fn.mul(fn.add(fn.mul(fn.add(fn.mul(nb, kh), ky), kw), kx), cin)
                    with fn.loop_carried(0, cin, 1, c2, vty(t.lanes)) as (ci, c3, r3):
                        scalars = []
                        for m in range(mr):
                            a = fn.load(x[0], x[1], fn.add(bases[m], ci))
                            if checked:
                                a = fn.op(f"arith.select {valid[m]}, {a}, {fn.f32(0.0)} : f32")
                            scalars.append(a)
                        widx = fn.mul(fn.add(w_base, ci), nrv)
                        r3[:] = _fma_step(fn, wp, widx, nvec, t.lanes, scalars, c3)
                    r2[:] = r3
                r1[:] = r2
            return r1

        def out_row(m: int) -> str:
            p = fn.add(fn.mul(ohv, ow), fn.add(ow0, m))
            return fn.add(fn.mul(p, cout), img_out)

        tile.all_panels(mr, k_loops, out_row, n_img)

    def tiles_of_row(n_img, ohv):
        row_of_tiles(fn, t.mr, ow, (ow_lo, ow_hi), lambda *a: row_tiles(n_img, ohv, *a))

    tb, te = k.parallel_range(oh)
    with fn.loop(0, batch) as n_img, fn.loop(tb, te) as ohv:
        tiles_of_row(n_img, ohv)


def emit_fully_connected(k: Kernel, t: Tiling, node: Node) -> None:
    x_t, w_t = node.inputs[0], node.inputs[1]
    b_t = node.inputs[2] if len(node.inputs) > 2 else None
    filt = const_float(w_t)  # [N, K]
    n, depth = filt.shape
    bias = const_float(b_t) if b_t is not None else None
    x = k.arg_tensor(x_t)
    y = k.arg_tensor(node.outputs[0])
    act = node.attr("fused_activation_function", "NONE")
    emit_gemm(k, t, x, x_t.size // depth, depth, n, filt.T, bias, y, act)


@dataclass
class MatmulRow:
    """One output row of a batch_matmul: its index, where its x row and y matrix start, and
    the element strides x[i, k] -> (xs_k), y[k, j] -> (ys_k, ys_j)."""

    row: str
    x_row: str
    y0: str
    m: int
    n: int
    depth: int
    xs_k: int
    ys_k: int
    ys_j: int


@contextlib.contextmanager
def batch_matmul_rows(k: Kernel, node: Node):
    """Opens the threaded loop over out[b, i, :] of a batch_matmul (broadcast batch dims,
    adj_x / adj_y) and yields its `MatmulRow`."""
    fn = k.fn
    x_t, y_t, o_t = node.inputs[0], node.inputs[1], node.outputs[0]
    adj_x, adj_y = bool(node.attr("adj_x", False)), bool(node.attr("adj_y", False))
    m, n = o_t.shape[-2], o_t.shape[-1]
    depth = x_t.shape[-2] if adj_x else x_t.shape[-1]
    batch = o_t.shape[:-2]
    nb = int(np.prod(batch, dtype=np.int64))

    def bases(shape) -> np.ndarray:
        lead = (1,) * (len(batch) - (len(shape) - 2)) + tuple(shape[:-2])
        idx = np.arange(int(np.prod(lead, dtype=np.int64)), dtype=np.int64).reshape(lead)
        return (np.broadcast_to(idx, batch).reshape(-1) * shape[-1] * shape[-2]).astype(np.int32)

    xb, yb = k.arg_const(bases(x_t.shape)), k.arg_const(bases(y_t.shape))
    xs_i, xs_k = (1, m) if adj_x else (depth, 1)
    ys_k, ys_j = (1, depth) if adj_y else (n, 1)
    k.flops += 2 * nb * m * n * depth
    tb, te = k.parallel_range(nb * m)
    with fn.loop(tb, te) as row:
        bi = fn.op(f"arith.divui {row}, {fn.idx(m)} : index")
        i = fn.op(f"arith.remui {row}, {fn.idx(m)} : index")
        x0 = fn.op(f"arith.index_cast {fn.load(xb[0], xb[1], bi)} : i32 to index")
        y0 = fn.op(f"arith.index_cast {fn.load(yb[0], yb[1], bi)} : i32 to index")
        yield MatmulRow(row, fn.add(x0, fn.mul(i, xs_i)), y0, m, n, depth, xs_k, ys_k, ys_j)


def emit_batch_matmul(k: Kernel, t: Tiling, node: Node) -> None:
    """out[b, i, j] = sum_k x[b, i, k] * y[b, k, j] with broadcast batch dims and adj_x/adj_y."""
    fn, v = k.fn, t.lanes
    x = k.arg_tensor(node.inputs[0])
    y = k.arg_tensor(node.inputs[1])
    out = k.arg_tensor(node.outputs[0])
    with batch_matmul_rows(k, node) as rows:
        row, xrow, y0, n, depth = rows.row, rows.x_row, rows.y0, rows.n, rows.depth
        xs_k, ys_k, ys_j = rows.xs_k, rows.ys_k, rows.ys_j
        orow = fn.mul(row, n)
        if ys_j == 1:
            for j0 in range(0, n, v):
                count = min(v, n - j0)
                with fn.loop_carried(0, depth, 1, [fn.vf32(0.0)], vty(v)) as (kk, acc, res):
                    a = fn.splat(fn.load(x[0], x[1], fn.add(xrow, fn.mul(kk, xs_k))))
                    yv = fn.vload_n(y[0], y[1], fn.add(fn.add(y0, fn.mul(kk, ys_k)), j0), count)
                    res[:] = [fn.fma(a, yv, acc[0])]
                fn.vstore_n(res[0], out[0], out[1], fn.add(orow, j0), count)
        else:
            with fn.loop(0, n) as j:
                ycol = fn.add(y0, fn.mul(j, ys_j))
                with fn.loop_carried(0, depth, 1, [fn.f32(0.0)], "f32") as (kk, acc, res):
                    a = fn.load(x[0], x[1], fn.add(xrow, fn.mul(kk, xs_k)))
                    b = fn.load(y[0], y[1], fn.add(ycol, fn.mul(kk, ys_k)))
                    p = fn.op(f"arith.mulf {a}, {b} : f32")
                    res[:] = [fn.op(f"arith.addf {acc[0]}, {p} : f32")]
                fn.store(res[0], out[0], out[1], fn.add(orow, j))
