"""Shape functions of the ops whose output shape is an operand's value: random number
generators and the real FFT."""

from __future__ import annotations

from tflc.runtime.shape_inference import OpView, Shape, ShapeError, const_ints, shape_function


@shape_function("RANDOM_UNIFORM", "RANDOM_STANDARD_NORMAL")
def _random(v: OpView) -> list[Shape] | None:
    dims = const_ints(v, 0)
    if dims is None:
        return None
    if min(dims, default=0) < 0:
        raise ShapeError(f"output shape {dims} has a negative dimension")
    return [tuple(dims)]


@shape_function("MULTINOMIAL")
def _multinomial(v: OpView) -> list[Shape] | None:
    logits, count = v.shape(0), const_ints(v, 1)
    if len(logits) != 2:
        raise ShapeError(f"logits have rank {len(logits)}, expected 2 (batch, classes)")
    if count is None:
        return None
    if len(count) != 1 or count[0] < 0:
        raise ShapeError(f"num_samples {count} is not one count")
    return [(logits[0], count[0])]


@shape_function("RFFT2D")
def _rfft2d(v: OpView) -> list[Shape] | None:
    x, length = v.shape(0), const_ints(v, 1)
    if len(x) < 2:
        raise ShapeError(f"input has rank {len(x)}, needs 2 or more")
    if length is None:
        return None
    if len(length) != 2 or min(length) < 1:
        raise ShapeError(f"fft_length {length} is not two positive lengths")
    return [(*x[:-2], length[0], length[1] // 2 + 1)]
