"""FULLY_CONNECTED and BATCH_MATMUL: float, quantized and hybrid (dynamic-range) kernels."""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernel_threads import KernelThreads
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.common import (
    flat_bias,
    float_activation,
    int_matmul,
    quantize_batches_asymmetric,
    quantize_batches_symmetric,
    threaded_matmul,
)
from tflc.runtime.kernels.conv import conv_multipliers, filter_values, requantize
from tflc.runtime.kernels.litert_gemm import litert_matmul
from tflc.runtime.kernels.node import Node, channel_scales, scale_zp
from tflc.runtime.kernels.quant_math import (
    QUANT_RANGES,
    activation_bounds,
    activation_range_quantized,
    multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_64,
    quantize_multiplier,
    tflite_round,
)
from tflc.runtime.kernels.quantize import densify_tensor


def _fc_output_shape(node: Node, x: np.ndarray, units: int) -> tuple[int, ...]:
    if node.options.get("keep_num_dims", False):
        return x.shape[:-1] + (units,)
    return (x.size // max(node.input(1).shape[-1], 1), units)


def _check_fc(node: Node) -> str | None:
    fmt = node.options.get("weights_format", "DEFAULT")
    if fmt != "DEFAULT":
        return f"weights format {fmt} is not supported"
    w = node.input(1)
    if w is not None and w.sparsity is not None and node.const(1) is None:
        return "sparse weights must be constant"
    return None


def _check_batch_matmul(node: Node) -> str | None:
    a, b = node.input(0), node.input(1)
    if a is not None and b is not None and a.type == "FLOAT32" and b.type != "FLOAT32":
        return "hybrid (float x int8) BATCH_MATMUL is not supported"
    return None


@kernel("FULLY_CONNECTED", check=_check_fc)
def fully_connected(node: Node, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None):
    b = flat_bias(b)
    if node.input(1).sparsity is not None and node.const(1) is not None:
        w = _densified_weights(node)
    w = filter_values(node, w)
    if node.options.get("weights_format", "DEFAULT") != "DEFAULT":
        raise node.error(f"weights format {node.options['weights_format']} is not supported")
    units, depth = w.shape[0], w.shape[-1]
    if x.size % depth:
        raise node.error(f"input of {x.size} elements does not split into rows of {depth}")
    rows = x.reshape(-1, depth)
    shape = _fc_output_shape(node, x, units)
    if x.dtype == np.float32 and w.dtype != np.float32:
        return _fc_hybrid(node, rows, w, b).reshape(shape)
    if x.dtype == np.float32:
        threads = node.interpreter.kernel_threads
        if node.interpreter.litert_float_order:
            out = litert_matmul(rows, w, threads)
        else:
            out = threaded_matmul(threads, rows, w.T)
        if b is not None:
            out += b
        act = node.options.get("fused_activation_function")
        return float_activation(out, act, node).reshape(shape)
    return _fc_quantized(node, rows, w, b).reshape(shape)


def _densified_weights(node: Node) -> np.ndarray:
    if "dense_w" not in node.cache:
        node.cache["dense_w"] = densify_tensor(node, node.input(1))
    return node.cache["dense_w"]


def _fc_quantized(node: Node, rows: np.ndarray, w: np.ndarray, b: np.ndarray | None):
    in_t, w_t = node.input(0), node.input(1)
    _, in_zp = scale_zp(in_t)
    _, out_zp = scale_zp(node.output())
    w_zp = scale_zp(w_t)[1] if w_t.type in ("UINT8", "INT16") else 0
    wq = node.cache.get("wq")
    if wq is None:
        wq = w.astype(np.int64) - w_zp
        node.cache["wq"] = wq
        node.cache["wq_max"] = int(np.abs(wq).max()) if wq.size else 0
    lo, hi = QUANT_RANGES[in_t.type]
    x_max = max(abs(lo - in_zp), abs(hi - in_zp))
    acc = int_matmul(
        rows.astype(np.int64) - in_zp,
        wq.T,
        x_max,
        node.cache["wq_max"],
        node.interpreter.kernel_threads,
    )
    if in_t.type == "INT16":
        return _requantize_double(node, acc if b is None else acc + b.astype(np.int64), out_zp)
    mult, shift = conv_multipliers(node)
    # LiteRT runs int8/uint8 FC through ruy, whose rounding breaks ties upward.
    return requantize(node, acc, mult, shift, out_zp, "neon", bias=b)


def _requantize_double(node: Node, acc: np.ndarray, out_zp: int) -> np.ndarray:
    """The int16 FC reference requantizes in double precision."""
    in_s, _ = scale_zp(node.input(0))
    out_s, _ = scale_zp(node.output())
    w_scales, _, _ = channel_scales(node.input(1))
    effective = np.float64(in_s) * w_scales / np.float64(out_s)
    scaled = tflite_round(acc.astype(np.float64) * effective).astype(np.int64)
    t = node.output()
    lo, hi = activation_range_quantized(
        node.options.get("fused_activation_function", "NONE"), *scale_zp(t), t.type
    )
    return np.clip(scaled + out_zp, lo, hi).astype(node.out_dtype())


def _fc_hybrid(node: Node, rows: np.ndarray, w: np.ndarray, b: np.ndarray | None):
    """EvalHybridDense: rows quantized to int8 one by one, int32 dot products, float scale."""
    if node.options.get("asymmetric_quantize_inputs", False):
        q, scaling, offset = quantize_batches_asymmetric(rows)
        q = q - offset[:, None]
    else:
        q, scaling = quantize_batches_symmetric(rows)
    w_scales = channel_scales(node.input(1))[0].astype(np.float32)
    acc = int_matmul(q, w.astype(np.int64).T, 255, 128, node.interpreter.kernel_threads)
    if w_scales.size > 1:
        factor = (w_scales[None, :] * scaling[:, None]).astype(np.float32)
    else:
        factor = (scaling * w_scales[0]).astype(np.float32)[:, None]
    out = acc.astype(np.float32) * factor
    if b is not None:
        out = (out + b).astype(np.float32)
    lo, hi = activation_bounds(node.options.get("fused_activation_function"))
    return np.clip(out, lo, hi).astype(np.float32)


def _litert_batch_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Each batch's product in LiteRT's Eigen order: its GEMM takes B transposed as the left
    operand, as FULLY_CONNECTED takes its weights. Exact for output widths that are multiples
    of 8; the last < 8 columns are grouped otherwise (not reproduced yet, a few ulp). BLAS's
    order would depend on the host's kernel."""
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:]).reshape(-1, *a.shape[-2:])
    bt = np.swapaxes(np.broadcast_to(b, batch + b.shape[-2:]), -1, -2).reshape(
        -1, *b.shape[-1:-3:-1]
    )
    out = [litert_matmul(a[i], bt[i]) for i in range(a.shape[0])]
    return np.stack(out).reshape(batch + (a.shape[1], bt.shape[1]))


