"""complex64 kernels: rfft2d, and real / imag / complex_abs of its results.

A complex64 tensor is stored as (real, imaginary) float32 pairs (kernel.memref_count), as C99
and numpy lay them out. rfft2d is a direct DFT, separable: each row's transform along the last
axis is written into the output, then each column of it is transformed in place through a stack
buffer; sums run in double over float32 twiddles of the exact angles (the interpreter's
np.fft.rfft2 and LiteRT's Ooura FFT compute in double too). Other ops refuse complex tensors
(module_builder.check_node) rather than move half of each value.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu.emitter import Function
from tflc.backends.cpu.graph import Node
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling
from tflc.errors import TflcError

COMPLEX = "complex<f32>"
PART_OPS = {"real": 0, "imag": 1}
COMPLEX_OPS = {*PART_OPS, "complex_abs", "rfft2d"}


def _types(node: Node, src: str, dst: str) -> None:
    x_t, y_t = node.inputs[0], node.outputs[0]
    if x_t.dtype != src or y_t.dtype != dst:
        raise TflcError(f"'{node.op}' of {x_t.dtype} to {y_t.dtype}", node.where)


def emit_part(k: Kernel, t: Tiling, node: Node) -> None:
    """real / imag: every other float of the pairs."""
    _types(node, COMPLEX, "f32")
    fn = k.fn
    x, y = k.arg_tensor(node.inputs[0]), k.arg_tensor(node.outputs[0])
    with fn.loop(0, node.outputs[0].size) as i:
        at = fn.add(fn.mul(i, 2), PART_OPS[node.op])
        fn.store(fn.load(x[0], x[1], at), y[0], y[1], i)


def emit_complex_abs(k: Kernel, t: Tiling, node: Node) -> None:
    """|z| = sqrt(re^2 + im^2) in double (no overflow of the squares), rounded to float32."""
    _types(node, COMPLEX, "f32")
    fn = k.fn
    x, y = k.arg_tensor(node.inputs[0]), k.arg_tensor(node.outputs[0])
    with fn.loop(0, node.outputs[0].size) as i:
        re, im = (_load64(fn, x, fn.add(fn.mul(i, 2), p)) for p in (0, 1))
        sq = fn.op(f"arith.addf {_mul64(fn, re, re)}, {_mul64(fn, im, im)} : f64")
        norm = fn.op(f"math.sqrt {sq} : f64")
        fn.store(fn.op(f"arith.truncf {norm} : f64 to f32"), y[0], y[1], i)


def _load64(fn: Function, mem, at: str) -> str:
    return fn.op(f"arith.extf {fn.load(mem[0], mem[1], at)} : f32 to f64")


def _mul64(fn: Function, a: str, b: str) -> str:
    return fn.op(f"arith.mulf {a}, {b} : f64")


def _twiddles(k: Kernel, n: int):
    """cos and -sin of 2 pi j / n for j < n (float32 of the double angles)."""
    angles = 2 * np.pi * np.arange(n) / n
    return k.arg_const(np.stack([np.cos(angles), -np.sin(angles)], axis=1).reshape(-1))


def _rotate(fn: Function, tw, j: str, n: int, re: str, im: str) -> tuple[str, str]:
    """(re + i im) * exp(-2 pi i j / n), j taken modulo n, in double."""
    at = fn.mul(fn.op(f"arith.remui {j}, {fn.idx(n)} : index"), 2)
    c, s = _load64(fn, tw, at), _load64(fn, tw, fn.add(at, 1))
    out_re = fn.op(f"arith.subf {_mul64(fn, re, c)}, {_mul64(fn, im, s)} : f64")
    out_im = fn.op(f"arith.addf {_mul64(fn, re, s)}, {_mul64(fn, im, c)} : f64")
    return out_re, out_im


def emit_rfft2d(k: Kernel, t: Tiling, node: Node) -> None:
    """out[.., u, v] = sum over y < fh, x < fw of in[.., y, x] exp(-2 pi i (u y / fh + v x /
    fw)) for v <= fw / 2, the input cropped or zero-padded to fft_length (np.fft.rfft2)."""
    x_t, y_t = node.inputs[0], node.outputs[0]
    _types(node, "f32", COMPLEX)
    fh, fw = (int(v) for v in np.asarray(node.inputs[1].value).reshape(-1))
    h, w = x_t.shape[-2:]
    cols = fw // 2 + 1
    batches = x_t.size // (h * w)
    if tuple(y_t.shape[-2:]) != (fh, cols) or y_t.size != batches * fh * cols:
        raise TflcError(f"rfft2d output {list(y_t.shape)} for fft_length {[fh, fw]}", node.where)
    fn = k.fn
    x, y = k.arg_tensor(x_t), k.arg_tensor(y_t)
    tw_w, tw_h = _twiddles(k, fw), _twiddles(k, fh)
    column = fn.op(f"memref.alloca() : memref<{2 * fh}xf64>")
    column_ty = f"memref<{2 * fh}xf64>"
    zero = fn._const("0.0", "f64")
    with fn.loop(0, batches) as b:
        with fn.loop(0, min(h, fh)) as r, fn.loop(0, cols) as v:  # rows along the last axis
            with fn.loop_carried(0, min(w, fw), 1, [zero, zero], ["f64", "f64"]) as (c, acc, res):
                value = _load64(fn, x, fn.lin([(b, h * w), (r, w), (c, 1)]))
                re, im = _rotate(fn, tw_w, fn.op(f"arith.muli {v}, {c} : index"), fw, value, zero)
                res[:] = [
                    fn.op(f"arith.addf {acc[0]}, {re} : f64"),
                    fn.op(f"arith.addf {acc[1]}, {im} : f64"),
                ]
            _store_pair(fn, y, fn.lin([(b, fh * cols), (r, cols), (v, 1)]), res)
        with fn.loop(0, cols) as v:  # then each column, through the stack buffer
            with fn.loop(0, fh) as u:
                init = [zero, zero]
                with fn.loop_carried(0, min(h, fh), 1, init, ["f64", "f64"]) as (r, acc, res):
                    at = fn.mul(fn.lin([(b, fh * cols), (r, cols), (v, 1)]), 2)
                    re, im = _load64(fn, y, at), _load64(fn, y, fn.add(at, 1))
                    re, im = _rotate(fn, tw_h, fn.op(f"arith.muli {u}, {r} : index"), fh, re, im)
                    res[:] = [
                        fn.op(f"arith.addf {acc[0]}, {re} : f64"),
                        fn.op(f"arith.addf {acc[1]}, {im} : f64"),
                    ]
                fn.store(res[0], column, column_ty, fn.mul(u, 2))
                fn.store(res[1], column, column_ty, fn.add(fn.mul(u, 2), 1))
            with fn.loop(0, fh) as u:
                pair = [fn.load(column, column_ty, fn.add(fn.mul(u, 2), p)) for p in (0, 1)]
                _store_pair(fn, y, fn.lin([(b, fh * cols), (u, cols), (v, 1)]), pair)


def _store_pair(fn: Function, y, index: str, pair: list[str]) -> None:
    for p, value in enumerate(pair):
        narrow = fn.op(f"arith.truncf {value} : f64 to f32")
        fn.store(narrow, y[0], y[1], fn.add(fn.mul(index, 2), p))
