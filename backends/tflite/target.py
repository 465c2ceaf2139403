"""The tflite target: the module as a .tflite flatbuffer, run by tflc's interpreter."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tflc.backends.fallback_option import without_fallback
from tflc.errors import TflcError, saving_errors


class CompiledFlatbuffer:
    def __init__(self, flatbuffer: bytes):
        from tflc.runtime.interpreter import Interpreter

        self.flatbuffer = flatbuffer
        self.interpreter = Interpreter(model_content=flatbuffer)
        self.interpreter.allocate_tensors()
        self.inputs = self.interpreter.get_input_details()
        self.outputs = self.interpreter.get_output_details()
        self.report: dict[str, Any] = {"flatbuffer_bytes": len(flatbuffer)}

    def __call__(self, *arrays):
        return self.interpreter(*arrays)

    @saving_errors
    def save(self, directory) -> None:
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        (out / "model.tflite").write_bytes(self.flatbuffer)


class TfliteTarget:
    name = "tflite"

    def emit(self, module, options: dict[str, Any]) -> CompiledFlatbuffer:
        from tflc.backends.tflite.exporter import export_flatbuffer

        options = without_fallback(options, self.name, None)  # an interpreter runs every op
        unknown = set(options) - {"source"}
        if unknown:
            raise TflcError(f"unknown tflite option(s): {', '.join(sorted(unknown))}", "--option")
        return CompiledFlatbuffer(export_flatbuffer(module, str(options.get("source", "<module>"))))


TARGET = TfliteTarget()
