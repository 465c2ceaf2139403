"""Window geometry of convolutions and pools: the one definition of SAME / VALID padding.

TFLite's rule (tensorflow/lite/kernels/padding.h), per spatial axis, with the dilated filter's
extent `effective = (kernel - 1) * dilation + 1`:

- output size (ComputeOutSize): SAME `ceil(size / stride)`; VALID
  `(size - effective + stride) // stride`, never below 0;
- padding (ComputePaddingWithOffset, for SAME and VALID alike): `total = max((out - 1) * stride
  + effective - size, 0)`, `total // 2` before and the rest (one more when odd) after. VALID
  therefore pads nothing unless the input is smaller than the window.

A transpose conv takes the padding of the forward conv from its output back to its input
(transpose_conv.cc): `conv_axis(padding, output size, ...)`. mediapipe's
Convolution2DTransposeBias has its own rule (`mediapipe_transpose_conv_axis`).

The interpreter, the passes and every backend compute window geometry through these functions.
Numpy-free and compiler-free, so the runtime can use it.
"""

from __future__ import annotations

from typing import NamedTuple


class ConvAxis(NamedTuple):
    """One spatial axis of a windowed op: its output size and padding before / after."""

    out: int
    before: int
    after: int


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """The extent of a dilated filter along one axis."""
    return (kernel - 1) * dilation + 1


def conv_axis(padding: str, size: int, kernel: int, stride: int, dilation: int = 1) -> ConvAxis:
    """TFLite's ComputePaddingHeightWidth for one axis of a conv or pool (see the module doc)."""
    effective = effective_kernel(kernel, dilation)
    if padding == "SAME":
        out = (size + stride - 1) // stride
    else:
        out = (size - effective + stride) // stride
    out = max(out, 0)
    total = max((out - 1) * stride + effective - size, 0)
    return ConvAxis(out, total // 2, total - total // 2)


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """(before, after) padding of SAME along one axis."""
    return conv_axis("SAME", size, kernel, stride, dilation)[1:]


def mediapipe_transpose_conv_axis(same: bool, size: int, kernel: int, stride: int) -> ConvAxis:
    """mediapipe's Convolution2DTransposeBias along one axis of its input of `size` (its
    padding option 1 is SAME): the full transposed extent, less a SAME crop split as TFLite's."""
    total = max(0, kernel - (size - 1) % stride - 1) if same else 0
    return ConvAxis(stride * (size - 1) + kernel - total, total // 2, total - total // 2)
