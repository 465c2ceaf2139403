"""tf-lower-tensor-list: placeholder, filled in below."""

from __future__ import annotations

from mlir import ir
from tflc.passes.registry import Pass


def lower_tensor_lists(module: ir.Operation) -> None:
    return None


PASS = Pass("tf-lower-tensor-list", "TensorList ops -> plain tensors", lower_tensor_lists)
