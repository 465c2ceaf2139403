"""Dynamic-range (hybrid) kernels: int8 weights, float activations quantized at run time exactly
as TFLite's hybrid kernels do (tensor_utils::AsymmetricQuantizeFloats / SymmetricQuantizeFloats,
one scaling factor per row or image), an integer dot product, then a float rescale per output:

    q = clamp(round(x * (1 / s)) + zp, -128, 127)       (asymmetric; symmetric: zp = 0, +-127)
    y = bias + float(sum_k (q_k - zp) w_kn) * (s * w_scale_n)

fully_connected quantizes each row into a stack buffer and accumulates in int32.
conv_2d, depthwise_conv_2d and transpose_conv get a `hybrid_quantize` node in front (`quantize_conv_inputs`)
that writes `q - zp` once per input into the workspace, as floats, so the float convolution
kernels run unchanged on integer-valued operands: every product and partial sum is an integer
below 2^24 in magnitude (checked per layer at compile time), so float accumulation is exact in
any order and the result equals TFLite's int32 sum converted to float.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tflc.backends.cpu.emitter import Function, activation, vty
from tflc.backends.cpu.graph import Graph, Node, Tensor
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling, const_float, emit_conv
from tflc.backends.cpu.kernels_transpose_conv import emit_transpose_conv
from tflc.backends.cpu.kernels_window import emit_depthwise

# Float32 represents every integer up to this magnitude exactly.
EXACT_FLOAT_INTEGERS = 1 << 24


CONV_OPS = ("conv_2d", "depthwise_conv_2d", "transpose_conv")


def _data_input(node: Node) -> int:
    return 2 if node.op == "transpose_conv" else 0


def _has_int8_weights(node: Node) -> bool:
    w, x = node.inputs[1], node.inputs[_data_input(node)]
    return w.is_const and w.scale is not None and w.dtype == "i8" and x.dtype == "f32"


def is_hybrid_fully_connected(node: Node) -> bool:
    return node.op == "fully_connected" and _has_int8_weights(node)


def is_hybrid_conv(node: Node) -> bool:
    return node.op in CONV_OPS and _has_int8_weights(node)


def has_hybrid_layers(graph: Graph) -> bool:
    return any(n.attr("hybrid") or is_hybrid_fully_connected(n) for n in graph.nodes)


# ---- run-time input quantization ------------------------------------------------------------


@dataclass
class InputQuantization:
    """Scalars (f32 / i1 SSA names) of one row's quantization."""

    scale: str
    inverse: str
    zero_point: str  # integral f32
    constant_row: str  # i1: min == max, the row quantizes to zeros
    qmin: float
    qmax: float


