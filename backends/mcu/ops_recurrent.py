"""Lowerings of the float recurrent builtins (kernels/recurrent_f32.c): LSTM,
UNIDIRECTIONAL_SEQUENCE_LSTM, BIDIRECTIONAL_SEQUENCE_LSTM, RNN, UNIDIRECTIONAL_SEQUENCE_RNN,
BIDIRECTIONAL_SEQUENCE_RNN and SVDF, step by step as runtime/kernels/sequence.py computes them.

Their state operands are `tfl.variable`s, which live in the model's static state buffer
(memory_planner.py), outside the arena: each kernel updates its state in place, so the next run
continues the sequence as LiteRT's next invoke does, and `<name>_reset()` zeroes it. Operands
the interpreter refuses are refused here with its reasons; hybrid forms (int8 weights, float
activations) are refused by lowering.py, as for every op.
"""

from __future__ import annotations

from tflc.backends.mcu.lowering import Lowering
from tflc.backends.mcu.ops_blocks import scratch_tensor
from tflc.backends.mcu.ops_common import float_act, float_literal, struct
from tflc.backends.mcu.program import Tensor
from tflc.runtime.kernels.sequence import (  # the LSTM's operand slots, defined once
    _BIAS,
    _IN_W,
    _LAYER_NORM,
    _PEEP,
    _PROJ_B,
    _PROJ_W,
    _REC_W,
    REQUIRED_LSTM_INPUTS,
)

# The kernel's activation codes (kernels/recurrent_f32.h)
_ACT_CLAMP, _ACT_TANH = 0, 1
# A bidirectional LSTM's backward weights sit 17 slots after the forward ones.
_BACKWARD_SHIFT = 17


def _option(lw: Lowering, name: str, default):
    return lw.attr(name) if name in lw.op.attributes else default


def _activation(lw: Lowering, default: str) -> list:
    """[code, lo, hi] of the op's fused activation (TANH, or a clamp)."""
    name = _option(lw, "fused_activation_function", default)
    if name == "TANH":
        return [_ACT_TANH, "0.0f", "0.0f"]
    lo, hi = float_act(name)
    return [_ACT_CLAMP, lo, hi]


def _float(lw: Lowering, tensors: list[Tensor | None]) -> None:
    for t in tensors:
        if t is not None and t.dtype != "float32":
            kind = f"quantized {t.dtype}" if t.scale is not None else t.dtype
            raise lw.fail(f"{lw.op.name} with {kind} operands has no MCU kernel (float only)")


def _state(lw: Lowering, index: int, shape: tuple[int, ...]) -> Tensor:
    """The state operand at `index`: a `tfl.variable` is updated in place; another value (a
    graph input, a computed tensor) is read through a scratch copy, as the interpreter keeps
    only variables."""
    t = lw.operand(index)
    if t is None:
        raise lw.fail(f"operand {index} (a state tensor) is absent; LiteRT's kernel needs it")
    if t.size != int(_product(shape)):
        raise lw.fail(f"state operand {index} of shape {list(t.shape)} is not {list(shape)}")
    if t.variable:
        return t
    copy = scratch_tensor(lw, t.shape, t)
    lw.emit("data_movement", f"tflc_copy({t.nbytes}, {{t:{t.id}}}, {{t:{copy.id}}})", [t], [copy])
    return copy


def _product(shape) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _sequence_strides(x: Tensor, time_major: bool, features: int) -> tuple[int, int, int, int]:
    """(steps, batch, step stride, batch stride) of a [time, batch, f] / [batch, time, f] tensor
    with `features` elements per row (a merged output's row is wider than its direction)."""
    if len(x.shape) == 2:  # one step: [batch, features]
        return 1, x.shape[0], 0, features
    if time_major:
        return x.shape[0], x.shape[1], x.shape[1] * features, features
    return x.shape[1], x.shape[0], features, x.shape[1] * features


def _ref(t: Tensor | None, offset: int = 0) -> str:
    if t is None:
        return "0"
    return f"{{t:{t.id}}}" + (f" + {offset}" if offset else "")


