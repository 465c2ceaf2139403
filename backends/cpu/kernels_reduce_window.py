"""REDUCE_WINDOW on float32, integer and bool tensors: constant window, strides and
dilations (the verifier's shape function checked the output shape). Each output element folds
its window from the scalar init value in row-major window order, as
runtime/kernels/stablehlo_reduce.py folds it: two compile-time index tables (window origin per
output element, offset per window element), as the reductions use (kernels_typed).
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu.emitter import Function
from tflc.backends.cpu.graph import Node
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling
from tflc.backends.cpu.kernels_typed import load_value, store_value, tensor_arg, value_type
from tflc.errors import TflcError
from tflc.runtime.kernels.stablehlo_reduce import WINDOW_FUNCTIONS

# function -> (float op, signed op, unsigned op, bool op); None: the truth-value fold
_FOLDS = {
    "ADD": ("arith.addf", "arith.addi", "arith.addi", "arith.ori"),  # numpy's bool add is OR
    "MUL": ("arith.mulf", "arith.muli", "arith.muli", "arith.andi"),
    "MINIMUM": ("arith.minimumf", "arith.minsi", "arith.minui", "arith.andi"),  # NaN wins
    "MAXIMUM": ("arith.maximumf", "arith.maxsi", "arith.maxui", "arith.ori"),
    "ALL": (None, None, None, "arith.andi"),
    "ANY": (None, None, None, "arith.ori"),
}
assert set(_FOLDS) == set(WINDOW_FUNCTIONS)
_KINDS = ("float", "int", "uint", "bool")


def window_tables(in_shape, out_shape, window, strides, dilations):
    """(flat input index of each output element's window origin, offset of each window
    element from its origin), both in row-major order."""
    in_strides = np.array([int(np.prod(in_shape[k + 1 :])) for k in range(len(in_shape))])

    def flat(shape, step) -> np.ndarray:
        grid = np.indices(shape).reshape(len(shape), -1).T
        return (grid * np.asarray(step) * in_strides).sum(axis=1).astype(np.int32)

    return flat(out_shape, strides), flat(window, dilations)


def _fold(fn: Function, function: str, a: str, b: str, ty: str, kind: str) -> str:
    op = _FOLDS[function][_KINDS.index(kind)]
    if op is not None:
        return fn.op(f"{op} {a}, {b} : {ty}")
    # ALL / ANY of numbers: numpy's logical_and / logical_or, stored back as 0 or 1
    zero = fn._const("0.0" if kind == "float" else "0", ty)
    cmp = "arith.cmpf une" if kind == "float" else "arith.cmpi ne"
    ta, tb = (fn.op(f"{cmp}, {v}, {zero} : {ty}") for v in (a, b))
    both = fn.op(f"arith.{'andi' if function == 'ALL' else 'ori'} {ta}, {tb} : i1")
    return fn.op(f"arith.{'uitofp' if kind == 'float' else 'extui'} {both} : i1 to {ty}")


def emit_reduce_window(k: Kernel, t: Tiling, node: Node) -> None:
    fn = k.fn
    x_t, init_t, y_t = node.inputs[0], node.inputs[1], node.outputs[0]
    function = node.attr("reduce_function")
    if function not in _FOLDS:
        raise TflcError(f"reduce function {function} is not supported", node.where)
    ty, kind = value_type(x_t, node)
    if value_type(y_t, node) != (ty, kind) or init_t.dtype != x_t.dtype or init_t.size != 1:
        raise TflcError(
            "'reduce_window' takes an input, init value and output of one type", node.where
        )
    params = []
    for i in (2, 3, 4):
        if not node.inputs[i].is_const:
            raise TflcError(
                "reduce_window needs constant window, strides and dilations", node.where
            )
        params.append([int(v) for v in np.asarray(node.inputs[i].value).reshape(-1)])
    if any(len(p) != len(x_t.shape) for p in params) or min(sum(params, []), default=1) < 1:
        raise TflcError(
            f"window, strides and dilations must be {len(x_t.shape)} positive values", node.where
        )
    base, offsets = window_tables(x_t.shape, y_t.shape, *params)
    x, init, y = tensor_arg(k, x_t), tensor_arg(k, init_t), k.arg_tensor(y_t)
    bt, ot = k.arg_const(base), k.arg_const(offsets)
    start = load_value(fn, init, fn.idx(0), init_t)
    with fn.loop(0, y_t.size) as o:
        b0 = fn.op(f"arith.index_cast {fn.load(bt[0], bt[1], o)} : i32 to index")
        with fn.loop_carried(0, len(offsets), 1, [start], ty) as (w, acc, res):
            off = fn.op(f"arith.index_cast {fn.load(ot[0], ot[1], w)} : i32 to index")
            value = load_value(fn, x, fn.add(b0, off), x_t)
            res[:] = [_fold(fn, function, acc[0], value, ty, kind)]
        store_value(fn, res[0], y, o, y_t)
