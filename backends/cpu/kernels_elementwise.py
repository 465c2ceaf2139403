"""Float elementwise kernels: unary activations, broadcasting binary ops, softmax, reductions.

Innermost dimensions are vectorized (masked tail); a broadcast operand whose innermost stride
is 0 is loaded once and splat.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu.emitter import Function, activation, vty
from tflc.backends.cpu.graph import Node
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling
from tflc.runtime.kernels.float_formulas import FORMULA_OPS, render_op
from tflc.runtime.kernels.quantize import fake_quant_params

UNARY_OPS = {
    "relu",
    "relu6",
    "relu_n1_to_1",
    "relu_0_to_1",
    "leaky_relu",
    "logistic",
    "tanh",
    "exp",
    "hard_swish",
    "neg",
    "abs",
    "sqrt",
    "rsqrt",
    "log",
    "square",
    "floor",
    "ceil",
    "elu",
    "gelu",
    "sin",
    "cos",
    "fake_quant",
}
BINARY_OPS = {
    "add",
    "sub",
    "mul",
    "div",
    "maximum",
    "minimum",
    "squared_difference",
    "prelu",
    "pow",
}
REDUCE_OPS = {"mean", "sum", "reduce_max", "reduce_min", "reduce_prod"}


class _MlirFormula:
    """float_formulas' primitives as arith / math ops on `ty` (f32 or a vector of f32)."""

    def __init__(self, fn: Function, ty: str, const):
        self.fn, self.ty, self.const = fn, ty, const

    def _op(self, name: str, *args: str) -> str:
        return self.fn.op(f"{name} {', '.join(args)} : {self.ty}")

    def add(self, a, b):
        return self._op("arith.addf", a, b)

    def sub(self, a, b):
        return self._op("arith.subf", a, b)

    def mul(self, a, b):
        return self._op("arith.mulf", a, b)

    def div(self, a, b):
        return self._op("arith.divf", a, b)

    def min(self, a, b):
        return self._op("arith.minimumf", a, b)

    def max(self, a, b):
        return self._op("arith.maximumf", a, b)

    def neg(self, a):
        return self._op("arith.negf", a)

    def exp(self, a):
        return self._op("math.exp", a)

    def expm1(self, a):
        return self._op("math.expm1", a)

    def tanh(self, a):
        return self._op("math.tanh", a)

    def abs(self, a):
        return self._op("math.absf", a)

    def select_lt(self, a, b, then, otherwise):
        lt = self.fn.op(f"arith.cmpf olt, {a}, {b} : {self.ty}")
        mask = self.ty.replace("f32", "i1")
        return self.fn.op(f"arith.select {lt}, {then}, {otherwise} : {mask}, {self.ty}")


def _unary(fn: Function, op: str, x: str, ty: str, node: Node) -> str:
    n = int(ty.split("<")[1].split("x")[0]) if ty != "f32" else None

    def c(v: float) -> str:
        return fn.f32(v) if n is None else fn.vf32(v, n)

    if op in ("relu", "relu6", "relu_n1_to_1"):
        return activation(fn, x, op.upper(), ty)
    if op == "relu_0_to_1":
        x = fn.op(f"arith.maximumf {x}, {c(0.0)} : {ty}")
        return fn.op(f"arith.minimumf {x}, {c(1.0)} : {ty}")
    if op in FORMULA_OPS:  # the activations every target shares
        return render_op(op, _MlirFormula(fn, ty, c), x, node.attr)
    simple = {
        "exp": "math.exp",
        "neg": "arith.negf",
        "abs": "math.absf",
        "sqrt": "math.sqrt",
        "rsqrt": "math.rsqrt",
        "log": "math.log",
        "floor": "math.floor",
        "ceil": "math.ceil",
        "sin": "math.sin",
        "cos": "math.cos",
    }
    if op in simple:
        return fn.op(f"{simple[op]} {x} : {ty}")
    if op == "square":
        return fn.op(f"arith.mulf {x}, {x} : {ty}")
    if op == "fake_quant":
        return _fake_quant(fn, x, ty, c, node)
    raise NotImplementedError(op)


