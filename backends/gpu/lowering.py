"""Per-op shader lowering: each op computes its value at one output element.

A fused group is one kernel: its first op (the anchor) computes the value at the invocation's
output coordinates, then each following elementwise op (the epilogue) is applied to it in
registers, and one store writes the group's result. Anchors are registered in `ANCHORS`;
elementwise ops (`UNARY`, `BINARY`) can be both anchors and epilogues.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from tflc.backends.gpu.graph import ALIAS_OPS, MULTI_RESULT_OPS, SHAPE_OPS, Graph, Node
from tflc.backends.gpu.kernel_ir import KernelBuilder
from tflc.backends.gpu.quantized import ActivationQuant
from tflc.backends.gpu.recurrent_steps import RECURRENT_OPS
from tflc.errors import TflcError
from tflc.runtime.gpu_arena import to_arena
from tflc.runtime.kernels.float_formulas import FORMULA_OPS, render_op
from tflc.runtime.kernels.quantize import fake_quant_params


@dataclass
class KernelContext:
    """What a lowering needs besides the op: the graph and where each tensor lives."""

    graph: Graph
    offsets: dict[int, int]  # arena offsets (floats) of storage roots
    weights: WeightsPacker
    split: tuple[str, int] | None = None  # (this invocation's part, parts): split-K reduction
    local_id: str | None = None
    keep_layout: bool = False  # filters as stored (shared by a group's split and CPU variants)
    lanes: int = 1  # output channels per invocation (anchors in LANE_ANCHORS return a list)

    def kloop(self, b: KernelBuilder, k: int, inits: list[str], body) -> list[str]:
        """The op's main reduction loop over `[0, k)`; under split-K, this part's share."""
        if self.split is None:
            return b.loop(0, k, inits, body)
        part, parts = self.split
        return b.loop(part, k, inits, body, step=parts)

    def combine(self, b: KernelBuilder, partial: str) -> str:
        """Sums the parts' partial results through workgroup memory (identity unsplit)."""
        if self.split is None:
            return partial
        _, parts = self.split
        b.store_shared(partial, self.local_id)
        b.barrier()
        first = b.mul(b.div(self.local_id, parts), parts)
        (total,) = b.loop(
            0, parts, [b.f32(0.0)], lambda p, acc: [b.fadd(acc, b.load_shared(b.add(first, p)))]
        )
        return total

    def shape(self, tid: int) -> tuple[int, ...]:
        return self.graph.tensors[tid].shape

    def addr(self, tid: int) -> tuple[str, int]:
        """(`"arena"` or `"weights"`, offset in floats) of a tensor's first element."""
        t = self.graph.tensors[tid]
        if t.const is not None:
            if t.const.dtype.kind in "iu":  # exact as float32 only up to 2**24
                to_arena(t.const, f"constant '{t.name}'")
            return "weights", self.weights.offset(tid, t.const)
        return "arena", self.offsets[self.graph.root(tid)]

    def packed(self, tid: int, key: str, transform: Callable[[np.ndarray], np.ndarray]) -> int:
        """Weights offset of `transform(constant)`, packed once per (tensor, key)."""
        return self.weights.offset((tid, key), transform(self.graph.tensors[tid].const))

    def load(self, b: KernelBuilder, tid: int, idx: str) -> str:
        buffer, base = self.addr(tid)
        return b.load(buffer, b.add(idx, base) if base else idx)

    def load_broadcast(
        self, b: KernelBuilder, tid: int, coords: list[str], out_shape: tuple[int, ...], shape=None
    ) -> str:
        """Loads `tid` (viewed as `shape`, if given) at output `coords` under numpy
        broadcasting."""
        shape = self.shape(tid) if shape is None else shape
        buffer, base = self.addr(tid)
        strides = _strides(shape)
        lead = len(out_shape) - len(shape)
        full = [0] * lead + [0 if d == 1 else s for d, s in zip(shape, strides, strict=True)]
        coords = coords if out_shape else []  # a scalar output's one coordinate: none here
        return b.load(buffer, b.ravel(coords, full, base))


