"""tfl-fold-constants: evaluates ops whose inputs are all constant, with numpy.

Covers the elementwise arithmetic and math ops, casts, shape ops (reshape, squeeze,
expand_dims, transpose, concatenation, pack, slice, gather, tile, fill, range) and reductions,
and `tfl.shape` of any statically shaped tensor. A result is folded only when it has at most
`MAX_FOLDED_ELEMENTS` elements and does not make the model larger: at most `SMALL_ELEMENTS`
elements, or no more than its constant inputs hold together. `tfl.dequantize` is never folded
(float16 and dynamic-range models keep their small weights), nor are quantized tensors.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.passes.rewrite.tfl import (
    activation,
    attr_str,
    const_value,
    replace_op,
    rewrite_pass,
    static_shape,
)

MAX_FOLDED_ELEMENTS = 1 << 22
SMALL_ELEMENTS = 1024

_DTYPES = {
    "f32": np.float32,
    "f16": np.float16,
    "i32": np.int32,
    "i64": np.int64,
}  # i1 left out: the bindings cannot build bool attributes from numpy

_UNARY = {
    "tfl.neg": np.negative,
    "tfl.abs": np.abs,
    "tfl.sqrt": np.sqrt,
    "tfl.rsqrt": lambda x: 1 / np.sqrt(x),
    "tfl.exp": np.exp,
    "tfl.log": np.log,
    "tfl.square": np.square,
    "tfl.tanh": np.tanh,
    "tfl.logistic": lambda x: 1 / (1 + np.exp(-x)),
    "tfl.relu": lambda x: np.maximum(x, 0),
    "tfl.relu6": lambda x: np.clip(x, 0, 6),
    "tfl.relu_n1_to_1": lambda x: np.clip(x, -1, 1),
    "tfl.floor": np.floor,
    "tfl.ceil": np.ceil,
    "tfl.sin": np.sin,
    "tfl.cos": np.cos,
    "tfl.logical_not": np.logical_not,
    "tfl.zeros_like": np.zeros_like,
}
_BINARY = {
    "tfl.add": np.add,
    "tfl.sub": np.subtract,
    "tfl.mul": np.multiply,
    "tfl.maximum": np.maximum,
    "tfl.minimum": np.minimum,
    "tfl.squared_difference": lambda a, b: np.square(a - b),
    "tfl.pow": np.power,
    "tfl.floor_div": np.floor_divide,
    "tfl.floor_mod": np.mod,
    "tfl.less": np.less,
    "tfl.less_equal": np.less_equal,
    "tfl.greater": np.greater,
    "tfl.greater_equal": np.greater_equal,
    "tfl.equal": np.equal,
    "tfl.not_equal": np.not_equal,
    "tfl.logical_and": np.logical_and,
    "tfl.logical_or": np.logical_or,
}
_REDUCE = {
    "tfl.sum": np.sum,
    "tfl.mean": np.mean,
    "tfl.reduce_max": np.max,
    "tfl.reduce_min": np.min,
    "tfl.reduce_prod": np.prod,
}
_ACTIVATIONS = {
    "NONE": lambda x: x,
    "RELU": lambda x: np.maximum(x, 0),
    "RELU6": lambda x: np.clip(x, 0, 6),
    "RELU_N1_TO_1": lambda x: np.clip(x, -1, 1),
}


def _int(op: ir.Operation, name: str) -> int:
    return int(attr_str(op, name))


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if np.issubdtype(a.dtype, np.floating):
        return a / b
    return None  # integer division rounding differs between kernels: leave it to the runtime


def _strided_slice_simple(op, x, begin, end, strides):
    masks = ("ellipsis_mask", "new_axis_mask", "shrink_axis_mask", "offset")
    if any(name in op.attributes and attr_str(op, name) not in (0, False) for name in masks):
        return None
    begin_mask, end_mask = _int(op, "begin_mask"), _int(op, "end_mask")
    index = []
    for i in range(begin.size):
        b = None if begin_mask >> i & 1 else int(begin[i])
        e = None if end_mask >> i & 1 else int(end[i])
        index.append(slice(b, e, int(strides[i])))
    return x[tuple(index)]


def evaluate(op: ir.Operation, args: list[np.ndarray], out_shape: list[int]) -> np.ndarray | None:
    """numpy's value of `op` on constant `args`, or None when this op is not foldable here."""
    name = op.name
    if name in _UNARY:
        return _UNARY[name](args[0])
    if name in _BINARY or name == "tfl.div":
        fn = _div if name == "tfl.div" else _BINARY[name]
        with np.errstate(all="ignore"):
            result = fn(args[0], args[1])
        if result is None or name not in FUSABLE:
            return result
        return _ACTIVATIONS.get(activation(op) or "NONE", lambda _: None)(result)
    if name in ("tfl.reshape", "tfl.squeeze", "tfl.expand_dims"):
        return args[0].reshape(out_shape)
    if name == "tfl.cast":
        return args[0]
    if name == "tfl.transpose":
        return np.transpose(args[0], args[1].reshape(-1))
    if name == "tfl.concatenation":
        result = np.concatenate(args, axis=_int(op, "axis"))
        return _ACTIVATIONS.get(activation(op) or "NONE", lambda _: None)(result)
    if name == "tfl.pack":
        return np.stack(args, axis=_int(op, "axis"))
    if name == "tfl.slice":
        begin, size = args[1].reshape(-1), args[2].reshape(-1)
        x = args[0]
        index = tuple(
            slice(int(b), x.shape[i] if s == -1 else int(b + s))
            for i, (b, s) in enumerate(zip(begin, size, strict=True))
        )
        return x[index]
    if name == "tfl.strided_slice":
        return _strided_slice_simple(op, *args)
    if name == "tfl.gather":
        if _int(op, "batch_dims") != 0:
            return None
        return np.take(args[0], args[1], axis=_int(op, "axis"))
    if name == "tfl.tile":
        return np.tile(args[0], args[1].reshape(-1))
    if name == "tfl.fill":
        return np.full(args[0].reshape(-1), args[1].reshape(()))
    if name == "tfl.range":
        return np.arange(args[0].item(), args[1].item(), args[2].item())
    if name in _REDUCE:
        axes = tuple(int(a) % args[0].ndim for a in args[1].reshape(-1))
        return _REDUCE[name](args[0], axis=axes, keepdims=attr_str(op, "keep_dims") is True)
    return None


