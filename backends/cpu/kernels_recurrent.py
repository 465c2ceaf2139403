"""The float RNN builtins: RNN, UNIDIRECTIONAL_SEQUENCE_RNN and BIDIRECTIONAL_SEQUENCE_RNN,
step by step as runtime/kernels/sequence.py computes them: h = act(b + W x + R h) per step;
and SVDF (its memory of feature activations shifted by one each call).

Their state operands are `tfl.variable`s, which live in the model's state region
(state_region.py), outside the workspace: each kernel updates its state in place, so the next
call continues the sequence as LiteRT's next invoke does, and `reset_state()` zeroes it. The
interpreter's checks (`sequence._check_float_rnn` and friends) run first, with its reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tflc.backends.cpu.emitter import Function, activation
from tflc.backends.cpu.graph import Node, Tensor
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling
from tflc.errors import TflcError

RECURRENT_OPS = {"rnn", "unidirectional_sequence_rnn", "bidirectional_sequence_rnn", "svdf"}
# op -> (W, R, b, state) operand slots of each direction (runtime/kernels/sequence._RNN_GATES)
_DIRECTIONS = {
    "rnn": ((1, 2, 3, 4),),
    "unidirectional_sequence_rnn": ((1, 2, 3, 4),),
    "bidirectional_sequence_rnn": ((1, 2, 3, 4), (5, 6, 7, 8)),
}


@dataclass
class _Layout:
    """Where row (step, batch) of a sequence tensor starts: step * step + batch * batch +
    column (a merged output's backward half starts at column `units`)."""

    step: int
    batch: int
    column: int = 0

    def row(self, fn: Function, t: str, b: str) -> str:
        return fn.lin([(t, self.step), (b, self.batch)], self.column)


def sequence_layout(
    shape, time_major: bool, width: int, column: int = 0
) -> tuple[int, int, _Layout]:
    """(steps, batch, layout) of a [time, batch, .] / [batch, time, .] / [batch, .] tensor
    whose rows are `width` wide."""
    if len(shape) == 2:  # one step
        return 1, shape[0], _Layout(0, width, column)
    if time_major:
        return shape[0], shape[1], _Layout(shape[1] * width, width, column)
    return shape[1], shape[0], _Layout(width, shape[1] * width, column)


def float_weights(node: Node, t: Tensor | None, slot: int) -> np.ndarray:
    if t is None or not t.is_const or t.dtype != "f32" or t.scale is not None:
        raise TflcError(
            f"operand {slot} of '{node.op}' must be float32 constant weights", node.where
        )
    return np.asarray(t.value, np.float32)


def dot_product(fn: Function, mem, start: str, wmem, wstart: str, n: int, acc: str) -> str:
    """acc + sum over i < n of mem[start + i] * wmem[wstart + i], in order."""
    with fn.loop_carried(0, n, 1, [acc], "f32") as (i, a, res):
        xv = fn.load(mem[0], mem[1], fn.add(start, i))
        wv = fn.load(wmem[0], wmem[1], fn.add(wstart, i))
        res[:] = [fn.op(f"arith.addf {a[0]}, {fn.op(f'arith.mulf {xv}, {wv} : f32')} : f32")]
    return res[0]


def _rnn_direction(k: Kernel, node: Node, slots, x, x_shape, outs, reverse: bool, merged: bool):
    """One direction's steps: out rows and the state h, updated after each step."""
    fn = k.fn
    w_at, r_at, b_at, h_at = slots
    w, r, b = (float_weights(node, node.inputs[i], i) for i in (w_at, r_at, b_at))
    units, features = w.shape
    time_major = bool(node.attr("time_major", False))
    steps, batch, x_at = sequence_layout(x_shape, time_major, features)
    state = state_variable(node, h_at, batch * units)
    h = k.arg_tensor(state)
    wm, rm, bm = k.arg_const(w), k.arg_const(r), k.arg_const(b)
    width = 2 * units if merged else units
    column = units if merged and reverse else 0
    out_at = sequence_layout(x_shape[:-1] + (width,), time_major, width, column)[2]
    act = node.attr("fused_activation_function", "TANH")
    first = outs[0]
    with fn.loop(0, steps) as t:
        step = fn.op(f"arith.subi {fn.idx(steps - 1)}, {t} : index") if reverse else t
        with fn.loop(0, batch) as bi, fn.loop(0, units) as u:
            acc = fn.load(bm[0], bm[1], u)
            acc = dot_product(fn, x, x_at.row(fn, step, bi), wm, fn.mul(u, features), features, acc)
            hr = dot_product(fn, h, fn.mul(bi, units), rm, fn.mul(u, units), units, fn.f32(0.0))
            acc = activation(fn, fn.op(f"arith.addf {acc}, {hr} : f32"), act, "f32")
            for o in outs:
                fn.store(acc, o[0], o[1], fn.add(out_at.row(fn, step, bi), u))
        with fn.loop(0, batch) as bi, fn.loop(0, units) as u:  # the step's h, once all read it
            v = fn.load(first[0], first[1], fn.add(out_at.row(fn, step, bi), u))
            fn.store(v, h[0], h[1], fn.add(fn.mul(bi, units), u))


def state_variable(node: Node, slot: int, size: int) -> Tensor:
    state = node.inputs[slot] if slot < len(node.inputs) else None
    if state is None or not state.variable:
        raise TflcError(f"operand {slot} (the state) must be a tfl.variable", node.where)
    if state.size != size:
        raise TflcError(f"state operand {slot} has {state.size} elements, not {size}", node.where)
    return state


def _svdf(k: Kernel, node: Node, x) -> None:
    """sequence.svdf: each filter's memory moves one step left and takes W_f x as its newest
    value; a unit sums `rank` filters' memories weighted by W_t, plus its bias."""
    fn = k.fn
    wf, wt = (float_weights(node, node.inputs[i], i) for i in (1, 2))
    rank = int(node.attr("rank", 1))
    filters, features = wf.shape
    memory = wt.shape[1]
    if rank <= 0 or filters % rank:
        raise TflcError(f"rank {rank} does not divide {filters} filters", node.where)
    units, batch = filters // rank, node.inputs[0].shape[0]
    b_t = node.inputs[3] if len(node.inputs) > 3 else None
    bias = np.zeros(units, np.float32) if b_t is None else float_weights(node, b_t, 3)
    s = k.arg_tensor(state_variable(node, 4, batch * filters * memory))
    wfm, wtm, bm = k.arg_const(wf), k.arg_const(wt), k.arg_const(bias)
    y = k.arg_tensor(node.outputs[0])
    with fn.loop(0, batch) as b, fn.loop(0, filters) as f:
        row = fn.lin([(b, filters * memory), (f, memory)])
        with fn.loop(0, memory - 1) as m:
            v = fn.load(s[0], s[1], fn.add(row, fn.add(m, 1)))
            fn.store(v, s[0], s[1], fn.add(row, m))
        newest = dot_product(
            fn, x, fn.mul(b, features), wfm, fn.mul(f, features), features, fn.f32(0.0)
        )
        fn.store(newest, s[0], s[1], fn.add(row, memory - 1))
    act = node.attr("fused_activation_function", "NONE")
    with fn.loop(0, batch) as b, fn.loop(0, units) as u:
        acc = fn.f32(0.0)
        for r in range(rank):
            f = fn.add(fn.mul(u, rank), r)
            row = fn.add(fn.mul(b, filters * memory), fn.mul(f, memory))
            acc = fn.op(
                f"arith.addf {acc}, {dot_product(fn, s, row, wtm, fn.mul(f, memory), memory, fn.f32(0.0))} : f32"
            )
        acc = fn.op(f"arith.addf {acc}, {fn.load(bm[0], bm[1], u)} : f32")
        fn.store(activation(fn, acc, act, "f32"), y[0], y[1], fn.lin([(b, units), (u, 1)]))


def emit_recurrent(k: Kernel, t: Tiling, node: Node) -> None:
    x_t = node.inputs[0]
    if x_t.dtype != "f32" or x_t.scale is not None:
        raise TflcError(f"the cpu target computes '{node.op}' on float32 only", node.where)
    if node.op == "svdf":
        _svdf(k, node, k.arg_tensor(x_t))
        return
    if (
        node.op == "bidirectional_sequence_rnn"
        and len(node.inputs) > 9
        and node.inputs[9] is not None
    ):
        raise TflcError("an auxiliary input is not supported", node.where)
    x = k.arg_tensor(x_t)
    outs = [k.arg_tensor(o) for o in node.outputs]
    directions = _DIRECTIONS[node.op]
    merged = len(directions) == 2 and bool(node.attr("merge_outputs", False))
    for d, slots in enumerate(directions):
        mine = outs if len(directions) == 1 or merged else [outs[d]]
        _rnn_direction(k, node, slots, x, x_t.shape, mine, reverse=d == 1, merged=merged)