class WeightsPacker:
    """Lays constants out in one float32 weights buffer, each 64-byte aligned, deduplicated."""

    ALIGN = 16

    def __init__(self):
        self.chunks: list[np.ndarray] = []
        self.keys: dict[object, int] = {}
        self.size = 0

    def offset(self, key, array: np.ndarray) -> int:
        if key not in self.keys:
            data = np.ascontiguousarray(array, dtype=np.float32).reshape(-1)
            self.keys[key] = self.size
            self.chunks.append(data)
            pad = -data.size % self.ALIGN
            if pad:
                self.chunks.append(np.zeros(pad, np.float32))
            self.size += data.size + pad
        return self.keys[key]

    def tobytes(self) -> bytes:
        if not self.chunks:
            return np.zeros(4, np.float32).tobytes()
        return np.concatenate(self.chunks).tobytes()


def _strides(shape) -> list[int]:
    strides, acc = [], 1
    for d in reversed(shape):
        strides.append(acc)
        acc *= d
    return strides[::-1]


# ---- elementwise ops ------------------------------------------------------------------------


def _relu_n(lo: float | None, hi: float | None):
    def fn(b: KernelBuilder, x: str, node: Node) -> str:
        if lo is not None:
            x = b.fmax(x, b.f32(lo))
        return b.fmin(x, b.f32(hi)) if hi is not None else x

    return fn


class _ShaderFormula:
    """float_formulas' primitives through the kernel builder (WGSL has no expm1: exp(x) - 1)."""

    def __init__(self, b: KernelBuilder):
        self.b = b
        self.const = b.f32
        self.add, self.sub, self.mul, self.div = b.fadd, b.fsub, b.fmul, b.fdiv
        self.min, self.max, self.neg = b.fmin, b.fmax, b.fneg

    def exp(self, x):
        return self.b.math("exp", x)

    def expm1(self, x):
        return self.b.fsub(self.b.math("exp", x), self.b.f32(1.0))

    def tanh(self, x):
        return self.b.math("tanh", x)

    def abs(self, x):
        return self.b.math("absf", x)

    def select_lt(self, a, b, then, otherwise):
        return self.b.select(self.b.fcmp("olt", a, b), then, otherwise)


def round_half_away(b: KernelBuilder, v: str) -> str:
    """std::round, as LiteRT rounds: halves away from zero."""
    half = b.f32(0.5)
    return b.select(
        b.fcmp("olt", v, b.f32(0.0)),
        b.math("ceil", b.fsub(v, half)),
        b.math("floor", b.fadd(v, half)),
    )


def on_int8_grid(b: KernelBuilder, x: str, q: ActivationQuant) -> str:
    """`x` as an int8 tensor of quantization `q` holds it: rounded to the grid (halves away from
    zero, as LiteRT rounds) and clamped to the int8 range, as a real value again."""
    steps = round_half_away(b, b.fdiv(x, b.f32(q.scale)))
    lo, hi = q.qmin - q.zero_point, q.qmax - q.zero_point
    return b.fmul(b.fmin(b.fmax(steps, b.f32(lo)), b.f32(hi)), b.f32(q.scale))


def _stored(b: KernelBuilder, node: Node, ctx: KernelContext, value: str) -> str:
    """An op's value as its output tensor stores it: int8 results (int8 models computed in
    float) keep their int8 semantics, saturation and rounding, which measured necessary on the
    corpus (tests/test_gpu_int8.py); float results unchanged."""
    q = ctx.graph.tensors[node.outputs[0]].quant
    return value if q is None else on_int8_grid(b, value, q)


def _formula(op: str):
    return lambda b, x, node: render_op(op, _ShaderFormula(b), x, node.attrs.get)


