"""Empirical bias correction of int8 models: the mean error each int8 conv_2d / depthwise_conv_2d
/ fully_connected / transpose_conv output carries against the float model, measured on the
calibration samples, is folded back into that op's int32 bias.

Why: int8 errors are not zero-mean. Rounding a channel's weights shifts its output by
dW . E[x]; a clipped activation range (the mse rule clips tails) removes mass from one side of
a distribution; both reach the next layers as a per-channel offset that no rounding averages
away. A bias absorbs such an offset exactly (Nagel et al., "Data-Free Quantization Through
Weight Equalization and Bias Correction", 2019, empirical variant).

How: the float model (captured by `FloatReference` before `tfl-quantize-int8` rewrites it) and
the int8 model run the same samples, each with every corrected op's output as an extra output.
Per output channel, the difference of the two means (where the int8 grid can represent the float
value) divided by the share of positions a bias change moves (those in the fused activation's
linear part) is added to the bias, rounded to the bias's int32 step. The
correction of one op changes what the ops after it see, so ops are corrected in model order,
each measured on the model corrected so far (correcting all at once from one measurement counts
an upstream shift twice and diverges on deep models): all samples run in lockstep through both
models, and the int8 op is rerun with its new bias before the run goes on.

A mean taken per layer is not the model's error: where the outputs are a steep nonlinear
function of the corrected layers (a sigmoid's far tail, say), a smaller mean error can still
mean larger output errors. The corrected model's outputs are therefore checked against the
uncorrected model's on the same samples, and the correction is undone if it made them worse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from mlir import ir
from mlir.dialects import quant
from tflc.dialects.tfl import constant_value
from tflc.passes.quantize.calibrate import RANGE_ATTR, instrumented_flatbuffer, progress_bar
from tflc.passes.quantize.common import float_weights, qconst
from tflc.passes.quantize_int8 import WEIGHTED, params_of
from tflc.passes.rewrite.tfl import activation, defining_op, func_blocks, is_none

# Samples used (the first ones): a mean per channel over this many inputs' positions is
# precise, and every sample's live tensors are held at once.
MAX_SAMPLES = 64
# Correction steps for an op with a fused activation (each moves the mean part of the way).
ACTIVATION_STEPS = 3
# A shift below this fraction of the output's int8 step moves few rounded outputs: done.
SETTLED = 1 / 16
# The linear part of each fused activation (TANH and SIGN_BIT are not linear anywhere useful).
LINEAR_PART = {
    "NONE": (-np.inf, np.inf),
    "RELU": (0.0, np.inf),
    "RELU6": (0.0, 6.0),
    "RELU_N1_TO_1": (-1.0, 1.0),
}


@dataclass
class FloatReference:
    """The float model's weighted ops and a flatbuffer of it that outputs their results."""

    ops: list[ir.Operation]
    flatbuffer: bytes


def float_reference(module: ir.Module) -> FloatReference | None:
    """Captures the ops bias correction can correct, before quantization: weighted ops with
    constant float weights and bias, a calibrated range and a linear fused activation."""
    block = next(func_blocks(module.operation))
    ops = []
    for op in block.operations:
        op = op.operation
        if op.name not in WEIGHTED or RANGE_ATTR not in op.attributes:
            continue
        _, wi, bi, _ = WEIGHTED[op.name]
        if (activation(op) or "NONE") not in LINEAR_PART or len(op.operands) <= bi:
            continue
        if is_none(op.operands[bi]) or float_weights(op.operands[bi]) is None:
            continue
        if float_weights(op.operands[wi]) is None:
            continue
        ops.append(op)
    if not ops:
        return None
    return FloatReference(ops, instrumented_flatbuffer(module, block, [op.result for op in ops]))


def correct_biases(
    module: ir.Module,
    reference: FloatReference,
    samples: Sequence[Sequence[np.ndarray]],
    progress: bool = False,
) -> None:
    """Folds the mean int8 error of each of `reference.ops` (now quantized) into its bias, in
    model order, each measured with the biases before it corrected."""
    from tflc.runtime.interpreter import Interpreter

    block = next(func_blocks(module.operation))
    ops = [op for op in reference.ops if _int32_bias(op) is not None and params_of(op.result)]
    if not ops:
        return
    samples = samples[:MAX_SAMPLES]
    float_model = Interpreter(model_content=reference.flatbuffer)
    all_float_tensors = _extra_outputs(float_model, len(reference.ops))
    float_tensors = [all_float_tensors[reference.ops.index(op)] for op in ops]
    int8_model = Interpreter(
        model_content=instrumented_flatbuffer(module, block, [op.result for op in ops])
    )
    int8_tensors = _extra_outputs(int8_model, len(ops))
    model_outputs = int8_model.get_output_details()[: -len(ops)]
    outputs = len(model_outputs)
    uncorrected = [int8_model(*as_inputs_of(int8_model, s))[:outputs] for s in samples]
    original_biases = [op.operands[WEIGHTED[op.name][2]] for op in ops]
    # Every sample runs in lockstep through both models, one corrected op at a time. The
    # added outputs are freed once read (not those that are also model outputs).
    float_runs = [
        float_model.stepped_run(*s, transient=_added_only(float_model, all_float_tensors))
        for s in samples
    ]
    int8_runs = [
        int8_model.stepped_run(
            *as_inputs_of(int8_model, s), transient=_added_only(int8_model, int8_tensors)
        )
        for s in samples
    ]
    with module.context, ir.Location.unknown():
        for k, op in enumerate(ops):
            if progress:
                progress_bar("correcting biases", k, len(ops))
            floats = [run.run_until(float_tensors[k]) for run in float_runs]
            int8s = [run.run_until(int8_tensors[k]) for run in int8_runs]
            # Through a fused activation the mean is not linear in the bias: more steps.
            for _ in range(1 if (activation(op) or "NONE") == "NONE" else ACTIVATION_STEPS):
                shift = _mean_error(op, floats, int8s)
                if np.max(np.abs(shift)) < SETTLED * params_of(op.result)[0]:
                    break
                new_bias = {WEIGHTED[op.name][2]: _add_to_bias(op, shift)}
                int8s = [run.rerun(int8_tensors[k], new_bias) for run in int8_runs]
    references = [run.outputs()[:outputs] for run in float_runs]
    corrected = [run.outputs()[:outputs] for run in int8_runs]
    if _output_error(references, corrected, model_outputs) > _output_error(
        references, uncorrected, model_outputs
    ):
        for op, bias in zip(ops, original_biases, strict=True):
            op.operands[WEIGHTED[op.name][2]] = bias
    if progress:
        progress_bar("correcting biases", len(ops), len(ops))