def _lstm_direction(
    lw: Lowering,
    x: Tensor,
    y: Tensor,
    y_offset: int,
    shift: int,
    states: tuple[int, int],
    reverse: bool,
    time_major: bool,
    layer_norm: bool = True,
) -> tuple[Tensor, Tensor]:
    """One direction of an LSTM over x into y (its features at `y_offset` of each row); the
    bidirectional op has no layer-norm slots (sequence.py reads none)."""

    def slot(i: int) -> Tensor | None:
        return lw.operand(i + shift)

    weights = {
        "in_w": [slot(i) for i in _IN_W],
        "rec_w": [slot(i) for i in _REC_W],
        "peep": [slot(i) for i in _PEEP],
        "bias": [slot(i) for i in _BIAS],
        "proj_w": [slot(_PROJ_W)],
        "proj_b": [slot(_PROJ_B)],
        "norm": [lw.operand(i) for i in _LAYER_NORM] if layer_norm else [None] * 4,
    }
    for i in (*_IN_W[1:], *_REC_W[1:], *_BIAS[1:]):
        if slot(i) is None:
            raise lw.fail(
                f"input {i + shift} is required by the LSTM kernel, but the operator has none there"
            )
    present = [t for ts in weights.values() for t in ts if t is not None]
    _float(lw, present)
    for t in present:  # their addresses fill a `static const` table
        lw.const(t)
    cells, inputs = weights["in_w"][2].shape
    outputs = weights["rec_w"][2].shape[1]
    steps, batch, x_step, x_batch = _sequence_strides(x, time_major, inputs)
    row = y.shape[-1]
    _, _, y_step, y_batch = _sequence_strides(y, time_major, row)
    h = _state(lw, states[0], (batch, outputs))
    c = _state(lw, states[1], (batch, cells))
    act, lo, hi = _activation(lw, "TANH")
    fields = [batch, steps, inputs, cells, outputs, x_step, x_batch, y_step, y_batch]
    fields += [int(reverse), act, lo, hi]
    fields += [
        float_literal(_option(lw, "cell_clip", 0.0)),
        float_literal(_option(lw, "proj_clip", 0.0)),
    ]
    params = lw.param("params", "tflc_lstm_f32_params", struct(fields))
    pointers = [
        struct([_ref(t) for t in ts]) if len(ts) > 1 else _ref(ts[0]) for ts in weights.values()
    ]
    table = lw.param("weights", "tflc_lstm_f32_weights", struct(pointers))
    scratch = scratch_tensor(lw, (5 * cells,), x)
    lw.emit(
        "recurrent_f32",
        f"tflc_lstm_f32(&{{p:{params.name}}}, &{{p:{table.name}}}, {{t:{x.id}}}, {{t:{h.id}}}, "
        f"{{t:{c.id}}}, {_ref(y, y_offset)}, {{t:{scratch.id}}})",
        [x, *present, h, c],
        [y, h, c, scratch],
        [params, table],
    )
    return h, c


def _check_lstm(lw: Lowering) -> None:
    if _option(lw, "kernel_type", "FULL") == "BASIC":
        raise lw.fail("the BASIC LSTM kernel has no MCU kernel (LiteRT's FULL kernel only)")
    if _option(lw, "diagonal_recurrent_tensors", False):
        raise lw.fail("diagonal recurrent weights have no MCU kernel")
    for i in REQUIRED_LSTM_INPUTS:
        if lw.operand(i) is None:
            raise lw.fail(
                f"input {i} is required by the LSTM kernel, but the operator has none there"
            )


def _copy_extra_outputs(lw: Lowering, values: list[Tensor]) -> None:
    """Results past the first repeat a state (the one-step LSTM's (h, c, h), RNN's (h, h))."""
    for k in range(1, len(lw.op.results)):
        source, y = values[k], lw.result(k)
        lw.emit("data_movement", f"tflc_copy({y.nbytes}, {_ref(source)}, {_ref(y)})", [source], [y])


def _lstm(lw: Lowering) -> None:
    _check_lstm(lw)
    x, y = lw.operand(0), lw.result()
    _float(lw, [x, y])
    sequence = lw.op.name == "tfl.unidirectional_sequence_lstm"
    if sequence and len(x.shape) != 3 or not sequence and len(x.shape) != 2:
        raise lw.fail(f"input must be {3 if sequence else 2}-D, got {list(x.shape)}")
    time_major = bool(_option(lw, "time_major", False))
    h, c = _lstm_direction(lw, x, y, 0, 0, (18, 19), False, time_major)
    _copy_extra_outputs(lw, [y, c, h])


def _bidirectional_lstm(lw: Lowering) -> None:
    _check_lstm(lw)
    if lw.operand(39) is not None:
        raise lw.fail("an auxiliary input has no MCU kernel (the interpreter refuses it too)")
    x = lw.operand(0)
    _float(lw, [x])
    time_major = bool(_option(lw, "time_major", True))
    merged = bool(_option(lw, "merge_outputs", False))
    fw_y = lw.result(0)
    bw_y = fw_y if merged else lw.result(1)
    width = lw.operand(_REC_W[2]).shape[1]
    _lstm_direction(lw, x, fw_y, 0, 0, (35, 36), False, time_major, layer_norm=False)
    backward_at = width if merged else 0
    _lstm_direction(
        lw, x, bw_y, backward_at, _BACKWARD_SHIFT, (37, 38), True, time_major, layer_norm=False
    )


