"""Legalizers for the complex-number ops: RFFT2D and the complex64 readers Real, Imag and
ComplexAbs."""

from __future__ import annotations

from tflc.passes.tf_to_tfl.common import TfOp, Unsupported, element_of, emit, i32, legalizes


@legalizes("RFFT2D")
def _rfft2d(op: TfOp):
    if str(element_of(op.operands[0].type)) != "f32":
        raise Unsupported("an input other than float32 (TFLite's RFFT2D takes float32)")
    fft_length = op.require_const(1, "fft_length")
    lengths = [int(n) for n in fft_length.reshape(-1)]
    if any(n < 1 or n & (n - 1) for n in lengths):
        # LiteRT's kernel refuses the model when it is prepared; refused here, by name.
        raise Unsupported(f"fft_length {lengths}: TFLite's RFFT2D takes powers of two")
    return [emit("rfft2d", [op.operands[0], i32(fft_length)], op.result_type)]


_COMPLEX_READERS = {"Real": "real", "Imag": "imag", "ComplexAbs": "complex_abs"}


@legalizes(*_COMPLEX_READERS)
def _complex_reader(op: TfOp):
    if str(element_of(op.operands[0].type)) != "complex<f32>":
        raise Unsupported("an input other than complex64")
    return [emit(_COMPLEX_READERS[op.type], op.operands, op.result_type)]
