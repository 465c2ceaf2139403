"""Dispatch of int8 (full-integer) nodes to their kernels.

A node is int8 when one of its activations is an 8-bit quantized tensor; the module builder
asks `int8_emitter(node)` first and falls back to the float kernels otherwise.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu import kernels_data as data
from tflc.backends.cpu import kernels_int8_common as q
from tflc.backends.cpu import kernels_int8_elementwise as ew
from tflc.backends.cpu import kernels_int8_gemm as gemm
from tflc.backends.cpu import kernels_int8_matmul as matmul
from tflc.backends.cpu import kernels_int8_reduce as reduce
from tflc.backends.cpu import kernels_int8_resize as resize
from tflc.backends.cpu import kernels_int8_window as window
from tflc.backends.cpu.graph import Node, Tensor
from tflc.errors import TflcError


def _same_quant(ts: list[Tensor]) -> bool:
    return len({(float(np.float32(t.scale[0])), int(t.zero_point[0])) for t in ts}) == 1


def _emit_concatenation(k, t, node: Node) -> None:
    if not _same_quant([*node.inputs, node.outputs[0]]):
        raise TflcError("int8 concatenation with rescaling is not supported", node.where)
    data.emit_concatenation(k, t, node)


def _emit_pad(k, t, node: Node) -> None:
    """Pads with the output zero point (what 0.0 quantizes to)."""
    zp = q.scale_zp(node.outputs[0])[1]
    value = Tensor(-1, (1,), "i32", value=np.array([zp], np.int32))
    padded = Node(
        "padv2", [node.inputs[0], node.inputs[1], value], node.outputs, node.attrs, node.where
    )
    data.emit_table_gather(k, t, padded)


INT8_EMITTERS = {
    "fully_connected": gemm.emit_fully_connected,
    "conv_2d": gemm.emit_conv,
    "depthwise_conv_2d": window.emit_depthwise,
    "average_pool_2d": window.emit_pool,
    "max_pool_2d": window.emit_pool,
    "mean": reduce.emit_mean,
    "sum": reduce.emit_sum,
    "reduce_max": reduce.emit_reduce_extreme,
    "reduce_min": reduce.emit_reduce_extreme,
    "softmax": reduce.emit_softmax,
    "log_softmax": reduce.emit_log_softmax,
    "div": ew.emit_div,
    "l2_normalization": reduce.emit_l2_normalization,
    "concatenation": _emit_concatenation,
    "pack": _emit_concatenation,
    "pad": _emit_pad,
    "padv2": data.emit_table_gather,
    "batch_matmul": matmul.emit_batch_matmul,
    "transpose_conv": matmul.emit_transpose_conv,
    "resize_bilinear": resize.emit_resize_bilinear,
}
INT8_EMITTERS |= {op: ew.emit_binary for op in ew.BINARY_OPS}
INT8_EMITTERS |= {op: ew.emit_table_unary for op in ew.TABLE_UNARY_OPS}
INT8_OPS = set(INT8_EMITTERS)


def _check_types(node: Node) -> None:
    """int8 kernels read and write signed 8-bit activations; per-value tables also take uint8
    and float ends (quantize / dequantize). Anything else is refused, never miscomputed."""
    table = node.op in ew.TABLE_UNARY_OPS
    ok = {"i8", "ui8", "f32"} if table else {"i8"}
    for t in [*node.inputs, *node.outputs]:
        if t is not None and not t.is_const and t.dtype not in ok:
            raise TflcError(
                f"the cpu target has no int8 kernel for '{node.op}' with {t.dtype} tensors",
                node.where,
            )


def int8_emitter(node: Node):
    """The int8 kernel of `node`, or None when it is not an int8 node."""
    if node.op == "quantize" and node.inputs[0].dtype == "f32" and q.is_int8(node.outputs[0]):
        return ew.emit_quantize_float
    if not q.is_quantized_node(node):
        return None
    emitter = INT8_EMITTERS.get(node.op)
    if emitter is not None:
        _check_types(node)
    return emitter