UNARY: dict[str, Callable[[KernelBuilder, str, Node], str]] = {
    **{op: _formula(op) for op in FORMULA_OPS},
    "relu": _relu_n(0.0, None),
    "relu6": _relu_n(0.0, 6.0),
    "relu_n1_to_1": _relu_n(-1.0, 1.0),
    "relu_0_to_1": _relu_n(0.0, 1.0),
    "exp": lambda b, x, n: b.math("exp", x),
    "abs": lambda b, x, n: b.math("absf", x),
    "sqrt": lambda b, x, n: b.math("sqrt", x),
    "rsqrt": lambda b, x, n: b.math("rsqrt", x),
    "log": lambda b, x, n: b.math("log", x),
    "floor": lambda b, x, n: b.math("floor", x),
    "ceil": lambda b, x, n: b.math("ceil", x),
    "square": lambda b, x, n: b.fmul(x, x),
    "sin": lambda b, x, n: b.math("sin", x),
    "cos": lambda b, x, n: b.math("cos", x),
    "round": lambda b, x, n: b.math("roundeven", x),  # TFLite rounds halves to even
    "sign": lambda b, x, n: b.select(
        b.fcmp("ogt", x, b.f32(0.0)),
        b.f32(1.0),
        b.select(b.fcmp("olt", x, b.f32(0.0)), b.f32(-1.0), b.f32(0.0)),
    ),
    "zeros_like": lambda b, x, n: b.f32(0.0),
    "fake_quant": lambda b, x, n: _fake_quant(b, x, n),
    # int8 models (quantized.py): the rounding to the output's grid is `_stored`'s, as for
    # every int8 result; `dequantize` is an alias.
    "quantize": lambda b, x, n: x,
}

BINARY: dict[str, Callable[[KernelBuilder, str, str], str]] = {
    "add": lambda b, x, y: b.fadd(x, y),
    "sub": lambda b, x, y: b.fsub(x, y),
    "mul": lambda b, x, y: b.fmul(x, y),
    "div": lambda b, x, y: b.fdiv(x, y),
    "maximum": lambda b, x, y: b.fmax(x, y),
    "minimum": lambda b, x, y: b.fmin(x, y),
    "squared_difference": lambda b, x, y: b.fmul(b.fsub(x, y), b.fsub(x, y)),
    "pow": lambda b, x, y: b._op("f32", f"math.powf {x}, {y} : f32"),
    "prelu": lambda b, x, y: b.select(b.fcmp("oge", x, b.f32(0.0)), x, b.fmul(x, y)),
    "floor_div": lambda b, x, y: b.math("floor", b.fdiv(x, y)),
    "atan2": lambda b, x, y: b._op("f32", f"math.atan2 {x}, {y} : f32"),
    # std::fmod (x - trunc(x / y) * y), moved to the divisor's sign as TFLite does
    "floor_mod": lambda b, x, y: _floor_mod(
        b, b.fsub(x, b.fmul(b.math("trunc", b.fdiv(x, y)), y)), y
    ),
}


def _fake_quant(b: KernelBuilder, x: str, node: Node) -> str:
    """x clamped to the nudged range and rounded to its grid (the interpreter's formula)."""
    lo, hi, scale, inv = (float(v) for v in fake_quant_params(node.attrs))
    clamped = b.fmin(b.fmax(x, b.f32(lo)), b.f32(hi))
    steps = round_half_away(b, b.fmul(b.fsub(clamped, b.f32(lo)), b.f32(inv)))
    return b.fadd(b.fmul(steps, b.f32(scale)), b.f32(lo))


def _floor_mod(b: KernelBuilder, r: str, y: str) -> str:
    zero = b.f32(0.0)
    moves = b.and_(b.fcmp("une", r, zero), b.xor(b.fcmp("olt", r, zero), b.fcmp("olt", y, zero)))
    return b.select(moves, b.fadd(r, y), r)


# Elementwise ops whose lowering reads the operand and result types (bool and integer tensors
# are exact float values, runtime/gpu_arena.py), or that take other than one or two operands:
# `fn(b, values, node, ctx) -> value` (lower_typed.py).
TypedFn = Callable[[KernelBuilder, list[str], Node, "KernelContext"], str]
TYPED: dict[str, TypedFn] = {}

# Operands that carry tensor data, per op; an op listed here needs every other operand to be
# a constant (axes, paddings, indices): unsupported_reason says which one is not.
DATA_OPERANDS: dict[str, tuple[int, ...] | None] = {}

# Ops refused for some operand or result types: `fn(node, graph) -> reason or None`.
REFUSALS: dict[str, Callable[[Node, Graph], str | None]] = {}


