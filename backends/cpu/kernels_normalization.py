"""Float normalizations along the last axis: l2_normalization and local_response_normalization.

Each row of the last axis is read twice: once to sum squares, once to scale. The arithmetic is
TFLite's float kernels' (the interpreter's runtime/kernels/activations.py computes the same in
double, within the cpu's float tolerance).
"""

from __future__ import annotations

from tflc.backends.cpu.emitter import activation
from tflc.backends.cpu.graph import Node
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling
from tflc.runtime.kernels.activations import L2_NORM_EPSILON


def _rows(node: Node) -> tuple[int, int]:
    x_t = node.inputs[0]
    n = x_t.shape[-1] if x_t.shape else 1
    return x_t.size // max(n, 1), n


def emit_l2_normalization(k: Kernel, t: Tiling, node: Node) -> None:
    """x / max(sqrt(sum of squares of the row), L2_NORM_EPSILON), then the fused activation."""
    fn = k.fn
    rows, n = _rows(node)
    x, y = k.arg_tensor(node.inputs[0]), k.arg_tensor(node.outputs[0])
    act = node.attr("fused_activation_function", "NONE")
    with fn.loop(0, rows) as r:
        base = fn.mul(r, n)
        with fn.loop_carried(0, n, 1, [fn.f32(0.0)], "f32") as (j, acc, res):
            v = fn.load(x[0], x[1], fn.add(base, j))
            res[:] = [fn.op(f"arith.addf {acc[0]}, {fn.op(f'arith.mulf {v}, {v} : f32')} : f32")]
        norm = fn.op(f"math.sqrt {res[0]} : f32")
        norm = fn.op(f"arith.maximumf {norm}, {fn.f32(L2_NORM_EPSILON)} : f32")
        with fn.loop(0, n) as j:
            at = fn.add(base, j)
            v = fn.op(f"arith.divf {fn.load(x[0], x[1], at)}, {norm} : f32")
            fn.store(activation(fn, v, act, "f32"), y[0], y[1], at)


def emit_local_response_normalization(k: Kernel, t: Tiling, node: Node) -> None:
    """x * (bias + alpha * sum of squares within `radius` channels) ** -beta."""
    fn = k.fn
    rows, n = _rows(node)
    radius = int(node.attr("radius", 5))
    bias, alpha = float(node.attr("bias", 1.0)), float(node.attr("alpha", 1.0))
    beta = float(node.attr("beta", 0.5))
    x, y = k.arg_tensor(node.inputs[0]), k.arg_tensor(node.outputs[0])
    with fn.loop(0, rows) as r, fn.loop(0, n) as c:
        base = fn.mul(r, n)
        lo = fn.op(
            f"arith.maxsi {fn.op(f'arith.subi {c}, {fn.idx(radius)} : index')}, {fn.idx(0)} : index"
        )
        hi = fn.op(f"arith.minsi {fn.add(c, radius + 1)}, {fn.idx(n)} : index")
        with fn.loop_carried(lo, hi, 1, [fn.f32(0.0)], "f32") as (j, acc, res):
            v = fn.load(x[0], x[1], fn.add(base, j))
            res[:] = [fn.op(f"arith.addf {acc[0]}, {fn.op(f'arith.mulf {v}, {v} : f32')} : f32")]
        scaled = fn.op(f"arith.mulf {res[0]}, {fn.f32(alpha)} : f32")
        denom = fn.op(f"arith.addf {scaled}, {fn.f32(bias)} : f32")
        factor = fn.op(f"math.powf {denom}, {fn.f32(-beta)} : f32")
        at = fn.add(base, c)
        fn.store(fn.op(f"arith.mulf {fn.load(x[0], x[1], at)}, {factor} : f32"), y[0], y[1], at)
