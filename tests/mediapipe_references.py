"""mediapipe's custom ops, which LiteRT lacks, written from their documented meaning in float64,
independently of tflc's kernels (runtime/kernels/custom_mediapipe.py): the oracles of the tests
of those kernels and, op by op with LiteRT for the builtins, of whole models
(tests/op_by_op_oracle.py)."""

from __future__ import annotations

import struct

import numpy as np


def warp(image: np.ndarray, matrix: np.ndarray, out_hw, pixel_centers: bool) -> np.ndarray:
    """TransformTensor(Bilinear): output pixel (x, y) samples `image` (h, w, c) at M (x, y, 0, 1)
    -- at pixel centres (x + 0.5, minus 0.5 after the map) for v2 -- bilinearly, zero outside
    [0, w - 1] x [0, h - 1]. Returns (1, oh, ow, c)."""
    h, w, channels = image.shape
    oh, ow = out_hw
    ys, xs = np.meshgrid(
        np.arange(oh, dtype=np.float64), np.arange(ow, dtype=np.float64), indexing="ij"
    )
    shift = 0.5 if pixel_centers else 0.0
    points = np.stack([xs + shift, ys + shift, np.zeros_like(xs), np.ones_like(xs)], axis=-1)
    mapped = points @ matrix.astype(np.float64).T
    tx, ty = mapped[..., 0] - shift, mapped[..., 1] - shift
    out = np.zeros((oh, ow, channels))
    for oy in range(oh):
        for ox in range(ow):
            px, py = tx[oy, ox], ty[oy, ox]
            if not (0 <= px <= w - 1 and 0 <= py <= h - 1):
                continue
            for yi in (int(np.floor(py)), int(np.floor(py)) + 1):
                for xi in (int(np.floor(px)), int(np.floor(px)) + 1):
                    weight = max(0.0, 1 - abs(px - xi)) * max(0.0, 1 - abs(py - yi))
                    if weight and yi < h and xi < w:
                        out[oy, ox] += weight * image[yi, xi]
    return out[None]


def transform_landmarks(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """TransformLandmarks: the first two rows of M (4 x 4) applied to (x, y, 0, 1) of each of
    `points` (n, d); any third value (z) kept."""
    n = points.shape[0]
    homogeneous = np.concatenate(
        [points[:, :2].astype(np.float64), np.zeros((n, 1)), np.ones((n, 1))], axis=1
    )
    out = points.astype(np.float64)
    out[:, :2] = (homogeneous @ matrix.astype(np.float64).T)[:, :2]
    return out


def landmarks_to_transform_matrix(points: np.ndarray, opts: dict) -> np.ndarray:
    """Landmarks2TransformMatrix v2 on `points` (n, 3): EstimateRotationRadians,
    EstimateCenterAndSize over the subset (its last index counted twice, as the kernel's loop
    does) and the Mat4 chain: translate to the centre, rotate back, scale the rotated box to
    the output, move the output's centre to the origin."""
    p = points.astype(np.float64)
    left, right = p[opts["left_rotation_idx"]], p[opts["right_rotation_idx"]]
    rot = opts["target_rotation_radians"] - np.arctan2(right[1] - left[1], right[0] - left[0])
    subset = list(opts["subset_idxs"]) + [opts["subset_idxs"][-1]]
    rotated = [
        (
            np.cos(rot) * p[i, 0] - np.sin(rot) * p[i, 1],
            np.sin(rot) * p[i, 0] + np.cos(rot) * p[i, 1],
        )
        for i in subset
    ]
    xs, ys = [v[0] for v in rotated], [v[1] for v in rotated]
    w, h = max(xs) - min(xs), max(ys) - min(ys)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    cx, cy = np.cos(-rot) * cx - np.sin(-rot) * cy, np.sin(-rot) * cx + np.cos(-rot) * cy
    c, s = np.cos(-rot), np.sin(-rot)
    out_w, out_h = opts["output_width"], opts["output_height"]
    t = np.array([[1, 0, 0, cx], [0, 1, 0, cy], [0, 0, 1, 0], [0, 0, 0, 1.0]])
    t = t @ np.array([[c, -s, 0, 0], [s, c, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1.0]])
    t = t @ np.diag([opts["scale_x"] * w / out_w, opts["scale_y"] * h / out_h, 1, 1])
    return t @ np.array(
        [[1, 0, 0, -out_w / 2], [0, 1, 0, -out_h / 2], [0, 0, 1, 0], [0, 0, 0, 1.0]]
    )


def with_builtin_transpose_conv(path) -> bytes:
    """The model with mediapipe's Convolution2DTransposeBias replaced by TFLite's
    TRANSPOSE_CONV (which takes a bias since version 3), so LiteRT can run it (rewritten with
    tflc's flatbuffer reader and writer, whose round trip tests/test_flatbuffer_roundtrip.py
    checks field by field through LiteRT's own schema)."""
    from tflc.backends.tflite.flatbuffer_writer import write_model
    from tflc.runtime.tflite_model import OperatorCode, Tensor, read_model
    from tflc.runtime.tflite_schema import BUILTIN_OPERATOR_CODES

    model = read_model(path)
    graph = model.subgraphs[0]
    model.operator_codes.append(OperatorCode(BUILTIN_OPERATOR_CODES["TRANSPOSE_CONV"], None, 3, 67))
    code = len(model.operator_codes) - 1
    for op in graph.operators:
        if model.operator_name(op) != "Convolution2DTransposeBias":
            continue
        padding, stride_w, stride_h = struct.unpack_from("<3i", op.custom_options)
        x, w, b = op.inputs
        out_shape = np.asarray(graph.tensors[op.outputs[0]].shape, np.int32)
        model.buffers.append(out_shape.tobytes())
        graph.tensors.append(Tensor("output_shape", [4], "INT32", len(model.buffers) - 1))
        op.opcode_index = code
        op.inputs = [len(graph.tensors) - 1, w, x, b]
        op.custom_options = None
        options = {
            "padding": "SAME" if padding == 1 else "VALID",
            "stride_w": stride_w,
            "stride_h": stride_h,
        }
        op.builtin_options = ("TransposeConvOptions", options)
    return write_model(model)