def quantization_params(fn: Function, lo: str, hi: str, asym: bool) -> InputQuantization:
    """TFLite's scaling factor and zero point from a row's min and max (f32 scalars)."""
    if not asym:
        rng = fn.op(
            f"arith.maximumf {fn.op(f'math.absf {lo} : f32')}, "
            f"{fn.op(f'math.absf {hi} : f32')} : f32"
        )
        same = fn.op(f"arith.cmpf oeq, {rng}, {fn.f32(0.0)} : f32")
        scale = fn.op(f"arith.divf {rng}, {fn.f32(127.0)} : f32")
        scale = fn.op(f"arith.select {same}, {fn.f32(1.0)}, {scale} : f32")
        inv = fn.op(f"arith.divf {fn.f32(127.0)}, {rng} : f32")
        return InputQuantization(scale, inv, fn.f32(0.0), same, -127.0, 127.0)

    def d(c: float) -> str:
        return fn._const(f"{c!r}", "f64")

    # The range always holds zero; the scale is taken in float, the zero point from it in
    # double, as TFLite does.
    lo = fn.op(f"arith.minimumf {lo}, {fn.f32(0.0)} : f32")
    hi = fn.op(f"arith.maximumf {hi}, {fn.f32(0.0)} : f32")
    same = fn.op(f"arith.cmpf oeq, {lo}, {hi} : f32")
    sf = fn.op(f"arith.divf {fn.op(f'arith.subf {hi}, {lo} : f32')}, {fn.f32(255.0)} : f32")
    sf = fn.op(f"arith.select {same}, {fn.f32(1.0)}, {sf} : f32")
    scale = fn.op(f"arith.extf {sf} : f32 to f64")
    rmin = fn.op(f"arith.extf {lo} : f32 to f64")
    rmax = fn.op(f"arith.extf {hi} : f32 to f64")
    a = fn.op(f"arith.divf {rmin}, {scale} : f64")
    b = fn.op(f"arith.divf {rmax}, {scale} : f64")
    zmin = fn.op(f"arith.subf {d(-128.0)}, {a} : f64")
    zmax = fn.op(f"arith.subf {d(127.0)}, {b} : f64")
    emin = fn.op(f"arith.addf {d(128.0)}, {fn.op(f'math.absf {a} : f64')} : f64")
    emax = fn.op(f"arith.addf {d(127.0)}, {fn.op(f'math.absf {b} : f64')} : f64")
    use_min = fn.op(f"arith.cmpf olt, {emin}, {emax} : f64")
    zp = fn.op(f"arith.select {use_min}, {zmin}, {zmax} : f64")
    zp = fn.op(f"math.round {zp} : f64")
    zp = fn.op(f"arith.maximumf {zp}, {d(-128.0)} : f64")
    zp = fn.op(f"arith.minimumf {zp}, {d(127.0)} : f64")
    zp = fn.op(f"arith.truncf {zp} : f64 to f32")
    zp = fn.op(f"arith.select {same}, {fn.f32(0.0)}, {zp} : f32")
    inv = fn.op(f"arith.truncf {fn.op(f'arith.divf {d(1.0)}, {scale} : f64')} : f64 to f32")
    return InputQuantization(sf, inv, zp, same, -128.0, 127.0)


def quantized(fn: Function, p: InputQuantization, x: str, ty: str) -> str:
    """clamp(round(x * inv) + zp) as an integral float of type `ty` (f32 or a vector of it)."""
    if ty == "f32":
        inv, zp, lo, hi, zero = p.inverse, p.zero_point, fn.f32(p.qmin), fn.f32(p.qmax), fn.f32(0)
    else:
        n = int(ty.split("<")[1].split("x")[0])
        inv, zp = fn.splat(p.inverse, n), fn.splat(p.zero_point, n)
        lo, hi, zero = fn.vf32(p.qmin, n), fn.vf32(p.qmax, n), fn.vf32(0.0, n)
    q = fn.op(f"math.round {fn.op(f'arith.mulf {x}, {inv} : {ty}')} : {ty}")
    q = fn.op(f"arith.addf {q}, {zp} : {ty}")
    q = fn.op(f"arith.minimumf {fn.op(f'arith.maximumf {q}, {lo} : {ty}')}, {hi} : {ty}")
    return fn.op(f"arith.select {p.constant_row}, {zero}, {q} : {ty}")


def emit_hybrid_quantize(k: Kernel, t: Tiling, node: Node) -> None:
    """Per image: min/max, scaling factor, then `q - zp` as floats and the factor per image."""
    fn, v = k.fn, t.lanes
    x_t, (q_t, s_t) = node.inputs[0], node.outputs
    batch = x_t.shape[0]
    size = x_t.size // batch
    vt = vty(v)
    x, q, s = k.arg_tensor(x_t), k.arg_tensor(q_t), k.arg_tensor(s_t)
    main, tail = size - size % v, size % v
    with fn.loop(0, batch) as b:
        base = fn.mul(b, size)
        bounds = [fn.vf32(np.inf), fn.vf32(-np.inf)]
        if main:
            with fn.loop_carried(0, main, v, bounds, vt) as (i, mm, res):
                xv = fn.vload(x[0], x[1], fn.add(base, i))
                res[:] = [
                    fn.op(f"arith.minimumf {mm[0]}, {xv} : {vt}"),
                    fn.op(f"arith.maximumf {mm[1]}, {xv} : {vt}"),
                ]
            bounds = res
        if tail:
            # The masked lanes read 0, which both range rules include anyway.
            xv = fn.vload_n(x[0], x[1], fn.add(base, main), tail)
            bounds = [
                fn.op(f"arith.minimumf {bounds[0]}, {xv} : {vt}"),
                fn.op(f"arith.maximumf {bounds[1]}, {xv} : {vt}"),
            ]
        lo = fn.op(f"vector.reduction <minimumf>, {bounds[0]} : {vt} into f32")
        hi = fn.op(f"vector.reduction <maximumf>, {bounds[1]} : {vt} into f32")
        p = quantization_params(fn, lo, hi, bool(node.attr("asymmetric")))
        zp = fn.splat(p.zero_point)

        def chunk(i: str, count: int) -> None:
            xv = fn.vload_n(x[0], x[1], fn.add(base, i), count)
            qv = fn.op(f"arith.subf {quantized(fn, p, xv, vt)}, {zp} : {vt}")
            fn.vstore_n(qv, q[0], q[1], fn.add(base, i), count)

        if main:
            with fn.loop(0, main, v) as i:
                chunk(i, v)
        if tail:
            chunk(fn.idx(main), tail)
        fn.store(p.scale, s[0], s[1], b)
    k.flops += 3 * x_t.size


