"""Kernels for the custom ops of mediapipe's models, following the public sources in
mediapipe/util/tflite/operations/ (and their attribute parsers in TFLite's GPU delegate).

- Convolution2DTransposeBias: transpose conv + bias; custom options are a raw
  TfLiteTransposeConvParams struct (padding, stride_w, stride_h as int32).
- Landmarks2TransformMatrix (v1, v2): a 4x4 affine matrix from landmark positions.
- TransformLandmarks (v1, v2): applies the first two rows of such a matrix to landmarks.
- TransformTensorBilinear (v2; v1 is registered as "TransformTensor"): an affine warp of a
  feature map with bilinear sampling, zero outside the image.

The C++ kernels compute in float32; so do these where the order of operations decides the
result (sampling coordinates), and in float64 where it does not matter for the last ulp.
"""

from __future__ import annotations

import struct

import numpy as np
from flatbuffers import flexbuffers
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.conv_transpose import transpose_conv_accumulate
from tflc.runtime.kernels.geometry import mediapipe_transpose_conv_axis
from tflc.runtime.kernels.node import Node


def _flex_options(node: Node) -> dict:
    if "flex" not in node.cache:
        try:
            node.cache["flex"] = flexbuffers.Loads(node.custom_options or b"") or {}
        except Exception as e:
            raise node.error(f"cannot read custom options: {e}") from None
    return node.cache["flex"]


@kernel("Convolution2DTransposeBias")
def convolution_2d_transpose_bias(node: Node, x: np.ndarray, w: np.ndarray, b: np.ndarray):
    raw = node.custom_options or b""
    if len(raw) < 12:
        raise node.error("custom options must hold padding, stride_width and stride_height")
    padding, stride_w, stride_h = struct.unpack_from("<3i", raw)
    if stride_w <= 0 or stride_h <= 0:
        raise node.error(f"invalid strides {stride_h}x{stride_w}")
    _, kh, kw, cin = w.shape
    if x.ndim != 4 or x.shape[3] != cin:
        raise node.error(f"input {list(x.shape)} does not match the filter {list(w.shape)}")
    _, h, wd, _ = x.shape
    same = padding == 1  # kTfLitePaddingSame
    rows = mediapipe_transpose_conv_axis(same, h, kh, stride_h)
    cols = mediapipe_transpose_conv_axis(same, wd, kw, stride_w)
    out = transpose_conv_accumulate(
        x,
        w,
        (stride_h, stride_w),
        (rows.before, cols.before),
        (rows.out, cols.out),
        np.float32,
        threads=node.interpreter.kernel_threads,
    )
    return (out + b).astype(np.float32)


def _rotation(r: float) -> np.ndarray:
    c, s = np.cos(r), np.sin(r)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


@kernel("Landmarks2TransformMatrix")
def landmarks_to_transform_matrix(node: Node, landmarks: np.ndarray):
    opts = _flex_options(node)
    if node.version == 1:
        return _landmarks_to_matrix_v1(node, landmarks, opts)
    required = ("left_rotation_idx", "right_rotation_idx", "output_height", "output_width")
    missing = [name for name in required if name not in opts]
    if missing:
        raise node.error(f"custom options lack {', '.join(missing)}")
    pts = landmarks.reshape(-1, 3).astype(np.float64)
    left, right = opts["left_rotation_idx"], opts["right_rotation_idx"]
    subset = list(opts.get("subset_idxs", []))
    if len(subset) % 2:
        subset.append(subset[-1])
    for i in (left, right, *subset):
        if not 0 <= i < len(pts):
            raise node.error(f"landmark index {i} is out of range ({len(pts)} landmarks)")
    out_h, out_w = opts["output_height"], opts["output_width"]
    rotation = float(opts.get("target_rotation_radians", 0.0)) - np.arctan2(
        pts[right, 1] - pts[left, 1], pts[right, 0] - pts[left, 0]
    )
    xy1 = np.concatenate([pts[subset, :2], np.ones((len(subset), 1))], axis=1)
    rotated = xy1 @ _rotation(rotation).T
    lo, hi = rotated.min(axis=0), rotated.max(axis=0)
    crop_w, crop_h = hi[0] - lo[0], hi[1] - lo[1]
    center = _rotation(-rotation) @ np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, 1.0])
    t = np.eye(4)
    shift = np.eye(4)
    shift[0, 3], shift[1, 3] = center[0], center[1]
    t = t @ shift
    rot = np.eye(4)
    rot[:2, :2] = _rotation(-rotation)[:2, :2]
    t = t @ rot
    scale = np.diag([opts["scale_x"] * crop_w / out_w, opts["scale_y"] * crop_h / out_h, 1.0, 1.0])
    t = t @ scale
    shift2 = np.eye(4)
    shift2[0, 3], shift2[1, 3] = -out_w / 2.0, -out_h / 2.0
    t = t @ shift2
    return t.astype(np.float32).reshape(1, 4, 4)


