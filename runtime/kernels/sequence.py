"""Recurrent ops: LSTM, UNIDIRECTIONAL_SEQUENCE_LSTM, RNN, UNIDIRECTIONAL_SEQUENCE_RNN, in float
and hybrid (int8 weights, float activations) form, following TFLite's lstm_eval.cc step by step.

Their state tensors are variables: the new state is stored back into the interpreter, so
successive invokes continue the sequence as in LiteRT.
"""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.common import (
    float_activation,
    int_matmul,
    quantize_batches_asymmetric,
    quantize_batches_symmetric,
)
from tflc.runtime.kernels.node import Node, scale_zp

# UNIDIRECTIONAL_SEQUENCE_LSTM / LSTM input slots.
_IN_W = (1, 2, 3, 4)  # input-to-{input, forget, cell, output} weights
_REC_W = (5, 6, 7, 8)  # recurrent-to-{...} weights
_PEEP = (9, 10, 11)  # cell-to-{input, forget, output} weights
_BIAS = (12, 13, 14, 15)
_PROJ_W, _PROJ_B, _OUT_STATE, _CELL_STATE = 16, 17, 18, 19
_LAYER_NORM = (20, 21, 22, 23)


class _MatVec:
    """W @ x for a batch of rows, float or hybrid (x quantized to int8 per row as LiteRT)."""

    def __init__(self, node: Node, w: np.ndarray | None, index: int):
        self.w = w
        self.hybrid = w is not None and w.dtype != np.float32
        if self.hybrid:
            self.scale = np.float32(scale_zp(node.input(index))[0])
            self.wi = w.astype(np.int64)

    def __call__(self, x_rows: np.ndarray, quantized) -> np.ndarray:
        if not self.hybrid:
            return x_rows @ self.w.T
        q, sf = quantized
        acc = int_matmul(q, self.wi.T, 255, 128)
        return acc.astype(np.float32) * (sf * self.scale)[:, None]


def _quantize_rows(x: np.ndarray, asymmetric: bool):
    if asymmetric:
        q, sf, offset = quantize_batches_asymmetric(x)
        return q - offset[:, None], sf
    return quantize_batches_symmetric(x)


def _dequantized(node: Node, v: np.ndarray | None, index: int) -> np.ndarray | None:
    """Peephole weights of hybrid models are int8; LiteRT rescales them to float."""
    if v is None or v.dtype == np.float32:
        return v
    return (v.astype(np.float32) * np.float32(scale_zp(node.input(index))[0])).astype(np.float32)


def _layer_norm(x: np.ndarray) -> np.ndarray:
    """MeanStddevNormalization over each row (float, epsilon 1e-8)."""
    mean = x.mean(axis=1, keepdims=True, dtype=np.float64)
    var = (x.astype(np.float64) ** 2).mean(axis=1, keepdims=True) - mean * mean
    return ((x - mean) / np.sqrt(var + 1e-8)).astype(np.float32)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return (1.0 / (1.0 + np.exp(-x.astype(np.float64)))).astype(np.float32)


