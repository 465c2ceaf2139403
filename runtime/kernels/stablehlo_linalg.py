"""StableHLO DOT_GENERAL and CONVOLUTION with general dimension numbers, and the region ops
WHILE and COMPOSITE (subgraphs run by the interpreter)."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.control_flow import while_
from tflc.runtime.kernels.node import Node
from tflc.runtime.kernels.stablehlo_common import int_list


def _accumulate_dtype(dtype: np.dtype) -> np.dtype:
    return np.dtype(np.int64) if dtype.kind in "iub" else dtype


@kernel("STABLEHLO_DOT_GENERAL")
def stablehlo_dot_general(node: Node, lhs: np.ndarray, rhs: np.ndarray):
    """Result dims: batch, lhs free, rhs free. Integers accumulate in int64."""
    lb, rb = int_list(node, "lhs_batching_dimensions"), int_list(node, "rhs_batching_dimensions")
    lc, rc = (
        int_list(node, "lhs_contracting_dimensions"),
        int_list(node, "rhs_contracting_dimensions"),
    )
    lf = [d for d in range(lhs.ndim) if d not in lb + lc]
    rf = [d for d in range(rhs.ndim) if d not in rb + rc]
    batch = [lhs.shape[d] for d in lb]
    a = np.transpose(lhs, lb + lf + lc).reshape(
        batch + [int(np.prod([lhs.shape[d] for d in lf])), int(np.prod([lhs.shape[d] for d in lc]))]
    )
    b = np.transpose(rhs, rb + rc + rf).reshape(
        batch + [int(np.prod([rhs.shape[d] for d in rc])), int(np.prod([rhs.shape[d] for d in rf]))]
    )
    acc = _accumulate_dtype(lhs.dtype)
    out = np.matmul(a.astype(acc), b.astype(acc))
    shape = batch + [lhs.shape[d] for d in lf] + [rhs.shape[d] for d in rf]
    return out.reshape(shape).astype(node.out_dtype())


def _check_convolution(node: Node) -> str | None:
    if "input_batch_dimension" not in node.options:
        return "has no StablehloConvolutionOptions (its dimension numbers)"
    if int(node.options.get("batch_group_count", 1) or 1) != 1:
        return "batch_group_count > 1 is not supported"
    return None


@kernel("STABLEHLO_CONVOLUTION", check=_check_convolution)
def stablehlo_convolution(node: Node, lhs: np.ndarray, rhs: np.ndarray):
    """General convolution: lhs/rhs dilation, padding, strides, window reversal, feature
    groups; dimension numbers map each operand to (batch, spatial..., feature) form."""
    o = node.options
    in_spatial = int_list(node, "input_spatial_dimensions")
    k_spatial = int_list(node, "kernel_spatial_dimensions")
    out_spatial = int_list(node, "output_spatial_dimensions")
    n = len(in_spatial)
    x = np.transpose(
        lhs, [int(o["input_batch_dimension"])] + in_spatial + [int(o["input_feature_dimension"])]
    )
    w = np.transpose(
        rhs,
        k_spatial
        + [int(o["kernel_input_feature_dimension"]), int(o["kernel_output_feature_dimension"])],
    )
    reversal = [bool(v) for v in (o.get("window_reversal") or [False] * n)]
    w = np.flip(w, [k for k in range(n) if reversal[k]]) if any(reversal) else w
    strides = int_list(node, "window_strides") or [1] * n
    lhs_dil = int_list(node, "lhs_dilation") or [1] * n
    rhs_dil = int_list(node, "rhs_dilation") or [1] * n
    flat_pad = int_list(node, "padding") or [0] * (2 * n)
    groups = int(o.get("feature_group_count", 1) or 1)
    # lhs dilation inserts zeros between input elements; then edge padding (negative crops).
    spread = (
        [x.shape[0]]
        + [d + max(d - 1, 0) * (f - 1) for d, f in zip(x.shape[1:-1], lhs_dil, strict=True)]
        + [x.shape[-1]]
    )
    xs = np.zeros(spread, dtype=x.dtype)
    xs[(slice(None),) + tuple(slice(None, None, f) for f in lhs_dil) + (slice(None),)] = x
    pads = list(zip(flat_pad[0::2], flat_pad[1::2], strict=True))
    xs = np.pad(xs, [(0, 0)] + [(max(lo, 0), max(hi, 0)) for lo, hi in pads] + [(0, 0)])
    xs = xs[
        (slice(None),)
        + tuple(
            slice(max(-lo, 0), xs.shape[k + 1] - max(-hi, 0)) for k, (lo, hi) in enumerate(pads)
        )
    ]
    span = [(w.shape[k] - 1) * rhs_dil[k] + 1 for k in range(n)]
    win = sliding_window_view(xs, span, axis=tuple(range(1, n + 1)))
    win = win[(slice(None),) + tuple(slice(None, None, s) for s in strides)]
    win = win[(Ellipsis,) + tuple(slice(None, None, d) for d in rhs_dil)]
    # win: (N, out spatial..., C, k spatial...) -> (N, out..., k..., C)
    win = np.moveaxis(win, n + 1, -1)
    acc = _accumulate_dtype(lhs.dtype)
    cin = x.shape[-1] // groups
    cout = w.shape[-1] // groups
    outs = []
    for g in range(groups):
        cols = win[..., g * cin : (g + 1) * cin].astype(acc)
        kernel_g = w[..., :, g * cout : (g + 1) * cout].astype(acc)
        outs.append(
            np.tensordot(cols, kernel_g, axes=(list(range(n + 1, 2 * n + 2)), list(range(n + 1))))
        )
    out = np.concatenate(outs, axis=-1)  # (N, out spatial..., O)
    order = [0] * (n + 2)
    order[int(o["output_batch_dimension"])] = 0
    for k, d in enumerate(out_spatial):
        order[d] = k + 1
    order[int(o["output_feature_dimension"])] = n + 1
    return np.ascontiguousarray(np.transpose(out, order)).astype(node.out_dtype())


@kernel("STABLEHLO_WHILE")
def stablehlo_while(node: Node, *inputs: np.ndarray):
    return while_(node, *inputs)


@kernel("STABLEHLO_COMPOSITE")
def stablehlo_composite(node: Node, *inputs: np.ndarray):
    """Runs the decomposition: the composite's meaning by definition."""
    index = int(node.options["decomposition_subgraph_index"])
    return tuple(node.interpreter.run_subgraph(index, list(inputs)))