def _asymmetric(node: Node) -> bool:
    """TFLite quantizes a hybrid conv's input asymmetrically when the filter is per-channel
    (always for depthwise and transpose conv); a per-tensor conv filter takes the symmetric
    rule."""
    if node.op != "conv_2d":
        return True
    w = node.inputs[1]
    groups = node.inputs[0].shape[3] // w.shape[3]
    return groups != 1 or (w.scale.size > 1 and bool(np.any(w.scale != w.scale[0])))


def quantize_conv_inputs(graph: Graph) -> list[str]:
    """Puts a `hybrid_quantize` node before every dynamic-range conv (one per input and rule)
    and rewires the conv to read it: inputs become (q - zp, filter, bias, scaling factors).
    Returns the layers whose float sums are not provably exact (may differ from TFLite's
    int32 sum by one rounding)."""
    inexact: list[str] = []
    made: dict[tuple[int, bool], tuple[Tensor, Tensor]] = {}
    nodes: list[Node] = []
    for node in graph.nodes:
        if is_hybrid_conv(node):
            x, asym = node.inputs[_data_input(node)], _asymmetric(node)
            if (x.index, asym) not in made:
                q = Tensor(len(graph.tensors), x.shape, "f32", name=f"{x.name}/quantized")
                graph.tensors.append(q)
                s = Tensor(len(graph.tensors), (x.shape[0],), "f32", name=f"{x.name}/scaling")
                graph.tensors.append(s)
                nodes.append(Node("hybrid_quantize", [x], [q, s], {"asymmetric": asym}, node.where))
                made[(x.index, asym)] = (q, s)
            q, s = made[(x.index, asym)]
            # conv: (q - zp, filter, bias, scaling factors); transpose conv: (shape, filter,
            # q - zp, bias, scaling factors)
            inputs = list(node.inputs) + [None] * (4 - len(node.inputs))
            inputs[_data_input(node)] = q
            if node.op != "transpose_conv":
                inputs = inputs[:3]
            node.inputs = [*inputs, s]
            node.attrs = {**node.attrs, "hybrid": True}
            if not exact_in_float(node):
                inexact.append(node.where)
        nodes.append(node)
    graph.nodes = nodes
    return inexact


def exact_in_float(node: Node) -> bool:
    """Whether every partial sum of the layer stays below 2^24: |q - zp| <= 255 per tap."""
    w = np.abs(node.inputs[1].value.astype(np.int64))
    if node.op == "depthwise_conv_2d":
        per_output = w.sum((0, 1, 2))
    else:  # [Cout, KH, KW, Cin]; a transpose conv output sums fewer taps than this bound
        per_output = w.reshape(w.shape[0], -1).sum(1)
    return int(per_output.max(initial=0)) * 255 < EXACT_FLOAT_INTEGERS