def _rnn_direction(
    lw: Lowering,
    x: Tensor,
    y: Tensor,
    y_offset: int,
    slots: tuple[int, int, int, int],
    reverse: bool,
    time_major: bool,
) -> Tensor:
    w, r, bias = (lw.operand(i) for i in slots[:3])
    if w is None or r is None or bias is None:
        raise lw.fail(f"inputs {list(slots[:3])} are required by the {lw.op.name} kernel")
    _float(lw, [x, y, w, r, bias])
    units, inputs = w.shape
    if x.shape[-1] != inputs or r.shape != (units, units) or bias.shape != (units,):
        raise lw.fail(
            f"weights of shapes {list(w.shape)}, {list(r.shape)}, {list(bias.shape)} do not fit input {list(x.shape)}"
        )
    steps, batch, x_step, x_batch = _sequence_strides(x, time_major, inputs)
    _, _, y_step, y_batch = _sequence_strides(y, time_major, y.shape[-1])
    h = _state(lw, slots[3], (batch, units))
    fields = [batch, steps, inputs, units, x_step, x_batch, y_step, y_batch, int(reverse)]
    fields += _activation(lw, "TANH")
    params = lw.param("params", "tflc_rnn_f32_params", struct(fields))
    scratch = scratch_tensor(lw, (units,), x)
    lw.emit(
        "recurrent_f32",
        f"tflc_rnn_f32(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{w.id}}}, {{t:{r.id}}}, "
        f"{{t:{bias.id}}}, {{t:{h.id}}}, {_ref(y, y_offset)}, {{t:{scratch.id}}})",
        [x, w, r, bias, h],
        [y, h, scratch],
        [params],
    )
    return h


def _rnn(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    sequence = lw.op.name == "tfl.unidirectional_sequence_rnn"
    if len(x.shape) != (3 if sequence else 2):
        raise lw.fail(f"input 0 must have rank {3 if sequence else 2}")
    h = _rnn_direction(lw, x, y, 0, (1, 2, 3, 4), False, bool(_option(lw, "time_major", False)))
    _copy_extra_outputs(lw, [y, h])


def _bidirectional_rnn(lw: Lowering) -> None:
    x = lw.operand(0)
    if len(x.shape) != 3:
        raise lw.fail("input 0 must have rank 3")
    if lw.operand(9) is not None:
        raise lw.fail("an auxiliary input has no MCU kernel (the interpreter refuses it too)")
    time_major = bool(_option(lw, "time_major", False))
    merged = bool(_option(lw, "merge_outputs", False))
    fw_y = lw.result(0)
    bw_y = fw_y if merged else lw.result(1)
    units = lw.operand(1).shape[0]
    _rnn_direction(lw, x, fw_y, 0, (1, 2, 3, 4), False, time_major)
    _rnn_direction(lw, x, bw_y, units if merged else 0, (5, 6, 7, 8), True, time_major)


def _svdf(lw: Lowering) -> None:
    x, features, time, bias = (lw.operand(i) for i in range(4))
    y = lw.result()
    _float(lw, [x, y, features, time, bias])
    rank = int(_option(lw, "rank", 1))
    filters, memory = time.shape
    if len(x.shape) != 2 or features.shape != (filters, x.shape[1]):
        raise lw.fail(f"feature weights {list(features.shape)} do not fit input {list(x.shape)}")
    if rank <= 0 or filters % rank:
        raise lw.fail(f"rank {rank} does not divide {filters} filters")
    state = _state(lw, 4, (x.shape[0], filters * memory))
    fields = [x.shape[0], x.shape[1], filters, memory, rank, *_activation(lw, "NONE")]
    params = lw.param("params", "tflc_svdf_f32_params", struct(fields))
    inputs = [x, features, time] + ([bias] if bias is not None else []) + [state]
    lw.emit(
        "recurrent_f32",
        f"tflc_svdf_f32(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{features.id}}}, "
        f"{{t:{time.id}}}, {_ref(bias)}, {{t:{state.id}}}, {{t:{y.id}}})",
        inputs,
        [y, state],
        [params],
    )


HANDLERS = {
    "tfl.lstm": _lstm,
    "tfl.unidirectional_sequence_lstm": _lstm,
    "tfl.bidirectional_sequence_lstm": _bidirectional_lstm,
    "tfl.rnn": _rnn,
    "tfl.unidirectional_sequence_rnn": _rnn,
    "tfl.bidirectional_sequence_rnn": _bidirectional_rnn,
    "tfl.svdf": _svdf,
}
