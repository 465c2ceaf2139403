"""Recurrent ops, one time step per dispatch (graph.RECURRENT_OPS expands them): `rnn_step`
computes h = act(W x_t + R h_prev + b) for every (batch, unit), the interpreter's formula; an
LSTM step is `lstm_cell` (c_t = f * c + i * g, clipped), `lstm_output` (o * act(c_t)) and
`lstm_projection` (clipped), as runtime/kernels/sequence.py's cell steps (layer-normalized
gates too); SVDF is `svdf_state` (the memory shifted one step, the new features last) and
`svdf_output` (each unit's rank filters over the memory);
`variable_update` copies the last step into the op's `tfl.variable` state, which keeps its arena
storage between calls (zeros at first, as LiteRT's variables).
"""

from __future__ import annotations

from tflc.backends.gpu.graph import Node
from tflc.backends.gpu.kernel_ir import KernelBuilder
from tflc.backends.gpu.lowering import ACTIVATIONS, DATA_OPERANDS, KernelContext, anchor
from tflc.errors import TflcError

DATA_OPERANDS.update(
    dict.fromkeys(
        (
            "rnn_step",
            "variable_update",
            "lstm_cell",
            "lstm_output",
            "lstm_projection",
            "svdf_state",
            "svdf_output",
        )
    )
)


def _dot(b: KernelBuilder, ctx: KernelContext, a, a_row, m, m_row, n: int, acc: str) -> str:
    """acc + sum_k a[a_row + k] * m[m_row + k]."""

    def step(k, s):
        return [b.fadd(s, b.fmul(ctx.load(b, a, b.add(a_row, k)), ctx.load(b, m, b.add(m_row, k))))]

    (total,) = b.loop(0, n, [acc], step)
    return total