def _split_batches(threads: KernelThreads, a: np.ndarray, b: np.ndarray, product) -> np.ndarray:
    """product(a, b) of stacks of matrices, ranges of the first batch axis longer than 1 on
    `threads`: each matrix's product is the call numpy (or LiteRT's order) makes for it alone."""
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    axis = next((i for i, d in enumerate(batch) if d > 1), None)
    if axis is None:
        return product(a, b)

    def part(x: np.ndarray, start: int, stop: int) -> np.ndarray:
        i = x.ndim - 2 - len(batch) + axis  # x's axis under the batch axis (broadcasting)
        if i < 0 or x.shape[i] == 1:
            return x
        return x[(slice(None),) * i + (slice(start, stop),)]

    macs = int(np.prod(batch)) * a.shape[-2] * a.shape[-1] * b.shape[-1]
    ranges = threads.ranges(batch[axis], macs)
    results: dict[int, np.ndarray] = {}

    def batch_range(start: int, stop: int) -> None:
        results[start] = product(part(a, start, stop), part(b, start, stop))

    threads.run(ranges, batch_range)
    if len(ranges) == 1:
        return results[0]
    return np.concatenate([results[start] for start, _ in ranges], axis=axis)


@kernel("BATCH_MATMUL", check=_check_batch_matmul)
def batch_matmul(node: Node, a: np.ndarray, b: np.ndarray):
    if node.options.get("adj_x", False):
        a = np.swapaxes(a, -1, -2)
    if node.options.get("adj_y", False):
        b = np.swapaxes(b, -1, -2)
    threads = node.interpreter.kernel_threads
    if a.dtype == np.float32 and b.dtype == np.float32:
        if node.interpreter.litert_float_order:
            return _split_batches(threads, a, b, _litert_batch_matmul)
        return _split_batches(threads, a, b, np.matmul)
    if a.dtype == np.float32:
        raise node.error("hybrid BATCH_MATMUL (float x int8) is not supported")
    a_s, a_zp = scale_zp(node.input(0))
    b_s, b_zp = scale_zp(node.input(1))
    out_t = node.output()
    ai = a.astype(np.int64) - a_zp
    bi = b.astype(np.int64) - b_zp
    acc = _split_batches(threads, ai, bi, np.matmul)
    if out_t.type == "INT32":
        return acc.astype(np.int32)
    out_s, out_zp = scale_zp(out_t)
    m, s = quantize_multiplier(np.float64(a_s) * np.float64(b_s) / np.float64(out_s))
    if a.dtype == np.int16:
        scaled = multiply_by_quantized_multiplier_64(acc, m, s)
    else:
        scaled = multiply_by_quantized_multiplier(acc, m, s)
    lo, hi = activation_range_quantized("NONE", out_s, out_zp, out_t.type)
    return np.clip(scaled + out_zp, lo, hi).astype(node.out_dtype())
