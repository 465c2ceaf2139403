"""Ops that fit no other family: non-max suppression, bucketize, sparse-to-dense, dilate,
RFFT2D, 3-D convolutions, and the option-free StableHLO elementwise ops."""

from __future__ import annotations

import heapq

import numpy as np
from tflc.runtime.kernels import KERNELS, kernel
from tflc.runtime.kernels.common import float_activation
from tflc.runtime.kernels.geometry import conv_axis
from tflc.runtime.kernels.node import Node, integer_inputs
from tflc.runtime.op_traits import STABLEHLO_ALIASES


def _scalar(x) -> float:
    return np.asarray(x).reshape(-1)[0].item()


def _iou(boxes: np.ndarray, i: int, j: int) -> float:
    """ComputeIntersectionOverUnion in float, as TFLite."""
    f = np.float32
    a, b = boxes[i], boxes[j]
    ay0, ay1 = min(a[0], a[2]), max(a[0], a[2])
    ax0, ax1 = min(a[1], a[3]), max(a[1], a[3])
    by0, by1 = min(b[0], b[2]), max(b[0], b[2])
    bx0, bx1 = min(b[1], b[3]), max(b[1], b[3])
    area_a, area_b = f((ay1 - ay0) * (ax1 - ax0)), f((by1 - by0) * (bx1 - bx0))
    if area_a <= 0 or area_b <= 0:
        return 0.0
    inter = f(
        max(f(min(ay1, by1) - max(ay0, by0)), f(0)) * max(f(min(ax1, bx1) - max(ax0, bx0)), f(0))
    )
    return float(f(inter / f(area_a + area_b - inter)))


def _non_max_suppression(node: Node, boxes, scores, max_out, iou_thr, score_thr, sigma):
    boxes = boxes.astype(np.float32).reshape(-1, 4)
    scores = scores.astype(np.float32).reshape(-1)
    max_out, iou_thr = int(_scalar(max_out)), float(np.float32(_scalar(iou_thr)))
    score_thr = float(np.float32(_scalar(score_thr)))
    if max_out < 0:
        raise node.error("max_output_size must not be negative")
    heap = [(-float(s), i, float(s), 0) for i, s in enumerate(scores) if s > score_thr]
    heapq.heapify(heap)
    selected: list[int] = []
    selected_scores: list[float] = []
    n_out = min(len(heap), max_out)
    scale = -0.5 / sigma if sigma > 0 else 0.0
    while len(selected) < n_out and heap:
        _, index, score, begin = heapq.heappop(heap)
        original = score
        suppressed = False
        for j in range(len(selected) - 1, begin - 1, -1):
            iou = _iou(boxes, index, selected[j])
            if iou >= iou_thr:
                suppressed = True
                break
            if sigma > 0:
                score = float(np.float32(score * np.exp(np.float32(scale * iou * iou))))
            if score <= score_thr:
                break
        if not suppressed:
            begin = len(selected)  # set before selecting: a re-queued box then meets itself
            if score == original:
                selected.append(index)
                selected_scores.append(score)
            if score > score_thr:
                heapq.heappush(heap, (-score, index, score, begin))
    indices = np.zeros(max_out, np.int32)
    indices[: len(selected)] = selected
    out_scores = np.zeros(max_out, np.float32)
    out_scores[: len(selected)] = selected_scores
    return indices, out_scores, np.asarray(len(selected), np.int32)


@kernel("NON_MAX_SUPPRESSION_V4")
def non_max_suppression_v4(node: Node, boxes, scores, max_out, iou_thr, score_thr):
    indices, _, count = _non_max_suppression(node, boxes, scores, max_out, iou_thr, score_thr, 0.0)
    return indices, count


@kernel("NON_MAX_SUPPRESSION_V5")
def non_max_suppression_v5(node: Node, boxes, scores, max_out, iou_thr, score_thr, sigma):
    s = float(np.float32(_scalar(sigma)))
    return _non_max_suppression(node, boxes, scores, max_out, iou_thr, score_thr, s)


@kernel("BUCKETIZE")
def bucketize(node: Node, x: np.ndarray):
    boundaries = np.asarray(node.options.get("boundaries", []), dtype=np.float64)
    return np.searchsorted(boundaries, x.astype(np.float64), side="right").astype(np.int32)