@anchor("rnn_step")
def rnn_step(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    x, w, r, bias, prev = node.inputs
    n, u = coords
    size, units = ctx.shape(x)[-1], ctx.shape(r)[1]
    acc = b.f32(0.0) if bias is None else ctx.load(b, bias, u)
    acc = _dot(b, ctx, x, b.mul(_row(b, node, ctx, n), size), w, b.mul(u, size), size, acc)
    acc = _dot(b, ctx, prev, b.mul(n, units), r, b.mul(u, units), units, acc)
    return _activation(b, node, acc)


def _row(b: KernelBuilder, node: Node, ctx: KernelContext, n: str) -> str:
    """The row of input x holding batch `n`'s input at this step."""
    a, x_shape = node.attrs, ctx.shape(node.inputs[0])
    if len(x_shape) == 2:  # one step
        return n
    if a["time_major"]:  # [time, batch, input]
        return b.add(n, a["time"] * x_shape[1])
    return b.add(b.mul(n, a["steps"]), a["time"])  # [batch, time, input]


def _activation(b: KernelBuilder, node: Node, x: str, default: str = "TANH") -> str:
    """The op's fused activation (the interpreter's default: TANH for RNN and LSTM cells)."""
    name = node.attrs.get("fused_activation_function", default)
    if name not in ACTIVATIONS:
        raise TflcError(f"fused activation {name} has no shader lowering", node.where)
    fn = ACTIVATIONS[name]
    return fn(b, x, node) if fn is not None else x


def _sigmoid(b: KernelBuilder, x: str) -> str:
    one = b.f32(1.0)
    return b.fdiv(one, b.fadd(one, b.math("exp", b.fneg(x))))


def _clip(b: KernelBuilder, x: str, bound: float) -> str:
    return b.fmin(b.fmax(x, b.f32(-bound)), b.f32(bound)) if bound > 0 else x


PEEPHOLES = {0: 9, 1: 10, 3: 11}  # gate -> its cell-to-gate weights' operand


def _gate_sum(b: KernelBuilder, node: Node, ctx: KernelContext, g: int, n: str, k) -> str:
    """W x + R h + peephole * c of gate `g` at cell k (c: the node's cell-state operand)."""
    ins = node.inputs
    size, outs = ctx.shape(ins[0])[-1], ctx.shape(ins[5 + g])[1]
    row = b.mul(_row(b, node, ctx, n), size)
    acc = _dot(b, ctx, ins[0], row, ins[1 + g], b.mul(k, size), size, b.f32(0.0))
    acc = _dot(b, ctx, ins[18], b.mul(n, outs), ins[5 + g], b.mul(k, outs), outs, acc)
    peep = ins[PEEPHOLES[g]] if g in PEEPHOLES else None
    if peep is not None:
        cells = ctx.shape(ins[19])[1]
        c = ctx.load(b, ins[19], b.add(b.mul(n, cells), k))
        acc = b.fadd(acc, b.fmul(ctx.load(b, peep, k), c))
    return acc


def _gate(b: KernelBuilder, node: Node, ctx: KernelContext, g: int, n: str, k: str) -> str:
    """Gate `g` (input, forget, cell, output) of cell k before its activation: the sum plus
    bias, or with layer normalization (operand 20 + g) the sum normalized over the row's cells
    (mean and variance, epsilon 1e-8) times the norm weight plus bias. Each invocation then
    sums its row's every cell: rows are one layer's cells."""
    ins = node.inputs
    bias = ctx.load(b, ins[12 + g], k)
    acc = _gate_sum(b, node, ctx, g, n, k)
    norm = ins[20 + g] if len(ins) > 20 + g else None
    if norm is None:
        return b.fadd(acc, bias)
    cells = ctx.shape(ins[12 + g])[0]

    def moments(j, total, squares):
        v = _gate_sum(b, node, ctx, g, n, j)
        return [b.fadd(total, v), b.fadd(squares, b.fmul(v, v))]

    total, squares = b.loop(0, cells, [b.f32(0.0), b.f32(0.0)], moments)
    mean = b.fdiv(total, b.f32(cells))
    variance = b.fsub(b.fdiv(squares, b.f32(cells)), b.fmul(mean, mean))
    scaled = b.fdiv(b.fsub(acc, mean), b.math("sqrt", b.fadd(variance, b.f32(1e-8))))
    return b.fadd(b.fmul(scaled, ctx.load(b, norm, k)), bias)


@anchor("lstm_cell")
def lstm_cell(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    n, k = coords
    f = _sigmoid(b, _gate(b, node, ctx, 1, n, k))
    g = _activation(b, node, _gate(b, node, ctx, 2, n, k))
    cifg = node.inputs[1] is None  # coupled: the input gate is 1 - f
    i = b.fsub(b.f32(1.0), f) if cifg else _sigmoid(b, _gate(b, node, ctx, 0, n, k))
    cells = ctx.shape(node.inputs[19])[1]
    c = ctx.load(b, node.inputs[19], b.add(b.mul(n, cells), k))
    c = b.fadd(b.fmul(f, c), b.fmul(g, i))
    return _clip(b, c, float(node.attrs.get("cell_clip", 0.0)))


@anchor("lstm_output")
def lstm_output(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    n, k = coords
    o = _sigmoid(b, _gate(b, node, ctx, 3, n, k))
    cells = ctx.shape(node.inputs[19])[1]
    c = ctx.load(b, node.inputs[19], b.add(b.mul(n, cells), k))
    return b.fmul(o, _activation(b, node, c))


@anchor("lstm_projection")
def lstm_projection(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    gated, weights, bias = node.inputs
    n, p = coords
    cells = ctx.shape(gated)[1]
    acc = b.f32(0.0) if bias is None else ctx.load(b, bias, p)
    acc = _dot(b, ctx, gated, b.mul(n, cells), weights, b.mul(p, cells), cells, acc)
    return _clip(b, acc, float(node.attrs.get("proj_clip", 0.0)))


@anchor("variable_update")
def variable_update(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    return ctx.load_broadcast(b, node.inputs[0], coords, ctx.shape(node.outputs[0]))


@anchor("svdf_state")
def svdf_state(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    """Memory slot m of filter f: the old slot m + 1, or the features of x in the last."""
    x, features, state = node.inputs
    n, flat = coords
    filters, size = ctx.shape(features)
    memory = ctx.shape(state)[1] // filters
    slot = b.rem(flat, memory)

    def new_features() -> list[str]:
        f = b.div(flat, memory)
        return [_dot(b, ctx, x, b.mul(n, size), features, b.mul(f, size), size, b.f32(0.0))]

    def shifted() -> list[str]:
        return [ctx.load(b, state, b.add(b.mul(n, filters * memory), b.add(flat, 1)))]

    (value,) = b.branch(b.cmp("eq", slot, memory - 1), new_features, shifted)
    return value


@anchor("svdf_output")
def svdf_output(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    memory_t, time_weights, bias = node.inputs
    n, u = coords
    filters, memory = ctx.shape(time_weights)
    rank = filters // ctx.shape(node.outputs[0])[1]
    first = b.mul(u, rank * memory)  # the unit's rank filters are contiguous
    row = b.add(b.mul(n, filters * memory), first)
    acc = b.f32(0.0) if bias is None else ctx.load(b, bias, u)
    acc = _dot(b, ctx, memory_t, row, time_weights, first, rank * memory, acc)
    return _activation(b, node, acc, default="NONE")
