"""tfl-fuse-pad: folds an explicit zero pad into a VALID convolution when it equals SAME padding.

`conv_2d(pad(x, [[0,0],[t,b],[l,r],[0,0]]), w) {padding = "VALID"}` becomes
`conv_2d(x, w) {padding = "SAME"}` when (t, b, l, r) are exactly the amounts TFLite computes for
SAME on `x` (`runtime.kernels.geometry.same_padding`), as in Keras' ZeroPadding2D + strided
Conv2D (MobileNetV2). Also for depthwise conv, and for max pooling when the pad value is -inf
(SAME max pooling ignores the border). Average pooling is never fused: SAME averages over the
valid elements only.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.passes.rewrite.tfl import (
    attr_str,
    const_value,
    defining_op,
    ranked_type,
    rewrite_pass,
    static_shape,
)
from tflc.runtime.kernels.geometry import same_padding


def _window(op: ir.Operation) -> tuple[int, int] | None:
    if op.name in ("tfl.conv_2d", "tfl.depthwise_conv_2d"):
        w = static_shape(op.operands[1])
        return (w[1], w[2]) if w is not None else None
    return int(attr_str(op, "filter_height")), int(attr_str(op, "filter_width"))


def _spatial_static_shape(value: ir.Value) -> list[int] | None:
    """An NHWC shape whose height and width are known (the batch may be unknown)."""
    t = ranked_type(value)
    if t is None or t.rank != 4 or t.is_dynamic_dim(1) or t.is_dynamic_dim(2):
        return None
    return list(t.shape)


def _pad_matches(pad: ir.Operation, op: ir.Operation) -> bool:
    paddings = const_value(pad.operands[1])
    shape = _spatial_static_shape(pad.operands[0])
    window = _window(op)
    if paddings is None or shape is None or window is None:
        return False
    if pad.name == "tfl.padv2":
        fill = const_value(pad.operands[2])
        if fill is None or fill.size != 1:
            return False
        fill = float(fill.reshape(-1)[0])
        if op.name == "tfl.max_pool_2d":
            if not (fill == -np.inf or fill <= np.finfo(np.float32).min):
                return False
        elif fill != 0.0:
            return False
    elif op.name == "tfl.max_pool_2d":
        return False  # zero padding changes the max of negative borders
    if paddings.shape != (4, 2) or np.any(paddings[0] != 0) or np.any(paddings[3] != 0):
        return False
    for axis, k, s, d in (
        (1, window[0], "stride_h", "dilation_h_factor"),
        (2, window[1], "stride_w", "dilation_w_factor"),
    ):
        dilation = int(attr_str(op, d)) if d in op.attributes else 1
        expected = same_padding(shape[axis], k, int(attr_str(op, s)), dilation)
        if tuple(int(p) for p in paddings[axis]) != expected:
            return False
    return True


def fuse_pad(op: ir.Operation) -> bool:
    if op.name not in ("tfl.conv_2d", "tfl.depthwise_conv_2d", "tfl.max_pool_2d"):
        return False
    if attr_str(op, "padding") != "VALID":
        return False
    pad = defining_op(op.operands[0])
    if pad is None or pad.name not in ("tfl.pad", "tfl.padv2") or not _pad_matches(pad, op):
        return False
    if pad.results[0].type != op.operands[0].type:
        return False
    op.operands[0] = pad.operands[0]
    op.attributes["padding"] = ir.StringAttr.get("SAME")
    if not any(True for _ in pad.results[0].uses):
        pad.erase()
    return True


PASS = rewrite_pass(
    "tfl-fuse-pad",
    "Fold an explicit pad equal to SAME padding into a VALID conv, depthwise conv or max pool",
    fuse_pad,
)