FUSABLE = ("tfl.add", "tfl.sub", "tfl.mul", "tfl.div")


def _result_dtype(op: ir.Operation):
    t = op.result.type
    if not isinstance(t, ir.RankedTensorType):
        return None
    return _DTYPES.get(str(ir.RankedTensorType(t).element_type))


def fold_constant(op: ir.Operation) -> bool:
    if not op.name.startswith("tfl.") or len(op.results) != 1 or op.name.startswith("tfl.pseudo"):
        return False
    out_shape = static_shape(op.result)
    dtype = _result_dtype(op)
    if out_shape is None or dtype is None:
        return False
    size = int(np.prod(out_shape))
    if op.name == "tfl.shape":
        in_shape = static_shape(op.operands[0])
        if in_shape is None:
            return False
        return _replace_by_constant(op, np.array(in_shape), dtype)
    args = [const_value(v) for v in op.operands]
    if not args or any(a is None for a in args):
        return False
    inputs = sum(a.size for a in args)
    if size > MAX_FOLDED_ELEMENTS or (size > SMALL_ELEMENTS and size > inputs):
        return False
    try:
        result = evaluate(op, args, out_shape)
    except (ValueError, IndexError, TypeError):
        return False
    if result is None or list(np.shape(result)) != out_shape:
        return False
    return _replace_by_constant(op, np.asarray(result), dtype)


def _replace_by_constant(op: ir.Operation, value: np.ndarray, dtype) -> bool:
    array = np.ascontiguousarray(value.astype(dtype))
    with ir.InsertionPoint(op), op.location:
        attr = ir.DenseElementsAttr.get(array, type=op.result.type)
        const = ir.Operation.create(
            "tfl.pseudo_const", results=[op.result.type], attributes={"value": attr}
        )
    replace_op(op, const.result)
    return True


PASS = rewrite_pass(
    "tfl-fold-constants", "Evaluate ops whose inputs are constant (size-limited)", fold_constant
)