@kernel("SPARSE_TO_DENSE")
def sparse_to_dense(node: Node, indices, shape, values, default):
    out = np.full(
        [int(d) for d in np.asarray(shape).reshape(-1)], default.reshape(()), values.dtype
    )
    idx = np.asarray(indices, np.int64).reshape(len(np.atleast_1d(indices)), -1)
    if idx.size and (np.any(idx < 0) or np.any(idx >= np.asarray(out.shape)[: idx.shape[1]])):
        raise node.error("sparse index out of range")
    vals = np.broadcast_to(values.reshape(-1), (idx.shape[0],))
    out[tuple(idx.T)] = vals
    return out


@kernel("DILATE")
def dilate(node: Node, x: np.ndarray, dilations: np.ndarray, padding_value: np.ndarray):
    d = [int(v) for v in np.asarray(dilations).reshape(-1)]
    if len(d) != x.ndim or min(d, default=1) < 1:
        raise node.error(f"dilations {d} do not fit a rank-{x.ndim} input")
    shape = [(n - 1) * k + 1 if n else 0 for n, k in zip(x.shape, d, strict=True)]
    out = np.full(shape, padding_value.reshape(()), x.dtype)
    out[tuple(slice(None, None, k) for k in d)] = x
    return out


@kernel("RFFT2D")
def rfft2d(node: Node, x: np.ndarray, fft_length: np.ndarray):
    h, w = (int(v) for v in np.asarray(fft_length).reshape(-1))
    return np.fft.rfft2(x.astype(np.float64), s=(h, w)).astype(np.complex64)


# --- 3-D convolutions (float) --------------------------------------------------------------


def _conv3d_geometry(node: Node, spatial, kernel_size):
    o = node.options
    strides = (o.get("stride_d", 1) or 1, o.get("stride_h", 1) or 1, o.get("stride_w", 1) or 1)
    dil = (
        o.get("dilation_d_factor", 1) or 1,
        o.get("dilation_h_factor", 1) or 1,
        o.get("dilation_w_factor", 1) or 1,
    )
    geo = [
        conv_axis(o.get("padding", "SAME"), n, k, s, d)
        for n, k, s, d in zip(spatial, kernel_size, strides, dil, strict=True)
    ]
    return strides, dil, geo


def _check_conv3d(node: Node) -> str | None:
    t = node.input(0) if node.op == "CONV_3D" else node.input(2)
    if t is not None and t.type != "FLOAT32":
        return f"{t.type} input is not supported"
    return None


