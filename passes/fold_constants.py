"""tfl-fold-constants: evaluates ops whose inputs are all constant, with the interpreter's own
kernels (runtime/kernels/standalone.py), so a folded value is what the op computes at run time.

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
from tflc.dialects.tfl import builtin_options, tensor_type_name
from tflc.dialects.tfl_ops import ops_by_mlir_name
from tflc.errors import TflcError
from tflc.passes.rewrite.tfl import const_value, replace_op, rewrite_pass, static_shape
from tflc.runtime.kernels.standalone import TensorSpec, run_builtin, standalone_node

MAX_FOLDED_ELEMENTS = 1 << 22
SMALL_ELEMENTS = 1024

_DTYPES = {
    "f32": np.float32,
    "f16": np.float16,
    "i32": np.int32,
    "i64": np.int64,
}  # i1 left out: the bindings cannot build bool attributes from numpy

# The builtins folded: elementwise math, casts, shape ops and reductions. `DEQUANTIZE` is left
# out on purpose (see the module doc), and so is everything stateful or control flow.
FOLDABLE = frozenset(
    """ABS ADD CAST CEIL CONCATENATION COS DIV EQUAL EXP EXPAND_DIMS FILL FLOOR FLOOR_DIV
    FLOOR_MOD GATHER GREATER GREATER_EQUAL LESS LESS_EQUAL LOG LOGICAL_AND LOGICAL_NOT LOGICAL_OR
    LOGISTIC MAXIMUM MEAN MINIMUM MUL NEG NOT_EQUAL PACK POW RANGE REDUCE_MAX REDUCE_MIN
    REDUCE_PROD RELU RELU6 RELU_N1_TO_1 RESHAPE RSQRT SIN SLICE SQRT SQUARE SQUARED_DIFFERENCE
    SQUEEZE STRIDED_SLICE SUB SUM TANH TILE TRANSPOSE ZEROS_LIKE""".split()
)


def _spec(t: ir.Type) -> TensorSpec:
    shaped = ir.RankedTensorType(t)
    return TensorSpec(tuple(shaped.shape), tensor_type_name(shaped.element_type))


def evaluate(op: ir.Operation, args: list[np.ndarray]) -> np.ndarray | None:
    """The interpreter kernel's value of `op` on constant `args`, or None when `op` is not
    folded here."""
    d = ops_by_mlir_name().get(op.name)
    if d is None or d.opcode not in FOLDABLE:
        return None
    node = standalone_node(
        d.opcode,
        [_spec(v.type) for v in op.operands],
        [_spec(op.result.type)],
        builtin_options(op, d),
    )
    return run_builtin(node, *args)[0]


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
        result = evaluate(op, args)
    except (ValueError, IndexError, TypeError, ArithmeticError, TflcError):
        return False  # the kernel refuses these inputs: leave the op for run time
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