class _LstmCell:
    """One direction's weights; `offset` is where its weight tensors start among the op's
    inputs beyond the standard layout (the backward half of a bidirectional LSTM)."""

    def __init__(self, node: Node, args: list, offset: int = 0):
        def arg(i):
            return args[i] if i < len(args) else None

        def slot(i):
            return i + offset if i else i

        self.node = node
        self.in_w = [_MatVec(node, arg(i), slot(i)) for i in _IN_W]
        self.rec_w = [_MatVec(node, arg(i), slot(i)) for i in _REC_W]
        self.peep = [_dequantized(node, arg(i), slot(i)) for i in _PEEP]
        self.bias = [arg(i) for i in _BIAS]
        proj = arg(_PROJ_W)
        self.proj = _MatVec(node, proj, slot(_PROJ_W)) if proj is not None else None
        self.proj_b = arg(_PROJ_B)
        self.norm = [arg(i) for i in _LAYER_NORM]
        self.cifg = arg(1) is None
        o = node.options
        self.act = o.get("fused_activation_function", "TANH")
        self.cell_clip = float(o.get("cell_clip", 0.0))
        self.proj_clip = float(o.get("proj_clip", 0.0))
        self.asymmetric = bool(o.get("asymmetric_quantize_inputs", False))
        self.hybrid = any(m.hybrid for m in self.in_w + self.rec_w if m.w is not None)

    def _gate(self, g: int, x, xq, h, hq, c, activation: str | None) -> np.ndarray:
        norm = self.norm[g] if g < len(self.norm) else None
        n, cells = x.shape[0], self.in_w[g].w.shape[0]
        acc = (
            np.zeros((n, cells), np.float32)
            if norm is not None
            else np.broadcast_to(self.bias[g], (n, cells)).astype(np.float32)
        )
        acc = acc + self.in_w[g](x, xq) + self.rec_w[g](h, hq)
        peep = {0: 0, 1: 1, 3: 2}.get(g)
        if peep is not None and self.peep[peep] is not None:
            acc = acc + self.peep[peep] * c
        if norm is not None:
            acc = _layer_norm(acc) * norm + self.bias[g]
        acc = acc.astype(np.float32)
        if activation == "SIGMOID":
            return _sigmoid(acc)
        return float_activation(acc, activation, self.node)

    def step(self, x: np.ndarray, h: np.ndarray, c: np.ndarray):
        xq = _quantize_rows(x, self.asymmetric) if self.hybrid else None
        hq = _quantize_rows(h, self.asymmetric) if self.hybrid else None
        f = self._gate(1, x, xq, h, hq, c, "SIGMOID")
        g = self._gate(2, x, xq, h, hq, c, self.act)
        i = 1 - f if self.cifg else self._gate(0, x, xq, h, hq, c, "SIGMOID")
        c = (f * c + g * i).astype(np.float32)
        if self.cell_clip > 0:
            c = np.clip(c, -self.cell_clip, self.cell_clip)
        o = self._gate(3, x, xq, h, hq, c, "SIGMOID")
        out = (o * float_activation(c.copy(), self.act, self.node)).astype(np.float32)
        if self.proj is not None:
            pq = _quantize_rows(out, self.asymmetric) if self.proj.hybrid else None
            bias = 0 if self.proj_b is None else self.proj_b
            out = (self.proj(out, pq) + bias).astype(np.float32)
            if self.proj_clip > 0:
                out = np.clip(out, -self.proj_clip, self.proj_clip)
        return out, c


# The inputs every LSTM kernel reads (the input, the forget/cell/output gates' weights and
# biases); the input gate, peepholes, projection and layer norm are optional.
REQUIRED_LSTM_INPUTS = (0, *_IN_W[1:], *_REC_W[1:], *_BIAS[1:])


def _check_float_lstm(node: Node) -> str | None:
    for i in REQUIRED_LSTM_INPUTS:
        if i >= len(node.inputs) or node.inputs[i] < 0:
            return f"input {i} is required by the LSTM kernel, but the operator has none there"
    t = node.input(0)
    if t is not None and t.type != "FLOAT32":
        return f"quantized ({t.type}) {node.op} is not supported"
    if node.options.get("kernel_type", "FULL") == "BASIC":
        return "the BASIC LSTM kernel is not supported"
    if node.options.get("diagonal_recurrent_tensors", False):
        return "diagonal recurrent weights are not supported"
    return None


def _state(node: Node, args: list, index: int, shape) -> np.ndarray:
    value = args[index] if index < len(args) else None
    return np.zeros(shape, np.float32) if value is None else value.reshape(shape)


def _store_state(node: Node, index: int, value: np.ndarray) -> None:
    ti = node.inputs[index] if index < len(node.inputs) else -1
    if ti >= 0 and node.tensors[ti].is_variable:
        node.interpreter.set_variable(node.subgraph, ti, value.reshape(node.tensors[ti].shape))


@kernel("UNIDIRECTIONAL_SEQUENCE_LSTM", check=_check_float_lstm)
def unidirectional_sequence_lstm(node: Node, *args: np.ndarray):
    args = list(args)
    x = args[0]
    if x.ndim != 3:
        raise node.error(f"input must be 3-D, got {list(x.shape)}")
    time_major = bool(node.options.get("time_major", False))
    seq = x if time_major else np.swapaxes(x, 0, 1)  # (time, batch, input)
    cell = _LstmCell(node, args)
    n_batch = seq.shape[1]
    n_cell = cell.in_w[2].w.shape[0]
    n_output = args[_REC_W[2]].shape[1]
    h = _state(node, args, _OUT_STATE, (n_batch, n_output))
    c = _state(node, args, _CELL_STATE, (n_batch, n_cell))
    outputs = []
    for t in range(seq.shape[0]):
        h, c = cell.step(seq[t], h, c)
        outputs.append(h)
    _store_state(node, _OUT_STATE, h)
    _store_state(node, _CELL_STATE, c)
    out = np.stack(outputs)
    return out if time_major else np.ascontiguousarray(np.swapaxes(out, 0, 1))


