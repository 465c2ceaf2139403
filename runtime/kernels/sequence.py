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
    def __init__(self, node: Node, args: list):
        def arg(i):
            return args[i] if i < len(args) else None

        self.node = node
        self.in_w = [_MatVec(node, arg(i), i) for i in _IN_W]
        self.rec_w = [_MatVec(node, arg(i), i) for i in _REC_W]
        self.peep = [_dequantized(node, arg(i), i) for i in _PEEP]
        self.bias = [arg(i) for i in _BIAS]
        self.proj = _MatVec(node, arg(_PROJ_W), _PROJ_W) if arg(_PROJ_W) is not None else None
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


def _check_float_lstm(node: Node) -> str | None:
    t = node.input(0)
    if t is not None and t.type != "FLOAT32":
        return f"quantized ({t.type}) LSTM is not supported"
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


def _check_float_rnn(node: Node) -> str | None:
    t = node.input(0)
    if t is not None and t.type != "FLOAT32":
        return f"quantized ({t.type}) RNN is not supported"
    return None


def _rnn_steps(node: Node, seq, w, r, b, h):
    """h = act(W x + R h + b) for each step of `seq` (time, batch, input)."""
    act = node.options.get("fused_activation_function", "TANH")
    asymmetric = bool(node.options.get("asymmetric_quantize_inputs", False))
    wm, rm = _MatVec(node, w, 1), _MatVec(node, r, 2)
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