@kernel("CONV_3D", check=_check_conv3d)
def conv_3d(node: Node, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None):
    kd, kh, kw, cin, cout = w.shape
    strides, dil, geo = _conv3d_geometry(node, x.shape[1:4], (kd, kh, kw))
    pads = [(0, 0)] + [(g[1], g[2]) for g in geo] + [(0, 0)]
    xp = np.pad(x, pads)
    out_dhw = [g[0] for g in geo]
    sn, sd, sh, sw, sc = xp.strides
    cols = np.lib.stride_tricks.as_strided(
        xp,
        shape=(x.shape[0], *out_dhw, kd, kh, kw, x.shape[4]),
        strides=(
            sn,
            sd * strides[0],
            sh * strides[1],
            sw * strides[2],
            sd * dil[0],
            sh * dil[1],
            sw * dil[2],
            sc,
        ),
        writeable=False,
    )
    groups = x.shape[4] // cin
    cols = cols.reshape(-1, kd * kh * kw, groups, cin)
    wg = w.reshape(kd * kh * kw, cin, groups, cout // groups)
    out = np.einsum("mkgc,kcgo->mgo", cols, wg).reshape(x.shape[0], *out_dhw, cout)
    if b is not None:
        out = out + b
    return float_activation(
        out.astype(np.float32), node.options.get("fused_activation_function"), node
    )


@kernel("CONV_3D_TRANSPOSE", check=_check_conv3d)
def conv_3d_transpose(node: Node, out_shape, w, x, b=None):
    shape = [int(v) for v in np.asarray(out_shape).reshape(-1)]
    kd, kh, kw, cout, cin = w.shape
    strides, dil, _ = _conv3d_geometry(node, shape[1:4], (kd, kh, kw))
    geo = [
        conv_axis(node.options.get("padding", "SAME"), n, k, s, d)
        for n, k, s, d in zip(shape[1:4], (kd, kh, kw), strides, dil, strict=True)
    ]
    n, din, hin, win, _ = x.shape
    full = np.zeros(
        (
            n,
            *[
                (i - 1) * s + (k - 1) * d + 1
                for i, s, k, d in zip((din, hin, win), strides, (kd, kh, kw), dil, strict=True)
            ],
            cout,
        ),
        np.float32,
    )
    full = np.pad(
        full,
        [(0, 0)]
        + [
            (0, max(0, g[1] + t - f))
            for g, t, f in zip(geo, shape[1:4], full.shape[1:4], strict=True)
        ]
        + [(0, 0)],
    )
    for a in range(kd):
        for bb in range(kh):
            for c in range(kw):
                contrib = x @ w[a, bb, c].T  # (N, D, H, W, Cout)
                full[
                    :,
                    a * dil[0] : a * dil[0] + (din - 1) * strides[0] + 1 : strides[0],
                    bb * dil[1] : bb * dil[1] + (hin - 1) * strides[1] + 1 : strides[1],
                    c * dil[2] : c * dil[2] + (win - 1) * strides[2] + 1 : strides[2],
                ] += contrib
    out = full[
        :,
        geo[0][1] : geo[0][1] + shape[1],
        geo[1][1] : geo[1][1] + shape[2],
        geo[2][1] : geo[2][1] + shape[3],
    ]
    if b is not None:
        out = out + b
    out = np.ascontiguousarray(out, dtype=np.float32)
    return float_activation(out, node.options.get("fused_activation_function"), node)


# --- StableHLO elementwise ops without options -------------------------------------------


def _alias(name: str, builtin: str) -> None:
    """A StableHLO op whose semantics equal a TFLite builtin's (without fused activation)."""

    def run(node: Node, *args):
        return KERNELS[builtin](node, *args)  # looked up when run: modules load in any order

    run.alias_of = builtin  # the interpreter checks the builtin's input count
    KERNELS[name] = run


@kernel("STABLEHLO_AND", "STABLEHLO_OR", check=integer_inputs(booleans_too=True))
def stablehlo_and_or(node: Node, a, b):
    if node.op == "STABLEHLO_OR":
        return np.logical_or(a, b) if a.dtype == np.bool_ else np.bitwise_or(a, b)
    return np.logical_and(a, b) if a.dtype == np.bool_ else np.bitwise_and(a, b)


@kernel("STABLEHLO_REMAINDER")
def stablehlo_remainder(node: Node, a, b):
    if np.issubdtype(a.dtype, np.integer):
        if np.any(b == 0):
            raise node.error("integer remainder by zero")
        return (np.sign(a) * (np.abs(a) % np.abs(b))).astype(a.dtype)  # sign of the dividend
    return np.fmod(a, b).astype(a.dtype)


@kernel("STABLEHLO_SHIFT_LEFT", check=integer_inputs())
def stablehlo_shift_left(node: Node, a, b):
    bits = a.dtype.itemsize * 8
    return np.where((b < 0) | (b >= bits), 0, np.left_shift(a, np.clip(b, 0, bits - 1))).astype(
        a.dtype
    )


@kernel("STABLEHLO_CBRT")
def stablehlo_cbrt(node: Node, x):
    return np.cbrt(x.astype(np.float64)).astype(x.dtype)


@kernel("STABLEHLO_CLAMP")
def stablehlo_clamp(node: Node, lo, x, hi):
    return np.minimum(np.maximum(x, lo), hi).astype(x.dtype)


@kernel("STABLEHLO_SELECT")
def stablehlo_select(node: Node, cond, a, b):
    return np.where(cond, a, b).astype(node.out_dtype())


@kernel("STABLEHLO_CONVERT")
def stablehlo_convert(node: Node, x):
    return x.astype(node.out_dtype())


@kernel("STABLEHLO_RESHAPE")
def stablehlo_reshape(node: Node, x):
    return x.reshape(node.output().shape)


for _stablehlo, _builtin in STABLEHLO_ALIASES.items():
    _alias(_stablehlo, _builtin)
