"""tflc: an MLIR-based ahead-of-time compiler for TensorFlow and TensorFlow Lite models."""

from __future__ import annotations

from tflc.api import load, parse, save, to_flatbuffer, to_text
from tflc.convert import convert
from tflc.errors import TflcError
from tflc.quantize import quantize
from tflc.runtime.cpu_loader import load_compiled as load_compiled
from tflc.runtime.interpreter import Interpreter as Interpreter
from tflc.runtime.kernels import register_kernel as register_kernel

__all__ = ["TflcError", "load", "parse", "save", "to_flatbuffer", "to_text"]