ACTIVATIONS = {
    "NONE": None,
    "RELU": _relu_n(0.0, None),
    "RELU6": _relu_n(0.0, 6.0),
    "RELU_N1_TO_1": _relu_n(-1.0, 1.0),
    "TANH": UNARY["tanh"],
}


def fused_activation(b: KernelBuilder, x: str, node: Node) -> str:
    name = node.attrs.get("fused_activation_function", "NONE")
    if name not in ACTIVATIONS:
        raise TflcError(f"fused activation {name} has no shader lowering", node.where)
    fn = ACTIVATIONS[name]
    return fn(b, x, node) if fn is not None else x


def is_elementwise(node: Node) -> bool:
    return node.op in UNARY or node.op in BINARY or node.op in TYPED


def nonconstant_parameter(node: Node, graph: Graph) -> int | None:
    """The first operand that the op's lowering needs as a constant and is not, else None."""
    if node.op not in DATA_OPERANDS:
        return None
    data = DATA_OPERANDS[node.op]
    for k, t in enumerate(node.inputs):
        if t is not None and (data is not None and k not in data) and graph.const(t) is None:
            return k
    return None


def operand_shape(node: Node, k: int, ctx: KernelContext) -> tuple[int, ...]:
    """Operand `k`'s shape as it broadcasts against the output: numpy's rules, except that
    SELECT's rank-1 condition picks whole rows (as the interpreter's kernel reads it)."""
    shape = ctx.shape(node.inputs[k])
    out_rank = len(ctx.shape(node.outputs[0]))
    if node.op == "select" and k == 0 and len(shape) == 1 and out_rank > 1:
        return shape + (1,) * (out_rank - 1)
    return shape


def apply_elementwise(
    b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str], chain: dict[int, str]
) -> str:
    """The op's value at `coords`; operands found in `chain` (fused values) are not loaded."""
    out_shape = ctx.shape(node.outputs[0])
    values = [
        chain[t]
        if t in chain
        else ctx.load_broadcast(b, t, coords, out_shape, operand_shape(node, k, ctx))
        for k, t in enumerate(node.inputs)
        if t is not None
    ]
    if node.op in TYPED:
        result = TYPED[node.op](b, values, node, ctx)
    else:
        if node.op in UNARY:
            result = UNARY[node.op](b, values[0], node)
        else:
            result = BINARY[node.op](b, values[0], values[1])
        if ctx.graph.tensors[node.outputs[0]].dtype not in ("f32", "i1"):
            result = b.math("roundeven", result)  # an integer result (pow) stays an integer
    return fused_activation(b, result, node)


AnchorFn = Callable[[KernelBuilder, Node, KernelContext, list[str]], str]
ANCHORS: dict[str, AnchorFn] = {}


def anchor(*names: str):
    def register(fn: AnchorFn) -> AnchorFn:
        for name in names:
            ANCHORS[name] = fn
        return fn

    return register


def anchor_key(node: Node) -> str:
    """The `ANCHORS` key: the op name, `custom:<code>` for custom ops."""
    code = node.attrs.get("custom_code") if node.op == "custom" else None
    return f"custom:{code}" if code else node.op


def has_lowering(node: Node) -> bool:
    return is_elementwise(node) or anchor_key(node) in ANCHORS


def shader_ops() -> set[str]:
    """The ops the gpu target runs (tfl names without the prefix, 'custom:Code' for custom
    ops): elementwise ops, anchors, the several-result ops it runs a dispatch per result of,
    the reshape-like ops it runs as aliases and the shape ops it computes at compile time."""
    parts = {f"{op}_part" for op in MULTI_RESULT_OPS}  # graph.py's, one per result
    whole = {op for op in MULTI_RESULT_OPS if f"{op}_part" in ANCHORS}
    anchors = set(ANCHORS) - parts
    steps = RECURRENT_OPS if "rnn_step" in ANCHORS else set()
    control = {"if", "while", "call"}  # on the host around dispatches (control_flow.py)
    return (
        set(UNARY) | set(BINARY) | set(TYPED) | anchors | ALIAS_OPS | SHAPE_OPS | whole | steps
    ) | control