@kernel("LSTM", check=_check_float_lstm)
def lstm(node: Node, *args: np.ndarray):
    args = list(args)
    x = args[0]
    cell = _LstmCell(node, args)
    n_cell = cell.in_w[2].w.shape[0]
    n_output = args[_REC_W[2]].shape[1]
    h = _state(node, args, _OUT_STATE, (x.shape[0], n_output))
    c = _state(node, args, _CELL_STATE, (x.shape[0], n_cell))
    h, c = cell.step(x, h, c)
    _store_state(node, _OUT_STATE, h)
    _store_state(node, _CELL_STATE, c)
    return h if len(node.outputs) == 1 else (h, c, h)[: len(node.outputs)]


# (input weights, recurrent weights, bias) slots per direction of the RNN kernels
_RNN_GATES = {
    "RNN": ((1, 2, 3),),
    "UNIDIRECTIONAL_SEQUENCE_RNN": ((1, 2, 3),),
    "BIDIRECTIONAL_SEQUENCE_RNN": ((1, 2, 3), (5, 6, 7)),
}


def _check_float_rnn(node: Node) -> str | None:
    t = node.input(0)
    if t is not None and t.type != "FLOAT32":
        return f"quantized ({t.type}) {node.op} is not supported"
    return _rnn_gate_problem(node)


def _rnn_gate_problem(node: Node) -> str | None:
    """Missing or mis-shaped gate tensors, which LiteRT's Prepare refuses too: W [units, input],
    R [units, units], b [units], an input of rank 3 (2 for RNN) with `input` features."""
    if node.op not in _RNN_GATES:  # SVDF: its own weights
        return None
    x = node.input(0)
    rank = 2 if node.op == "RNN" else 3
    if x is None or len(x.shape) != rank:
        return f"input 0 must have rank {rank}"
    for w_at, r_at, b_at in _RNN_GATES[node.op]:
        w, r, b = node.input(w_at), node.input(r_at), node.input(b_at)
        for at, t in ((w_at, w), (r_at, r), (b_at, b)):
            if t is None:
                return f"input {at} is required by the {node.op} kernel, but the operator has none there"
        units = w.shape[0] if len(w.shape) == 2 else -1
        if len(w.shape) != 2 or w.shape[1] != x.shape[-1]:
            return f"input {w_at}'s shape {w.shape} is not [units, {x.shape[-1]}]"
        if list(r.shape) != [units, units] or list(b.shape) != [units]:
            return (
                f"inputs {r_at} and {b_at} of shapes {r.shape} and {b.shape} are not "
                f"[{units}, {units}] and [{units}]"
            )
    return None


def _rnn_steps(node: Node, seq, w, r, b, h, slots: tuple[int, int] = (1, 2)):
    """h = act(W x + R h + b) for each step of `seq` (time, batch, input); `slots` are the
    input indices of W and R (for their quantization)."""
    act = node.options.get("fused_activation_function", "TANH")
    asymmetric = bool(node.options.get("asymmetric_quantize_inputs", False))
    wm, rm = _MatVec(node, w, slots[0]), _MatVec(node, r, slots[1])
    outputs = []
    for t in range(seq.shape[0]):
        x = seq[t]
        xq = _quantize_rows(x, asymmetric) if wm.hybrid else None
        hq = _quantize_rows(h, asymmetric) if rm.hybrid else None
        acc = np.broadcast_to(b, (x.shape[0], b.shape[0])) + wm(x, xq) + rm(h, hq)
        h = float_activation(acc.astype(np.float32), act, node)
        outputs.append(h)
    return outputs, h


@kernel("RNN", check=_check_float_rnn)
def rnn(node: Node, x, w, r, b, state=None):
    h = np.zeros((x.shape[0], r.shape[1]), np.float32) if state is None else state
    outputs, h = _rnn_steps(node, x[None], w, r, b, h)
    _store_state(node, 4, h)
    return (h, h)[: len(node.outputs)] if len(node.outputs) > 1 else h


@kernel("UNIDIRECTIONAL_SEQUENCE_RNN", check=_check_float_rnn)
def unidirectional_sequence_rnn(node: Node, x, w, r, b, state=None):
    time_major = bool(node.options.get("time_major", False))
    seq = x if time_major else np.swapaxes(x, 0, 1)
    h = np.zeros((seq.shape[1], r.shape[1]), np.float32) if state is None else state
    outputs, h = _rnn_steps(node, seq, w, r, b, h)
    _store_state(node, 4, h)
    out = np.stack(outputs)
    return out if time_major else np.ascontiguousarray(np.swapaxes(out, 0, 1))