def _fake_quant(fn: Function, x: str, ty: str, c, node: Node) -> str:
    """round((clamp(x) - nudged min) / scale) * scale + nudged min in float32, on the nudged
    range the interpreter derives (quantize.fake_quant_params); rounding half away from zero
    as tflite_round; each step rounded apart (no fused multiply-add)."""
    nmin, nmax, scale, inv = fake_quant_params(node.attrs)
    x = fn.op(f"arith.minimumf {fn.op(f'arith.maximumf {x}, {c(nmin)} : {ty}')}, {c(nmax)} : {ty}")
    steps = fn.op(f"arith.mulf {fn.op(f'arith.subf {x}, {c(nmin)} : {ty}')}, {c(inv)} : {ty}")
    scaled = fn.op(f"arith.mulf {fn.op(f'math.round {steps} : {ty}')}, {c(scale)} : {ty}")
    return fn.op(f"arith.addf {scaled}, {c(nmin)} : {ty}")


def _binary(fn: Function, op: str, a: str, b: str, ty: str) -> str:
    simple = {
        "add": "arith.addf",
        "sub": "arith.subf",
        "mul": "arith.mulf",
        "div": "arith.divf",
        "maximum": "arith.maximumf",
        "minimum": "arith.minimumf",
        "pow": "math.powf",
    }
    if op in simple:
        return fn.op(f"{simple[op]} {a}, {b} : {ty}")
    if op == "squared_difference":
        d = fn.op(f"arith.subf {a}, {b} : {ty}")
        return fn.op(f"arith.mulf {d}, {d} : {ty}")
    if op == "prelu":
        zero = fn.f32(0.0) if ty == "f32" else fn.vf32(0.0, int(ty.split("<")[1].split("x")[0]))
        ab = fn.op(f"arith.mulf {a}, {b} : {ty}")
        ge = fn.op(f"arith.cmpf oge, {a}, {zero} : {ty}")
        return fn.op(f"arith.select {ge}, {a}, {ab} : {ty.replace('f32', 'i1')}, {ty}")
    raise NotImplementedError(op)


def emit_unary(k: Kernel, t: Tiling, node: Node) -> None:
    fn, v = k.fn, t.lanes
    x = k.arg_tensor(node.inputs[0])
    y = k.arg_tensor(node.outputs[0])
    n = node.outputs[0].size
    main = n - n % v
    if main:
        with fn.loop(0, main, v) as i:
            fn.vstore(_unary(fn, node.op, fn.vload(x[0], x[1], i), vty(v), node), y[0], y[1], i)
    if n % v:
        i = fn.idx(main)
        xv = fn.vload_n(x[0], x[1], i, n % v)
        fn.vstore_n(_unary(fn, node.op, xv, vty(v), node), y[0], y[1], i, n % v)


def _strides(shape: tuple[int, ...], out_shape: tuple[int, ...]) -> list[int]:
    """Element strides of `shape` broadcast to `out_shape` (0 along broadcast dims)."""
    shape = (1,) * (len(out_shape) - len(shape)) + tuple(shape)
    strides, acc = [], 1
    for d in reversed(shape):
        strides.append(acc if d != 1 else 0)
        acc *= d
    return list(reversed(strides))


def _coalesce(out_shape, stride_sets):
    """Merges adjacent dims that are contiguous for every operand."""
    dims = [(d, [s[i] for s in stride_sets]) for i, d in enumerate(out_shape) if d != 1]
    if not dims:
        return [1], [[0] for _ in stride_sets]
    merged = [dims[0]]
    for d, ss in dims[1:]:
        pd, pss = merged[-1]
        if all(p == s * d for p, s in zip(pss, ss, strict=True)):
            merged[-1] = (pd * d, ss)
        else:
            merged.append((d, ss))
    return [d for d, _ in merged], [[ss[i] for _, ss in merged] for i in range(len(stride_sets))]


