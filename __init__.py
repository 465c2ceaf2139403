"""tflc: an MLIR-based ahead-of-time compiler for TensorFlow and TensorFlow Lite models."""

from __future__ import annotations

from tflc.errors import TflcError

__all__ = ["TflcError"]
