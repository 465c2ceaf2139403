"""The float LSTM builtins: LSTM (one step), UNIDIRECTIONAL_SEQUENCE_LSTM and
BIDIRECTIONAL_SEQUENCE_LSTM, as runtime/kernels/sequence._LstmCell steps them (CIFG, peepholes,
projection, cell and projection clips, layer normalization; operand slots from sequence.py).
The output and cell states are `tfl.variable`s in the state region (kernels_recurrent.py);
a batch row's gates are computed into a stack buffer before its state is overwritten.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu.emitter import Function, activation
from tflc.backends.cpu.graph import Node
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling
from tflc.backends.cpu.kernels_recurrent import (
    dot_product,
    float_weights,
    sequence_layout,
    state_variable,
)
from tflc.errors import TflcError
from tflc.runtime.kernels.sequence import (
    _BIAS,
    _CELL_STATE,
    _IN_W,
    _LAYER_NORM,
    _OUT_STATE,
    _PEEP,
    _PROJ_B,
    _PROJ_W,
    _REC_W,
    REQUIRED_LSTM_INPUTS,
)

LSTM_OPS = {"lstm", "unidirectional_sequence_lstm", "bidirectional_sequence_lstm"}
_BACKWARD_SHIFT = 17  # a bidirectional LSTM's backward weights sit 17 slots later
_BIDIRECTIONAL_STATES = ((35, 36), (37, 38))  # (output state, cell state) per direction
_PEEP_OF_GATE = {0: 0, 1: 1, 3: 2}  # input, forget, output gates read the cell state


def _sigmoid(fn: Function, v: str) -> str:
    """1 / (1 + exp(-v)) in double, rounded to float (sequence._sigmoid)."""
    wide = fn.op(f"arith.extf {v} : f32 to f64")
    e = fn.op(f"math.exp {fn.op(f'arith.negf {wide} : f64')} : f64")
    one = fn._const("1.0", "f64")
    r = fn.op(f"arith.divf {one}, {fn.op(f'arith.addf {one}, {e} : f64')} : f64")
    return fn.op(f"arith.truncf {r} : f64 to f32")


def _clip(fn: Function, v: str, limit: float) -> str:
    if limit <= 0:
        return v
    v = fn.op(f"arith.maximumf {v}, {fn.f32(-limit)} : f32")
    return fn.op(f"arith.minimumf {v}, {fn.f32(limit)} : f32")


class _Direction:
    """One direction's weights as kernel constants; `slot(i)` is operand i's index."""

    def __init__(self, k: Kernel, node: Node, shift: int):
        bidirectional = node.op == "bidirectional_sequence_lstm"

        def operand(i):
            if bidirectional and i > _PROJ_B:  # no layer norm: its slots hold the states
                return None
            at = i + shift if i else i
            t = node.inputs[at] if at < len(node.inputs) else None
            return None if t is None else float_weights(node, t, at)

        for i in REQUIRED_LSTM_INPUTS:  # as the interpreter refuses them (LiteRT's Prepare too)
            at = i + shift if i else i
            if at >= len(node.inputs) or node.inputs[at] is None:
                raise TflcError(
                    f"input {at} is required by the LSTM kernel, but the operator has none there",
                    node.where,
                )
        self.in_w = [operand(i) for i in _IN_W]
        self.rec_w = [operand(i) for i in _REC_W]
        self.cifg = self.in_w[0] is None
        self.cells, self.features = self.in_w[2].shape
        self.outputs = self.rec_w[2].shape[1]
        peep, norm = [operand(i) for i in _PEEP], [operand(i) for i in _LAYER_NORM]
        proj, proj_b = operand(_PROJ_W), operand(_PROJ_B)
        c = lambda a: None if a is None else k.arg_const(a)  # noqa: E731
        self.in_m, self.rec_m = [c(w) for w in self.in_w], [c(w) for w in self.rec_w]
        self.bias = [c(operand(i)) for i in _BIAS]
        self.peep, self.norm = [c(p) for p in peep], [c(n) for n in norm]
        self.proj = c(proj)
        if proj is not None:
            self.outputs = proj.shape[0]
        zero = np.zeros(self.outputs, np.float32)
        self.proj_b = None if proj is None else c(zero if proj_b is None else proj_b)


def _gate(fn, d: _Direction, g: int, x, x_row, h, h_row, c, c_row, buf, act) -> None:
    """Gate g of one batch row into buf[g * cells ...], activated."""
    cells = d.cells
    base = g * cells
    with fn.loop(0, cells) as u:
        acc = fn.f32(0.0) if d.norm[g] is not None else fn.load(*d.bias[g], u)
        xw = dot_product(fn, x, x_row, d.in_m[g], fn.mul(u, d.features), d.features, fn.f32(0.0))
        hr = dot_product(fn, h, h_row, d.rec_m[g], fn.mul(u, d.outputs), d.outputs, fn.f32(0.0))
        acc = fn.op(f"arith.addf {fn.op(f'arith.addf {acc}, {xw} : f32')}, {hr} : f32")
        p = _PEEP_OF_GATE.get(g)
        if p is not None and d.peep[p] is not None:
            pc = fn.op(
                f"arith.mulf {fn.load(*d.peep[p], u)}, {fn.load(c[0], c[1], fn.add(c_row, u))} : f32"
            )
            acc = fn.op(f"arith.addf {acc}, {pc} : f32")
        fn.store(acc, buf[0], buf[1], fn.add(u, base))
    if d.norm[g] is not None:  # sequence._layer_norm: statistics in double, epsilon 1e-8
        zero = fn._const("0.0", "f64")
        with fn.loop_carried(0, cells, 1, [zero, zero], "f64") as (u, a, res):
            v = fn.op(f"arith.extf {fn.load(buf[0], buf[1], fn.add(u, base))} : f32 to f64")
            sq = fn.op(f"arith.mulf {v}, {v} : f64")
            res[:] = [
                fn.op(f"arith.addf {a[0]}, {v} : f64"),
                fn.op(f"arith.addf {a[1]}, {sq} : f64"),
            ]
        n = fn._const(f"{float(cells)}", "f64")
        mean = fn.op(f"arith.divf {res[0]}, {n} : f64")
        var = fn.op(
            f"arith.subf {fn.op(f'arith.divf {res[1]}, {n} : f64')}, {fn.op(f'arith.mulf {mean}, {mean} : f64')} : f64"
        )
        eps = fn._const("1.0e-08", "f64")
        std = fn.op(f"math.sqrt {fn.op(f'arith.addf {var}, {eps} : f64')} : f64")
    with fn.loop(0, cells) as u:
        v = fn.load(buf[0], buf[1], fn.add(u, base))
        if d.norm[g] is not None:
            wide = fn.op(f"arith.extf {v} : f32 to f64")
            z = fn.op(f"arith.divf {fn.op(f'arith.subf {wide}, {mean} : f64')}, {std} : f64")
            v = fn.op(f"arith.truncf {z} : f64 to f32")
            v = fn.op(f"arith.mulf {v}, {fn.load(*d.norm[g], u)} : f32")
            v = fn.op(f"arith.addf {v}, {fn.load(*d.bias[g], u)} : f32")
        v = _sigmoid(fn, v) if act == "SIGMOID" else activation(fn, v, act, "f32")
        fn.store(v, buf[0], buf[1], fn.add(u, base))


def _direction(k, node, d: _Direction, x, x_shape, states, outs, reverse: bool, merged: bool):
    fn = k.fn
    time_major = bool(node.attr("time_major", node.op == "bidirectional_sequence_lstm"))
    steps, batch, x_at = sequence_layout(x_shape, time_major, d.features)
    h = k.arg_tensor(state_variable(node, states[0], batch * d.outputs))
    c = k.arg_tensor(state_variable(node, states[1], batch * d.cells))
    width = 2 * d.outputs if merged else d.outputs
    column = d.outputs if merged and reverse else 0
    out_at = sequence_layout(x_shape[:-1] + (width,), time_major, width, column)[2]
    act = node.attr("fused_activation_function", "TANH")
    cell_clip, proj_clip = float(node.attr("cell_clip", 0.0)), float(node.attr("proj_clip", 0.0))
    cells = d.cells
    ty = f"memref<{5 * cells}xf32>"  # gates i, f, g, o, then the new cell state
    buf = (fn.op(f"memref.alloca() : {ty}"), ty)
    with fn.loop(0, steps) as t:
        step = fn.op(f"arith.subi {fn.idx(steps - 1)}, {t} : index") if reverse else t
        with fn.loop(0, batch) as bi:
            x_row = x_at.row(fn, step, bi)
            h_row, c_row = fn.mul(bi, d.outputs), fn.mul(bi, cells)
            row = (x, x_row, h, h_row, c, c_row, buf)
            _gate(fn, d, 1, *row[:2], *row[2:4], *row[4:6], buf, "SIGMOID")
            _gate(fn, d, 2, *row[:2], *row[2:4], *row[4:6], buf, act)
            if not d.cifg:
                _gate(fn, d, 0, *row[:2], *row[2:4], *row[4:6], buf, "SIGMOID")
            new_c = fn.idx(4 * cells)
            with fn.loop(0, cells) as u:
                f = fn.load(buf[0], buf[1], fn.add(u, cells))
                g = fn.load(buf[0], buf[1], fn.add(u, 2 * cells))
                if d.cifg:
                    i = fn.op(f"arith.subf {fn.f32(1.0)}, {f} : f32")
                else:
                    i = fn.load(buf[0], buf[1], u)
                fc = fn.op(f"arith.mulf {f}, {fn.load(c[0], c[1], fn.add(c_row, u))} : f32")
                gi = fn.op(f"arith.mulf {g}, {i} : f32")
                v = _clip(fn, fn.op(f"arith.addf {fc}, {gi} : f32"), cell_clip)
                fn.store(v, buf[0], buf[1], fn.add(new_c, u))
            _gate(fn, d, 3, x, x_row, h, h_row, buf, new_c, buf, "SIGMOID")
            out_row = out_at.row(fn, step, bi)
            with fn.loop(0, cells) as u:  # o * act(c), over the dead input gate's slots
                o = fn.load(buf[0], buf[1], fn.add(u, 3 * cells))
                cv = activation(fn, fn.load(buf[0], buf[1], fn.add(new_c, u)), act, "f32")
                v = fn.op(f"arith.mulf {o}, {cv} : f32")
                if d.proj is None:
                    for out in outs:
                        fn.store(v, out[0], out[1], fn.add(out_row, u))
                else:
                    fn.store(v, buf[0], buf[1], u)
            if d.proj is not None:
                with fn.loop(0, d.outputs) as u:
                    pv = dot_product(
                        fn, buf, fn.idx(0), d.proj, fn.mul(u, cells), cells, fn.f32(0.0)
                    )
                    pv = fn.op(f"arith.addf {pv}, {fn.load(*d.proj_b, u)} : f32")
                    pv = _clip(fn, pv, proj_clip)
                    for out in outs:
                        fn.store(pv, out[0], out[1], fn.add(out_row, u))
            first = outs[0]
            with fn.loop(0, d.outputs) as u:
                v = fn.load(first[0], first[1], fn.add(out_row, u))
                fn.store(v, h[0], h[1], fn.add(h_row, u))
            with fn.loop(0, cells) as u:
                v = fn.load(buf[0], buf[1], fn.add(new_c, u))
                fn.store(v, c[0], c[1], fn.add(c_row, u))


def emit_lstm(k: Kernel, t: Tiling, node: Node) -> None:
    x_t = node.inputs[0]
    if x_t.dtype != "f32" or x_t.scale is not None:
        raise TflcError(f"the cpu target computes '{node.op}' on float32 only", node.where)
    if node.attr("kernel_type", "FULL") == "BASIC":
        raise TflcError("the BASIC LSTM kernel is not supported", node.where)
    x = k.arg_tensor(x_t)
    outs = [k.arg_tensor(o) for o in node.outputs]
    if node.op != "bidirectional_sequence_lstm":
        d = _Direction(k, node, 0)
        mine = [outs[0]] + ([outs[2]] if len(outs) > 2 else [])
        _direction(k, node, d, x, x_t.shape, (_OUT_STATE, _CELL_STATE), mine, False, False)
        if node.op == "lstm" and len(outs) > 1:  # (h, c, h): the cell state as output 1
            c_t = node.inputs[_CELL_STATE]
            c = k.arg_tensor(c_t)
            with k.fn.loop(0, c_t.size) as u:
                k.fn.store(k.fn.load(c[0], c[1], u), outs[1][0], outs[1][1], u)
        return
    if len(node.inputs) > 39 and node.inputs[39] is not None:
        raise TflcError("an auxiliary input is not supported", node.where)
    merged = bool(node.attr("merge_outputs", False))
    for direction, states in enumerate(_BIDIRECTIONAL_STATES):
        d = _Direction(k, node, _BACKWARD_SHIFT * direction)
        mine = outs if merged else [outs[direction]]
        _direction(k, node, d, x, x_t.shape, states, mine, direction == 1, merged)
