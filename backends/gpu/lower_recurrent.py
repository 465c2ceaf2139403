"""Recurrent ops, one time step per dispatch (graph.RECURRENT_OPS expands them): `rnn_step`
computes h = act(W x_t + R h_prev + b) for every (batch, unit), the interpreter's formula;
`variable_update` copies the last step into the op's `tfl.variable` state, which keeps its arena
storage between calls (zeros at first, as LiteRT's variables).
"""

from __future__ import annotations

from tflc.backends.gpu.graph import Node
from tflc.backends.gpu.kernel_ir import KernelBuilder
from tflc.backends.gpu.lowering import ACTIVATIONS, DATA_OPERANDS, KernelContext, anchor
from tflc.errors import TflcError

DATA_OPERANDS.update({"rnn_step": None, "variable_update": None})


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
    a = node.attrs
    t, steps = a["time"], a["steps"]
    x_shape = ctx.shape(x)
    size, units = x_shape[-1], ctx.shape(r)[1]
    if len(x_shape) == 2:  # rnn: one step
        row = n
    elif a["time_major"]:  # [time, batch, input]
        row = b.add(n, t * x_shape[1])
    else:  # [batch, time, input]
        row = b.add(b.mul(n, steps), t)
    acc = b.f32(0.0) if bias is None else ctx.load(b, bias, u)
    acc = _dot(b, ctx, x, b.mul(row, size), w, b.mul(u, size), size, acc)
    acc = _dot(b, ctx, prev, b.mul(n, units), r, b.mul(u, units), units, acc)
    name = a.get("fused_activation_function", "TANH")  # the interpreter's default
    if name not in ACTIVATIONS:
        raise TflcError(f"fused activation {name} has no shader lowering", node.where)
    fn = ACTIVATIONS[name]
    return fn(b, acc, node) if fn is not None else acc


@anchor("variable_update")
def variable_update(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    return ctx.load_broadcast(b, node.inputs[0], coords, ctx.shape(node.outputs[0]))