def emit_binary(k: Kernel, t: Tiling, node: Node) -> None:
    fn, v = k.fn, t.lanes
    out_t = node.outputs[0]
    a_t, b_t = node.inputs[0], node.inputs[1]
    a = k.arg_tensor(a_t)
    b = k.arg_tensor(b_t)
    y = k.arg_tensor(out_t)
    act = node.attr("fused_activation_function", "NONE")
    shape, (sa, sb, so) = _coalesce(
        out_t.shape,
        [
            _strides(a_t.shape, out_t.shape),
            _strides(b_t.shape, out_t.shape),
            _strides(out_t.shape, out_t.shape),
        ],
    )
    inner = shape[-1]
    ivs: list[str] = []

    def operand(mem, strides, base, count):
        if strides[-1] == 0:
            return fn.splat(fn.load(mem[0], mem[1], base))
        return fn.vload_n(mem[0], mem[1], base, count)

    def body():
        base_a = fn.lin(list(zip(ivs, sa[:-1], strict=True)))
        base_b = fn.lin(list(zip(ivs, sb[:-1], strict=True)))
        base_o = fn.lin(list(zip(ivs, so[:-1], strict=True)))

        def chunk(i, count):
            ia = fn.add(base_a, fn.mul(i, sa[-1]))
            ib = fn.add(base_b, fn.mul(i, sb[-1]))
            r = _binary(fn, node.op, operand(a, sa, ia, count), operand(b, sb, ib, count), vty(v))
            r = activation(fn, r, act, vty(v))
            fn.vstore_n(r, y[0], y[1], fn.add(base_o, i), count)

        main = inner - inner % v
        if main:
            with fn.loop(0, main, v) as i:
                chunk(i, v)
        if inner % v:
            chunk(main, inner % v)

    def nest(level: int):
        if level == len(shape) - 1:
            body()
            return
        with fn.loop(0, shape[level]) as iv:
            ivs.append(iv)
            nest(level + 1)
            ivs.pop()

    nest(0)


def _reduction_tables(in_shape, axes) -> tuple[np.ndarray, np.ndarray]:
    """(base index per output element, offset per reduced element) of a reduction."""
    rank = len(in_shape)
    axes = sorted({a % rank for a in axes})
    keep = [d for d in range(rank) if d not in axes]
    idx = np.arange(int(np.prod(in_shape)), dtype=np.int64).reshape(in_shape)
    idx = idx.transpose(keep + axes).reshape(
        int(np.prod([in_shape[d] for d in keep])), int(np.prod([in_shape[d] for d in axes]))
    )
    return idx[:, 0].astype(np.int32), (idx[0, :] - idx[0, 0]).astype(np.int32)


