"""tflc: an MLIR-based ahead-of-time compiler for TensorFlow and TensorFlow Lite models.

    import tflc
    module = tflc.load("model.tflite")                 # tfl dialect module
    module = tflc.convert(keras_model)                 # from TensorFlow
    module = tflc.quantize(module, mode="int8", calibration=data)
    compiled = tflc.compile(module, target="cpu")      # or "gpu", "mcu"
    outputs = compiled(*inputs)
    outputs = tflc.Interpreter(model_path="model.tflite")(*inputs)

Names load on first use, so the runtime (`tflc.Interpreter`, `tflc.load_compiled`) works on a
machine without MLIR, LLVM or TensorFlow.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys

from tflc.errors import TflcError


def _load_mlir_with_its_own_symbols() -> None:
    """Loads the MLIR bindings' LLVM so that it never binds to TensorFlow's copy.

    TensorFlow bundles its own LLVM and MLIR; when it is loaded first, the bindings' libraries
    resolve symbols into it and crash. RTLD_DEEPBIND makes them prefer their own definitions,
    whichever of the two is imported first.
    """
    try:
        if "mlir.ir" in sys.modules or importlib.util.find_spec("mlir") is None:
            return
    except (ImportError, ValueError):
        return
    flags = sys.getdlopenflags()
    sys.setdlopenflags(flags | getattr(os, "RTLD_DEEPBIND", 0))
    try:
        import mlir.ir  # noqa: F401
        import mlir.passmanager  # noqa: F401
        import mlir.rewrite  # noqa: F401
        from mlir.dialects import func, llvm, quant  # noqa: F401
    except ImportError:
        pass  # no compiler here: the runtime still works, the compiler says what is missing
    finally:
        sys.setdlopenflags(flags)


_load_mlir_with_its_own_symbols()

# public name -> (module, attribute)
_EXPORTS = {
    "load": ("tflc.api", "load"),
    "parse": ("tflc.api", "parse"),
    "save": ("tflc.api", "save"),
    "to_flatbuffer": ("tflc.api", "to_flatbuffer"),
    "to_text": ("tflc.api", "to_text"),
    "convert": ("tflc.converter", "convert"),
    "quantize": ("tflc.quantizer", "quantize"),
    "quantization_report": ("tflc.quantizer", "quantization_report"),
    "compile": ("tflc.compiler", "compile"),
    "load_compiled": ("tflc.runtime.cpu_loader", "load_compiled"),
    "Interpreter": ("tflc.runtime.interpreter", "Interpreter"),
    "register_kernel": ("tflc.runtime.kernels", "register_kernel"),
}

__all__ = ["TflcError", "__version__", "delegates", *_EXPORTS]


def __getattr__(name: str):
    if name == "__version__":
        from tflc.version import tflc_version

        return tflc_version()
    if name == "delegates":  # a module of constructors: tflc.delegates.cpu()
        return importlib.import_module("tflc.delegates")
    if name not in _EXPORTS:
        raise AttributeError(f"module 'tflc' has no attribute '{name}'")
    module, attribute = _EXPORTS[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | {"__version__", "delegates"})
