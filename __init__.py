"""tflc: an MLIR-based ahead-of-time compiler for TensorFlow and TensorFlow Lite models."""

from __future__ import annotations

from tflc.api import load, parse, save, to_flatbuffer, to_text
from tflc.errors import TflcError

__all__ = ["TflcError", "load", "parse", "save", "to_flatbuffer", "to_text"]