def emit_reduce(k: Kernel, t: Tiling, node: Node) -> None:
    fn, v = k.fn, t.lanes
    x_t = node.inputs[0]
    axes = np.asarray(node.inputs[1].value).reshape(-1).tolist()
    base, offs = _reduction_tables(x_t.shape, axes)
    x = k.arg_tensor(x_t)
    y = k.arg_tensor(node.outputs[0])
    op = {"mean": "arith.addf", "sum": "arith.addf", "reduce_max": "arith.maximumf"}
    op |= {"reduce_min": "arith.minimumf", "reduce_prod": "arith.mulf"}
    init = {
        "mean": 0.0,
        "sum": 0.0,
        "reduce_max": -np.inf,
        "reduce_min": np.inf,
        "reduce_prod": 1.0,
    }
    # Reductions over all but a contiguous innermost run (global pooling): vectorize that run.
    inner = 1
    for d in reversed(range(len(x_t.shape))):
        if d in {a % len(x_t.shape) for a in axes}:
            break
        inner *= x_t.shape[d]
    n_red = len(offs)
    init_value = init[node.op]
    if inner > 1 and len(base) % inner == 0:
        outer = len(base) // inner
        bt = k.arg_const(base[::inner].copy())
        ot = k.arg_const(offs)
        with fn.loop(0, outer) as o:
            b0 = fn.op(f"arith.index_cast {fn.load(bt[0], bt[1], o)} : i32 to index")

            def chunk(c0, count):
                init = [fn.vf32(init_value)]
                with fn.loop_carried(0, n_red, 1, init, vty(v)) as (r, acc, res):
                    off = fn.op(f"arith.index_cast {fn.load(ot[0], ot[1], r)} : i32 to index")
                    xv = fn.vload_n(x[0], x[1], fn.add(fn.add(b0, off), c0), count)
                    res[:] = [fn.op(f"{op[node.op]} {acc[0]}, {xv} : {vty(v)}")]
                val = res[0]
                if node.op == "mean":
                    val = fn.op(f"arith.divf {val}, {fn.vf32(float(n_red))} : {vty(v)}")
                fn.vstore_n(val, y[0], y[1], fn.add(fn.mul(o, inner), c0), count)

            main = inner - inner % v
            if main:
                with fn.loop(0, main, v) as c0:
                    chunk(c0, v)
            if inner % v:
                chunk(main, inner % v)
        return
    bt = k.arg_const(base)
    ot = k.arg_const(offs)
    with fn.loop(0, len(base)) as o:
        b0 = fn.op(f"arith.index_cast {fn.load(bt[0], bt[1], o)} : i32 to index")
        with fn.loop_carried(0, n_red, 1, [fn.f32(init[node.op])], "f32") as (r, acc, res):
            off = fn.op(f"arith.index_cast {fn.load(ot[0], ot[1], r)} : i32 to index")
            xv = fn.load(x[0], x[1], fn.add(b0, off))
            res[:] = [fn.op(f"{op[node.op]} {acc[0]}, {xv} : f32")]
        val = res[0]
        if node.op == "mean":
            val = fn.op(f"arith.divf {val}, {fn.f32(float(n_red))} : f32")
        fn.store(val, y[0], y[1], o)


def emit_softmax(k: Kernel, t: Tiling, node: Node) -> None:
    fn = k.fn
    x_t = node.inputs[0]
    n = x_t.shape[-1]
    rows = x_t.size // n
    beta = float(node.attr("beta", 1.0))
    x = k.arg_tensor(x_t)
    y = k.arg_tensor(node.outputs[0])
    log = node.op == "log_softmax"
    with fn.loop(0, rows) as r:
        base = fn.mul(r, n)
        with fn.loop_carried(0, n, 1, [fn.f32(-np.inf)], "f32") as (i, acc, res):
            xv = fn.load(x[0], x[1], fn.add(base, i))
            res[:] = [fn.op(f"arith.maximumf {acc[0]}, {xv} : f32")]
        mx = res[0]
        with fn.loop_carried(0, n, 1, [fn.f32(0.0)], "f32") as (i, acc, res):
            xv = fn.load(x[0], x[1], fn.add(base, i))
            d = fn.op(f"arith.subf {xv}, {mx} : f32")
            d = fn.op(f"arith.mulf {d}, {fn.f32(beta)} : f32")
            e = fn.op(f"math.exp {d} : f32")
            if not log:
                fn.store(e, y[0], y[1], fn.add(base, i))
            res[:] = [fn.op(f"arith.addf {acc[0]}, {e} : f32")]
        total = res[0]
        if log:
            lg = fn.op(f"math.log {total} : f32")
        with fn.loop(0, n) as i:
            if log:
                xv = fn.load(x[0], x[1], fn.add(base, i))
                d = fn.op(f"arith.subf {xv}, {mx} : f32")
                d = fn.op(f"arith.mulf {d}, {fn.f32(beta)} : f32")
                val = fn.op(f"arith.subf {d}, {lg} : f32")
            else:
                e = fn.load(y[0], y[1], fn.add(base, i))
                val = fn.op(f"arith.divf {e}, {total} : f32")
            fn.store(val, y[0], y[1], fn.add(base, i))