def _padded_scales(node: Node, t: Tiling) -> np.ndarray:
    """Per-output-channel filter scales, zero padded like the kernels' bias panels."""
    w = node.inputs[1]
    n = w.shape[-1] if node.op == "depthwise_conv_2d" else w.shape[0]
    panel = t.nr * t.lanes
    out = np.zeros(-(-n // panel) * panel, np.float32)
    out[:n] = np.broadcast_to(w.scale.astype(np.float32), (n,))
    return out


def emit_hybrid_conv(k: Kernel, t: Tiling, node: Node) -> None:
    filt = node.inputs[1].value.astype(np.float32)
    factors, scaling = k.arg_const(_padded_scales(node, t)), k.arg_tensor(node.inputs[-1])
    vt = vty(t.lanes)

    def factor(fn: Function, col: str, image: str | int, ty: str) -> tuple[str, str]:
        image = fn.idx(image) if isinstance(image, int) else image
        sf = fn.load(scaling[0], scaling[1], image)
        if ty == "f32":
            return sf, fn.load(factors[0], factors[1], col)
        return fn.splat(sf), fn.vload(factors[0], factors[1], col)

    def conv_rescale(fn: Function, acc: str, bias: str, col: str, image, ty: str = vt) -> str:
        # TFLite: acc * (input scale * filter scale) + bias
        sf, ws = factor(fn, col, image, ty)
        out = fn.op(f"arith.mulf {acc}, {fn.op(f'arith.mulf {ws}, {sf} : {ty}')} : {ty}")
        return fn.op(f"arith.addf {out}, {bias} : {ty}")

    def depthwise_rescale(fn: Function, acc: str, bias: str, col: str, image, ty: str = vt) -> str:
        # TFLite (depthwise and transpose conv): (acc * filter scale) * input scale + bias
        sf, ws = factor(fn, col, image, ty)
        out = fn.op(f"arith.mulf {fn.op(f'arith.mulf {acc}, {ws} : {ty}')}, {sf} : {ty}")
        return fn.op(f"arith.addf {out}, {bias} : {ty}")

    if node.op == "conv_2d":
        emit_conv(k, t, node, filt, conv_rescale)
    elif node.op == "depthwise_conv_2d":
        emit_depthwise(k, t, node, filt, depthwise_rescale)
    else:
        emit_transpose_conv(k, t, node, filt, depthwise_rescale)


# ---- fully_connected ------------------------------------------------------------------------


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
        p = quantization_params(fn, res[0], res[1], asym)
        with fn.loop(0, depth) as i:
            xv = fn.load(x[0], x[1], fn.add(base, i))
            qv = fn.op(f"arith.fptosi {quantized(fn, p, xv, 'f32')} : f32 to i32")
            fn.store(qv, q, qty, i)
        zp = fn.op(f"arith.fptosi {p.zero_point} : f32 to i32")
        sfv = fn.splat(p.scale)
        zpv = fn.op(f"vector.broadcast {zp} : i32 to {vi}")

        def columns(c0: str, count: int) -> None:
            zero = fn._const("dense<0>", vi)
            with fn.loop_carried(0, depth, 1, [zero], vi) as (i, acc, res):
                qs = fn.op(f"vector.broadcast {fn.load(q, qty, i)} : i32 to {vi}")
                wvec = fn.op(f"vector.load {wv[0]}[{fn.add(fn.mul(i, npad), c0)}] : {wv[1]}, {vi}")
                prod = fn.op(f"arith.muli {qs}, {wvec} : {vi}")
                res[:] = [fn.op(f"arith.addi {acc[0]}, {prod} : {vi}")]
            rs = fn.op(f"vector.load {sv[0]}[{c0}] : {sv[1]}, {vi}")
            dot = fn.op(f"arith.subi {res[0]}, {fn.op(f'arith.muli {rs}, {zpv} : {vi}')} : {vi}")
            dotf = fn.op(f"arith.sitofp {dot} : {vi} to {vty(v)}")
            scale = fn.op(f"arith.mulf {sfv}, {fn.vload(cv[0], cv[1], c0)} : {vty(v)}")
            out = fn.op(f"arith.mulf {dotf}, {scale} : {vty(v)}")
            out = fn.op(f"arith.addf {fn.vload(bv[0], bv[1], c0)}, {out} : {vty(v)}")
            out = activation(fn, out, act, vty(v))
            fn.vstore_n(out, y[0], y[1], fn.add(fn.mul(r, n), c0), count)

        full = n - n % v
        if full:
            with fn.loop(0, full, v) as c0:
                columns(c0, v)
        if n % v:
            columns(fn.idx(full), n % v)
