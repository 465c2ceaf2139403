"""Float 3-D convolutions: conv_3d and conv_3d_transpose (NDHWC activations, DHWIO filters).

Rare in models, so each is a direct loop nest: per output element, the taps of its window that
fall inside the input (SAME / VALID geometry from runtime/kernels/geometry.conv_axis, the one
definition), each a dot product over the input channels. A tap outside the input is skipped by
clamping its index and selecting zero, so no load leaves the tensor. The filter and bias are
constants (graph.COMPILE_TIME_OPERANDS).
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu.emitter import Function, activation
from tflc.backends.cpu.graph import Node, dequantized
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling
from tflc.errors import TflcError
from tflc.runtime.kernels.geometry import conv_axis


def _geometry(node: Node, spatial, window) -> tuple[tuple[int, ...], tuple[int, ...], list]:
    """(strides, dilations, conv_axis per spatial axis of size `spatial`) from the options."""
    strides = tuple(node.attr(f"stride_{a}", 1) or 1 for a in "dhw")
    dilations = tuple(node.attr(f"dilation_{a}_factor", 1) or 1 for a in "dhw")
    padding = node.attr("padding", "SAME")
    geo = [
        conv_axis(padding, n, kk, s, d)
        for n, kk, s, d in zip(spatial, window, strides, dilations, strict=True)
    ]
    return strides, dilations, geo


def _tap(fn: Function, at: str, tap: int, stride: int, dilation: int, before: int, size: int):
    """(input index, inside) along one axis for output index `at` and filter tap `tap`."""
    raw = fn.add(fn.add(fn.mul(at, stride), tap * dilation), -before)
    inside = fn.in_range(raw, 0, size)
    return fn.op(f"arith.select {inside}, {raw}, {fn.idx(0)} : index"), inside


def _transposed_tap(
    fn: Function, at: str, tap: int, stride: int, dilation: int, before: int, size: int
):
    """The input index whose stride-spaced copy lands on output `at` through `tap`: (at +
    before - tap * dilation) / stride when that divides and falls inside the input."""
    raw = fn.add(at, before - tap * dilation)
    q = fn.op(f"arith.divsi {raw}, {fn.idx(stride)} : index")
    exact = fn.op(f"arith.cmpi eq, {fn.mul(q, stride)}, {raw} : index")
    non_negative = fn.op(f"arith.cmpi sge, {raw}, {fn.idx(0)} : index")
    inside = fn.op(f"arith.andi {exact}, {non_negative} : i1")
    inside = fn.op(f"arith.andi {inside}, {fn.in_range(q, 0, size)} : i1")
    return fn.op(f"arith.select {inside}, {q}, {fn.idx(0)} : index"), inside


def _check(node: Node, x_t) -> None:
    for t in (x_t, node.outputs[0]):
        if t.dtype != "f32":
            raise TflcError(f"the cpu target has no {t.dtype} kernel for '{node.op}'", node.where)


def emit_conv_3d(k: Kernel, t: Tiling, node: Node) -> None:
    x_t, w_t, y_t = node.inputs[0], node.inputs[1], node.outputs[0]
    b_t = node.inputs[2] if len(node.inputs) > 2 else None
    _check(node, x_t)
    kd, kh, kw, cin, cout = w_t.shape
    strides, dilations, geo = _geometry(node, x_t.shape[1:4], (kd, kh, kw))
    if tuple(g.out for g in geo) != tuple(y_t.shape[1:4]):
        raise TflcError(f"conv_3d output {list(y_t.shape)} does not fit its input", node.where)

    def index_of(fn: Function, ivs, tap, a: int):
        before, size = geo[a].before, x_t.shape[1 + a]
        return _tap(fn, ivs[a], tap[a], strides[a], dilations[a], before, size)

    groups = x_t.shape[4] // cin  # grouped: each group of outputs reads its own inputs
    _emit(
        k, node, (x_t, w_t, b_t, y_t), (kd, kh, kw), index_of, cout // groups, (cin * cout, cout, 1)
    )


def emit_conv_3d_transpose(k: Kernel, t: Tiling, node: Node) -> None:
    w_t, x_t, y_t = node.inputs[1], node.inputs[2], node.outputs[0]
    b_t = node.inputs[3] if len(node.inputs) > 3 else None
    _check(node, x_t)
    kd, kh, kw, cout, cin = w_t.shape
    strides, dilations, geo = _geometry(node, y_t.shape[1:4], (kd, kh, kw))

    def index_of(fn: Function, ivs, tap, a: int):
        before, size = geo[a].before, x_t.shape[1 + a]
        return _transposed_tap(fn, ivs[a], tap[a], strides[a], dilations[a], before, size)

    _emit(k, node, (x_t, w_t, b_t, y_t), (kd, kh, kw), index_of, cout, (cout * cin, 1, cin))


def _emit(k, node, tensors, window, index_of, per_group: int, w_strides) -> None:
    """out[n, d, h, w, oc] = act(bias[oc] + sum over the taps inside the input and the input
    channels ci of oc's group of x[n, id, ih, iw, group * cin + ci] * w[tap, ci, oc]), with
    `w_strides` the filter's (tap, ci, oc) strides."""
    x_t, w_t, b_t, y_t = tensors
    fn = k.fn
    n, od, oh, ow, cout = y_t.shape
    _, xd, xh, xw, xc = x_t.shape
    cin = w_t.size // (cout * int(np.prod(window)))
    x, y = k.arg_tensor(x_t), k.arg_tensor(y_t)
    weights = k.arg_const(dequantized(w_t).reshape(-1))
    bias = None if b_t is None else k.arg_const(dequantized(b_t).reshape(-1))
    act = node.attr("fused_activation_function", "NONE")
    zero = fn.f32(0.0)
    taps = [(a, b, c) for a in range(window[0]) for b in range(window[1]) for c in range(window[2])]
    tap_stride, ci_stride, oc_stride = w_strides
    with fn.loop(0, n) as b, fn.loop(0, od) as d, fn.loop(0, oh) as h, fn.loop(0, ow) as w:
        with fn.loop(0, cout) as oc:
            acc = zero if bias is None else fn.load(bias[0], bias[1], oc)
            group = fn.op(f"arith.divui {oc}, {fn.idx(per_group)} : index")
            first_channel = fn.mul(group, cin)
            for i, tap in enumerate(taps):
                axes = [index_of(fn, (d, h, w), tap, a) for a in range(3)]
                inside = fn.op(f"arith.andi {axes[0][1]}, {axes[1][1]} : i1")
                inside = fn.op(f"arith.andi {inside}, {axes[2][1]} : i1")
                pixel = fn.lin(
                    [(b, xd * xh * xw), (axes[0][0], xh * xw), (axes[1][0], xw), (axes[2][0], 1)]
                )
                base = fn.add(fn.mul(pixel, xc), first_channel)
                w_base = fn.add(fn.mul(oc, oc_stride), i * tap_stride)
                with fn.loop_carried(0, cin, 1, [zero], "f32") as (ci, part, res):
                    xv = fn.load(x[0], x[1], fn.add(base, ci))
                    wv = fn.load(weights[0], weights[1], fn.add(w_base, fn.mul(ci, ci_stride)))
                    product = fn.op(f"arith.mulf {xv}, {wv} : f32")
                    res[:] = [fn.op(f"arith.addf {part[0]}, {product} : f32")]
                contribution = fn.op(f"arith.select {inside}, {res[0]}, {zero} : f32")
                acc = fn.op(f"arith.addf {acc}, {contribution} : f32")
            out = fn.lin([(b, od * oh * ow), (d, oh * ow), (h, ow), (w, 1)])
            fn.store(activation(fn, acc, act, "f32"), y[0], y[1], fn.add(fn.mul(out, cout), oc))