SPLIT_ANCHORS = {"conv_2d", "fully_connected", "mean", "sum"}
LANE_ANCHORS = {"conv_2d"}  # depthwise lanes measured no faster on lavapipe


def emit_group(
    b: KernelBuilder, nodes: list[Node], ctx: KernelContext, parts: int = 1, lanes: int = 1
) -> None:
    """The kernel of one fused group: anchor, epilogue, one guarded store.

    With `parts` > 1 (split-K), `parts` neighbouring invocations share one output element: each
    reduces a strided share of the anchor's loop, workgroup memory sums the shares, and every
    invocation computes in uniform control flow (a barrier needs it) on a clamped index.
    With `lanes` > 1, one invocation computes that many neighbouring output channels, sharing
    their input loads and index arithmetic.
    """
    out = nodes[-1].outputs[0]
    out_shape = ctx.shape(out)
    total = int(np.prod(out_shape, dtype=np.int64))
    if parts > 1:
        b.shared_floats = b.workgroup_size
        tid = b._op("index", "gpu.thread_id x")
        block = b.add(b.mul(b._op("index", "gpu.block_id y"), b._op("index", "gpu.grid_dim x")),
                      b._op("index", "gpu.block_id x"))  # fmt: skip
        i = b.add(b.mul(block, b.workgroup_size // parts), b.div(tid, parts))
        ctx.split, ctx.local_id = (b.rem(tid, parts), parts), tid
        ok = b.and_(b.cmp("slt", i, total), b.cmp("eq", b.rem(tid, parts), 0))
        i = b.imin(i, total - 1)
    elif lanes > 1:
        i = b.linear_id()
        ok = b.cmp("slt", i, total // lanes)
        with b.guard(ok):
            first = b.mul(i, lanes)
            coords = b.unravel(first, list(out_shape))
            ctx.lanes = lanes
            anchor_values = ANCHORS[anchor_key(nodes[0])](b, nodes[0], ctx, coords)
            values = [_stored(b, nodes[0], ctx, v) for v in anchor_values]
            ctx.lanes = 1
            _, base = ctx.addr(out)
            for j, value in enumerate(values):
                lane = coords[:-1] + [b.add(coords[-1], j) if j else coords[-1]]
                for prev, node in zip(nodes, nodes[1:], strict=False):
                    value = apply_elementwise(b, node, ctx, lane, {prev.outputs[0]: value})
                    value = _stored(b, node, ctx, value)
                b.store(value, b.add(first, base + j))
        return
    else:
        i = b.linear_id()
        ok = b.cmp("slt", i, total)
    value = _group_value(b, nodes, ctx, i, out_shape) if parts > 1 else None
    ctx.split = ctx.local_id = None
    with b.guard(ok):
        if value is None:
            value = _group_value(b, nodes, ctx, i, out_shape)
        _, base = ctx.addr(out)
        b.store(value, b.add(i, base) if base else i)


def _group_value(b: KernelBuilder, nodes: list[Node], ctx: KernelContext, i: str, out_shape):
    coords = b.unravel(i, list(out_shape)) if out_shape else [i]
    first = nodes[0]
    if is_elementwise(first):
        value = apply_elementwise(b, first, ctx, coords, {})
    else:
        value = ANCHORS[anchor_key(first)](b, first, ctx, coords)
    value = _stored(b, first, ctx, value)
    for prev, node in zip(nodes, nodes[1:], strict=False):
        value = apply_elementwise(b, node, ctx, coords, {prev.outputs[0]: value})
        value = _stored(b, node, ctx, value)
    return value


# Register the anchors of the other modules.
from tflc.backends.gpu import lower_conv as _lower_conv  # noqa: E402, F401
from tflc.backends.gpu import lower_conv3d as _lower_conv3d  # noqa: E402, F401
from tflc.backends.gpu import lower_data as _lower_data  # noqa: E402, F401
from tflc.backends.gpu import lower_indexed as _lower_indexed  # noqa: E402, F401
from tflc.backends.gpu import lower_moves as _lower_moves  # noqa: E402, F401
from tflc.backends.gpu import lower_recurrent as _lower_recurrent  # noqa: E402, F401
from tflc.backends.gpu import lower_typed as _lower_typed  # noqa: E402, F401