def _run_lstm(node: Node, args: list, seq: np.ndarray, state_index: int, offset: int = 0):
    """Runs one direction of a (bi)directional LSTM over `seq` (time, batch, input)."""
    cell = _LstmCell(node, args, offset)
    n_cell = cell.in_w[2].w.shape[0]
    n_output = args[_REC_W[2]].shape[1]
    h = _state(node, args, state_index, (seq.shape[1], n_output))
    c = _state(node, args, state_index + 1, (seq.shape[1], n_cell))
    outputs = []
    for t in range(seq.shape[0]):
        h, c = cell.step(seq[t], h, c)
        outputs.append(h)
    return np.stack(outputs), h, c


def _check_bidirectional(node: Node) -> str | None:
    reason = _check_float_lstm(node) if node.op.endswith("LSTM") else _check_float_rnn(node)
    aux = 39 if node.op.endswith("LSTM") else 9
    if reason is None and node.input(aux) is not None:
        return "an auxiliary input is not supported"
    return reason


@kernel("BIDIRECTIONAL_SEQUENCE_LSTM", check=_check_bidirectional)
def bidirectional_sequence_lstm(node: Node, *args: np.ndarray):
    args = list(args) + [None] * (48 - len(args))
    time_major = bool(node.options.get("time_major", True))
    seq = args[0] if time_major else np.swapaxes(args[0], 0, 1)
    # The backward direction reads its 17 weight tensors from slots 18-34; it reuses the
    # forward slot layout by shifting, with its states at 37/38 moved to 18/19.
    fw_args = args[:18] + [args[35], args[36]]
    bw_args = [None] + args[18:35] + [args[37], args[38]]
    fw, fw_h, fw_c = _run_lstm(node, fw_args, seq, _OUT_STATE)
    bw, bw_h, bw_c = _run_lstm(node, bw_args, seq[::-1], _OUT_STATE, offset=17)
    bw = bw[::-1]
    for slot, value in ((35, fw_h), (36, fw_c), (37, bw_h), (38, bw_c)):
        _store_state(node, slot, value)
    return _bidirectional_outputs(node, fw, bw, time_major)


def _bidirectional_outputs(node: Node, fw, bw, time_major: bool):
    def layout(y):
        return y if time_major else np.ascontiguousarray(np.swapaxes(y, 0, 1))

    if node.options.get("merge_outputs", False):
        return layout(np.concatenate([fw, bw], axis=-1))
    return layout(fw), layout(bw)


@kernel("BIDIRECTIONAL_SEQUENCE_RNN", check=_check_bidirectional)
def bidirectional_sequence_rnn(node: Node, *args: np.ndarray):
    args = list(args) + [None] * (12 - len(args))
    time_major = bool(node.options.get("time_major", False))
    seq = args[0] if time_major else np.swapaxes(args[0], 0, 1)
    directions = []
    for w, r, b, state_slot, reverse in ((1, 2, 3, 4, False), (5, 6, 7, 8, True)):
        h = args[state_slot]
        h = np.zeros((seq.shape[1], args[r].shape[1]), np.float32) if h is None else h
        steps = seq[::-1] if reverse else seq
        outputs, h = _rnn_steps(node, steps, args[w], args[r], args[b], h, (w, r))
        _store_state(node, state_slot, h)
        out = np.stack(outputs)
        directions.append(out[::-1] if reverse else out)
    return _bidirectional_outputs(node, directions[0], directions[1], time_major)


@kernel("SVDF", check=_check_float_rnn)
def svdf(node: Node, x, weights_feature, weights_time, bias=None, state=None):
    rank = node.options.get("rank", 1)
    n_filters, memory = weights_feature.shape[0], weights_time.shape[1]
    if rank <= 0 or n_filters % rank:
        raise node.error(f"rank {rank} does not divide {n_filters} filters")
    n_batch = x.shape[0]
    state = np.zeros((n_batch, n_filters * memory), np.float32) if state is None else state
    s = state.reshape(n_batch, n_filters, memory)
    s = np.concatenate([s[:, :, 1:], np.zeros((n_batch, n_filters, 1), np.float32)], axis=2)
    features = _MatVec(node, weights_feature, 1)
    asymmetric = bool(node.options.get("asymmetric_quantize_inputs", False))
    xq = _quantize_rows(x, asymmetric) if features.hybrid else None
    s[:, :, -1] = features(x, xq)
    _store_state(node, 4, s.reshape(n_batch, -1))
    time_weights = _dequantized(node, weights_time, 2)  # int8 in hybrid models
    per_filter = np.einsum("bfm,fm->bf", s, time_weights)
    out = per_filter.reshape(n_batch, n_filters // rank, rank).sum(axis=2)
    if bias is not None:
        out = out + bias
    return float_activation(
        out.astype(np.float32), node.options.get("fused_activation_function"), node
    )
