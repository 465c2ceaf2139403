"""Which summation order the interpreter's float kernels use (`float_order=`)."""

from __future__ import annotations

from tflc.errors import TflcError
from tflc.runtime.tflite_model import Model

FLOAT_ORDERS = ("auto", "litert", "blas")


def has_dynamic_range_layers(model: Model) -> bool:
    """Whether an op computes float outputs from int8 constant weights (a hybrid kernel)."""
    for sg in model.subgraphs:
        for op in sg.operators:
            if model.operator_codes[op.opcode_index].name == "DEQUANTIZE":
                continue
            outs = [sg.tensors[i].type for i in op.outputs if i >= 0]
            if "FLOAT32" not in outs:
                continue
            for i in op.inputs:
                t = sg.tensors[i] if i >= 0 else None
                if t is not None and t.type == "INT8" and len(model.buffer_data(t)):
                    return True
    return False


def check_float_order(float_order: str) -> None:
    if float_order not in FLOAT_ORDERS:
        raise TflcError(
            f"float_order must be one of {', '.join(FLOAT_ORDERS)}, got '{float_order}'",
            "Interpreter",
        )


def uses_litert_order(float_order: str, model: Model) -> bool:
    """Whether float kernels sum in the order of LiteRT's builtin kernels (conv,
    fully-connected and transpose-conv products as its Eigen GEMM/GEMV, depthwise, mean;
    kernels/litert_gemm.py). Deep float models then match LiteRT, and so do dynamic-range
    models, which re-quantize float activations at every hybrid layer (a last-bit difference
    flips an int8 rounding). BLAS order is faster on large layers, a few ulp off each: "auto"
    keeps LiteRT's order for the models whose quantization amplifies those ulps."""
    if float_order == "auto":
        return has_dynamic_range_layers(model)
    return float_order == "litert"