def as_inputs_of(model, sample: Sequence[np.ndarray]) -> list[np.ndarray]:
    """`sample` (float inputs) quantized for the int8 model's int8 / uint8 inputs (io="int8")."""
    inputs = []
    for detail, x in zip(model.get_input_details(), sample, strict=True):
        dtype = np.dtype(detail["dtype"])
        if dtype in (np.int8, np.uint8) and np.asarray(x).dtype.kind == "f":
            scale, zero_point = detail["quantization"]
            info = np.iinfo(dtype)
            x = np.clip(np.round(np.asarray(x) / scale) + zero_point, info.min, info.max)
            x = x.astype(dtype)
        inputs.append(x)
    return inputs


def _output_error(references: list, outputs: list, details: list[dict]) -> float:
    """The int8 model's error on the samples: its noise-to-signal ratio against the float
    model, in dB, averaged over the model's outputs (each output counts alike, whatever its
    scale). `details` are the int8 model's output details (its outputs come first)."""
    ratios = []
    for j, detail in enumerate(details):
        scale, zero_point = detail["quantization"]
        signal = noise = 0.0
        for reference, output in zip(references, outputs, strict=True):
            f = reference[j].astype(np.float64)
            q = output[j].astype(np.float64)
            q = (q - zero_point) * scale if scale else q
            signal += float(np.sum(f * f))
            noise += float(np.sum((f - q) ** 2))
        ratios.append(10 * np.log10(max(noise, 1e-30) / max(signal, 1e-30)))
    return float(np.mean(ratios))


def _extra_outputs(model, count: int) -> list[int]:
    """The tensor indexes of the last `count` outputs (those `instrumented_flatbuffer` added)."""
    return [d["index"] for d in model.get_output_details()[-count:]]


def _added_only(model, added: list[int]) -> list[int]:
    """`added` (`_extra_outputs`) less the tensors that are also the model's own outputs."""
    own = {d["index"] for d in model.get_output_details()[: -len(added)]}
    return [ti for ti in added if ti not in own]


def _mean_error(op: ir.Operation, floats: list, int8s: list) -> np.ndarray:
    """Per output channel, the bias change that brings the int8 output's mean to the float
    output's: the mean of float - int8 over the positions the int8 grid can represent (an
    activation's zeros included; values the range clips are lost whatever the bias), divided
    by the share of them a bias change moves, those in the fused activation's linear part in
    either model. (Selecting by the int8 value alone would select by the error measured.)"""
    scale, zero_point = params_of(op.result)
    grid_lo, grid_hi = (-128 - zero_point) * scale, (127 - zero_point) * scale
    act_lo, act_hi = LINEAR_PART[activation(op) or "NONE"]
    lo, hi = max(act_lo, grid_lo), min(act_hi, grid_hi)
    channels = floats[0].shape[-1]
    total = np.zeros(channels)
    count = np.zeros(channels)
    for f, q in zip(floats, int8s, strict=True):
        q = (q.astype(np.float32) - np.float32(zero_point)) * np.float32(scale)
        representable = (f >= grid_lo - scale / 2) & (f <= grid_hi + scale / 2)
        moved = representable & (((q > lo) & (q < hi)) | ((f > lo) & (f < hi)))
        error = np.where(representable, f - q, np.float32(0)).reshape(-1, channels)
        total += error.sum(axis=0, dtype=np.float64)
        count += moved.reshape(-1, channels).sum(axis=0)
    return np.divide(total, count, out=np.zeros(channels), where=count > 0)


def _int32_bias(op: ir.Operation) -> ir.Operation | None:
    bias = defining_op(op.operands[WEIGHTED[op.name][2]])
    if bias is None or bias.name != "tfl.pseudo_qconst":
        return None
    elem = ir.ShapedType(bias.result.type).element_type
    if quant.QuantizedType(elem).storage_type_integral_width != 32:
        return None
    return bias


def _bias_scales(elem: ir.Type) -> np.ndarray:
    if isinstance(elem, quant.UniformQuantizedPerAxisType):
        return np.array(quant.UniformQuantizedPerAxisType(elem).scales, np.float64)
    return np.array([quant.UniformQuantizedType(elem).scale], np.float64)


def _add_to_bias(op: ir.Operation, shift: np.ndarray) -> np.ndarray:
    """bias += shift (float, per output channel), in the bias's own int32 steps; returns the
    new int32 values."""
    bias = _int32_bias(op)
    elem = ir.ShapedType(bias.result.type).element_type
    values = constant_value(bias).astype(np.int64)
    steps = np.round(shift / _bias_scales(elem))
    new = np.clip(values + steps, -(2**31) + 1, 2**31 - 1).astype(np.int32)
    op.operands[WEIGHTED[op.name][2]] = qconst(new, elem, op, loc=bias.location)
    return new