def _landmarks_to_matrix_v1(node: Node, landmarks: np.ndarray, opts: dict) -> np.ndarray:
    pts = landmarks.reshape(-1, 3).astype(np.float64)
    left, right = pts[opts["left_rotation_idx"], :2], pts[opts["right_rotation_idx"], :2]
    alpha = -np.arctan((right[1] - left[1]) / (right[0] - left[0]))
    subset = list(opts["subset"])
    if len(subset) % 2:
        subset.append(subset[-1])
    p = pts[subset, :2]
    c, s = np.cos(alpha), np.sin(alpha)
    rotated = np.stack([p[:, 0] * c - p[:, 1] * s, p[:, 0] * s + p[:, 1] * c], axis=1)
    lo, hi = rotated.min(axis=0), rotated.max(axis=0)
    mult = opts["bbox_size_multiplier"]
    rng = opts["landmarks_range"]
    bbox = (hi - lo) * mult
    middle = (hi + lo) / 2
    mid_rot = np.array([middle[0] * c + middle[1] * s, -middle[0] * s + middle[1] * c])
    scale_m = np.diag([bbox[0] / rng, bbox[1] / rng, 1.0])
    rot_m = np.array(
        [[c, s, mid_rot[0] / rng * 2 - 1], [-s, c, mid_rot[1] / rng * 2 - 1], [0, 0, 1.0]]
    )
    in_h, in_w = opts["input_hw"]
    o_h, o_w = opts["output_hw"]
    to_rel = np.array([[2.0 / (o_w - 1), 0, -1], [0, 2.0 / (o_h - 1), -1], [0, 0, 1.0]])
    to_abs = np.array(
        [[(in_w - 1) / 2, 0, (in_w - 1) / 2], [0, (in_h - 1) / 2, (in_h - 1) / 2], [0, 0, 1.0]]
    )
    itm = to_abs @ rot_m @ scale_m @ to_rel
    out = np.zeros((4, 4))
    out[0, [0, 1, 3]] = itm[0]
    out[1, [0, 1, 3]] = itm[1]
    out[2, :3] = itm[2]
    out[3, 3] = 1.0
    return out.astype(np.float32).reshape(1, 4, 4)


@kernel("TransformLandmarks")
def transform_landmarks(node: Node, landmarks: np.ndarray, matrix: np.ndarray):
    m = matrix.reshape(-1)[:8].astype(np.float32)
    if node.version == 1:
        opts = _flex_options(node)
        dims = int(opts.get("dimensions", 3))
        scale = np.float32(opts.get("scale", 1.0))
        m = m.copy()
        m[3] *= scale
        m[7] *= scale
    else:
        dims = landmarks.shape[-1]
    if dims not in (2, 3) or landmarks.shape[-1] % dims:
        raise node.error(f"landmarks of {landmarks.shape[-1]} values are not 2-D or 3-D points")
    pts = landmarks.reshape(-1, dims).astype(np.float32)
    x, y = pts[:, 0], pts[:, 1]
    out = pts.copy()
    # DotProduct(row, (x, y, 0, 1)) in float, left to right.
    out[:, 0] = ((m[0] * x + m[1] * y) + m[2] * np.float32(0)) + m[3]
    out[:, 1] = ((m[4] * x + m[5] * y) + m[6] * np.float32(0)) + m[7]
    return out.reshape(landmarks.shape)


def _warp_bilinear(node: Node, x: np.ndarray, matrix: np.ndarray, out_hw, align_correction):
    if x.ndim != 4:
        raise node.error(f"input must be 4-D NHWC, got {list(x.shape)}")
    _, ih, iw, c = x.shape
    m = matrix.reshape(-1)[:8].astype(np.float32)
    rx, ry = m[:4].copy(), m[4:8].copy()
    half = np.float32(0.5)
    if align_correction:
        rx[3] = rx[3] + (rx[0] * half + rx[1] * half - half)
        ry[3] = ry[3] + (ry[0] * half + ry[1] * half - half)
    oh, ow = out_hw
    yy, xx = np.meshgrid(
        np.arange(oh, dtype=np.float32), np.arange(ow, dtype=np.float32), indexing="ij"
    )
    zero = np.float32(0)
    tx = (((rx[0] * xx + rx[1] * yy) + rx[2] * zero) + rx[3]).astype(np.float32)
    ty = (((ry[0] * xx + ry[1] * yy) + ry[2] * zero) + ry[3]).astype(np.float32)
    inside = (tx >= 0) & (tx <= iw - 1) & (ty >= 0) & (ty <= ih - 1)
    fx, fy = np.floor(tx), np.floor(ty)
    x0, y0 = fx.astype(np.int64), fy.astype(np.int64)
    right, lower = (tx - fx).astype(np.float32), (ty - fy).astype(np.float32)

    def read(yi, xi):
        ok = (yi >= 0) & (xi >= 0) & (yi < ih) & (xi < iw) & inside
        v = x[0, np.clip(yi, 0, ih - 1), np.clip(xi, 0, iw - 1)]
        return np.where(ok[..., None], v, np.float32(0))

    one = np.float32(1)
    q11, q21 = read(y0, x0), read(y0, x0 + 1)
    q12, q22 = read(y0 + 1, x0), read(y0 + 1, x0 + 1)
    r, lw = right[..., None], lower[..., None]
    upper = (one - r) * q11 + r * q21
    low = (one - r) * q12 + r * q22
    out = lw * low + (one - lw) * upper
    out = np.where(inside[..., None], out, np.float32(0)).astype(np.float32)
    return out.reshape(1, oh, ow, c)


@kernel("TransformTensorBilinear")
def transform_tensor_bilinear(node: Node, x: np.ndarray, matrix: np.ndarray):
    opts = _flex_options(node)
    if node.version == 1:
        out_hw = tuple(opts["output_size"])
        return _warp_bilinear(node, x, matrix, out_hw, align_correction=False)
    out_hw = (
        opts.get("output_height", node.output().shape[1]),
        opts.get("output_width", node.output().shape[2]),
    )
    return _warp_bilinear(node, x, matrix, out_hw, align_correction=True)


@kernel("TransformTensor")
def transform_tensor(node: Node, x: np.ndarray, matrix: np.ndarray):
    opts = _flex_options(node)
    if opts.get("mode", "bilinear") != "bilinear":
        raise node.error("only bilinear interpolation is supported")
    return _warp_bilinear(node, x, matrix, tuple(opts["output_size"]), align_correction=False)
