"""tfl-legalize-to-tosa: float32 and int8 tfl ops → upstream `tosa` dialect ops (TOSA 1.0).

The result is plain upstream MLIR (func + tosa), checked by MLIR's own verifier, that other
TOSA consumers accept: IREE compiles it (`--iree-input-type=tosa`), and upstream's
tosa-to-linalg pipeline lowers it further. int8 tensors become their i8 storage with
TFLite's requantization as `tosa.rescale` (see tosa/quant.py), function signatures included;
an int8 op with only a float lowering runs it between a dequantize and a quantize.
An op without a lowering, or a form of one that is not covered (other quantized types, dynamic
shapes, non-constant axes), is an error at its location. Constants become `tosa.const` once
every op using them is lowered.
"""

from __future__ import annotations

from mlir import ir
from tflc.dialects.tfl_verifier import describe_location
from tflc.errors import TflcError
from tflc.passes.quantize.sparse_constants import sparse_constant_value
from tflc.passes.registry import Pass
from tflc.passes.rewrite.tfl import defining_op, func_blocks, make_const, replace_op
from tflc.passes.tosa import int8_via_float as via_float
from tflc.passes.tosa import lower_int8 as int8
from tflc.passes.tosa import lower_more as more
from tflc.passes.tosa import lower_nn as nn
from tflc.passes.tosa import lower_tensor as tensor
from tflc.passes.tosa import quant
from tflc.passes.tosa.build import TosaBuilder

LOWERINGS = {
    "tfl.conv_2d": nn.lower_conv_2d,
    "tfl.depthwise_conv_2d": nn.lower_depthwise_conv_2d,
    "tfl.average_pool_2d": nn.lower_average_pool_2d,
    "tfl.max_pool_2d": nn.lower_max_pool_2d,
    "tfl.fully_connected": nn.lower_fully_connected,
    "tfl.mean": nn.lower_mean,
    "tfl.sum": nn.reduction_lowering("sum"),
    "tfl.reduce_max": nn.reduction_lowering("max"),
    "tfl.reduce_min": nn.reduction_lowering("min"),
    "tfl.softmax": nn.lower_softmax,
    "tfl.add": tensor.binary_lowering("add"),
    "tfl.sub": tensor.binary_lowering("sub"),
    "tfl.mul": tensor.binary_lowering("mul"),
    "tfl.maximum": tensor.binary_lowering("maximum"),
    "tfl.minimum": tensor.binary_lowering("minimum"),
    "tfl.pow": tensor.binary_lowering("pow"),
    "tfl.div": tensor.lower_div,
    "tfl.squared_difference": tensor.lower_squared_difference,
    "tfl.logistic": tensor.unary_lowering("sigmoid"),
    "tfl.tanh": tensor.unary_lowering("tanh"),
    "tfl.exp": tensor.unary_lowering("exp"),
    "tfl.log": tensor.unary_lowering("log"),
    "tfl.abs": tensor.unary_lowering("abs"),
    "tfl.rsqrt": tensor.unary_lowering("rsqrt"),
    "tfl.floor": tensor.unary_lowering("floor"),
    "tfl.ceil": tensor.unary_lowering("ceil"),
    "tfl.sin": tensor.unary_lowering("sin"),
    "tfl.cos": tensor.unary_lowering("cos"),
    "tfl.neg": tensor.lower_neg,
    "tfl.square": tensor.lower_square,
    "tfl.sqrt": tensor.lower_sqrt,
    "tfl.leaky_relu": tensor.lower_leaky_relu,
    "tfl.hard_swish": tensor.lower_hard_swish,
    "tfl.reshape": tensor.lower_reshape,
    "tfl.squeeze": tensor.lower_reshape,
    "tfl.expand_dims": tensor.lower_reshape,
    "tfl.transpose": tensor.lower_transpose,
    "tfl.concatenation": tensor.lower_concatenation,
    "tfl.pad": tensor.lower_pad,
    "tfl.padv2": tensor.lower_pad,
    "tfl.slice": tensor.lower_slice,
    "tfl.strided_slice": tensor.lower_strided_slice,
    "tfl.depth_to_space": tensor.lower_depth_to_space,
    "tfl.space_to_depth": tensor.lower_space_to_depth,
    **{name: tensor.clamp_lowering(*bounds) for name, bounds in tensor.relu_bounds().items()},
    "tfl.dequantize": more.lower_dequantize,
    "tfl.prelu": more.lower_prelu,
    "tfl.elu": more.lower_elu,
    "tfl.gelu": more.lower_gelu,
    "tfl.tile": more.lower_tile,
    "tfl.split": more.lower_split,
    "tfl.gather": more.lower_gather,
    "tfl.batch_matmul": more.lower_batch_matmul,
    "tfl.transpose_conv": more.lower_transpose_conv,
    "tfl.resize_bilinear": more.resize_lowering("BILINEAR"),
    "tfl.resize_nearest_neighbor": more.resize_lowering("NEAREST_NEIGHBOR"),
}
# Ops that only feed others: removed (or turned into tosa.const) once their users are lowered.
CONSTANTS = ("tfl.pseudo_const", "tfl.pseudo_qconst", "tfl.no_value")
# Which operand carries the data, which must be float32 (operand 0 for the others);
# None: the lowering checks its input itself.
DATA_OPERAND = {"tfl.split": 1, "tfl.transpose_conv": 2, "tfl.dequantize": None}


def _error(op: ir.Operation, what: str) -> TflcError:
    return TflcError(f"'{op.name}' op {what}", describe_location(op.location) or None)


def _is_static_f32(value: ir.Value) -> bool:
    t = value.type
    return (
        isinstance(t, ir.RankedTensorType)
        and ir.RankedTensorType(t).has_static_shape
        and isinstance(ir.RankedTensorType(t).element_type, ir.F32Type)
    )


def _check_lowerable(op: ir.Operation) -> None:
    if op.name not in LOWERINGS:
        raise _error(op, "has no lowering to TOSA")
    data = DATA_OPERAND.get(op.name, 0)
    operands = [] if data is None else [op.operands[data]]
    for value in [*operands, *op.results]:
        if not _is_static_f32(value):
            raise _error(
                op,
                f"on {value.type} is not lowered to TOSA: only float32 tensors of static shape",
            )


def _is_int8_op(op: ir.Operation) -> bool:
    """Any quantized operand or result: int8 ops, and float ops with int8 weights (TFLite's
    dynamic-range kernels, which run here in float on the dequantized weights)."""
    return any(quant.is_quantized(v) for v in [*op.results, *op.operands])


def _lower_int8(op: ir.Operation) -> list[ir.Value]:
    if op.name not in int8.LOWERINGS and op.name not in LOWERINGS:
        raise _error(op, "on quantized tensors has no lowering to TOSA")
    for v in op.results:
        t = v.type
        if not (isinstance(t, ir.RankedTensorType) and ir.RankedTensorType(t).has_static_shape):
            raise _error(op, f"on {t} is not lowered to TOSA: only static shapes")
        if not (quant.is_quantized(v) or _is_static_f32(v)):
            raise _error(op, f"on {t} is not lowered to TOSA: only int8 and float32 results")
    for v in [*op.results, *op.operands]:
        if quant.is_quantized(v) and not (quant.is_int8(v) or _is_int32_bias(v)):
            raise _error(op, f"on {v.type} is not lowered to TOSA: only int8 quantization")
    with op.location:
        if _has_integer_lowering(op):
            values = [int8.LOWERINGS[op.name](op, TosaBuilder(op))]
        elif op.name in LOWERINGS:
            values = via_float.lower_through_float(op, LOWERINGS[op.name])
        else:
            raise _error(op, "on these types has no lowering to TOSA")
    # The ops not yet lowered still read the quantized type (and its scales) through a cast.
    return [
        quant.cast_to(op, v, r.type) if quant.is_quantized(r) else v
        for v, r in zip(values, op.results, strict=True)
    ]


def _has_integer_lowering(op: ir.Operation) -> bool:
    """An int8 → int8 op with an integer lowering (or quantize / dequantize themselves)."""
    if op.name in ("tfl.quantize", "tfl.dequantize"):
        return True
    data = op.operands[0]
    return op.name in int8.LOWERINGS and quant.is_quantized(op.result) and quant.is_quantized(data)


def _is_int32_bias(value: ir.Value) -> bool:
    """int32 quantized constants are the biases of int8 convolutions and fully_connected."""
    producer = defining_op(value)
    return (
        producer is not None and producer.name == "tfl.pseudo_qconst" and quant.width(value) == 32
    )


def lower_op(op: ir.Operation) -> None:
    try:
        if _is_int8_op(op):
            values = _lower_int8(op)
        else:
            _check_lowerable(op)
            with op.location:  # types and attributes the lowering makes need a context
                values = LOWERINGS[op.name](op, TosaBuilder(op))
    except nn.LoweringError as e:
        raise _error(op, f"is not lowered to TOSA: {e}") from None
    values = values if isinstance(values, list) else [values]
    for value, result in zip(values, op.results, strict=True):
        if value.type != result.type:
            raise _error(op, f"lowered to {value.type}, expected {result.type}")
    replace_op(op, *values)


def lower_constant(op: ir.Operation) -> None:
    """A used `tfl.pseudo_const` becomes a `tosa.const` of the same value; an unused one goes."""
    used = any(True for r in op.results for _ in r.uses)
    if used and op.name == "tfl.pseudo_qconst":
        raise _error(op, "(a quantized constant) is used by an op that was not lowered")
    if used and op.name == "tfl.pseudo_const":
        with ir.InsertionPoint(op), op.location:
            new = ir.Operation.create(
                "tosa.const",
                results=[op.result.type],
                attributes={"values": op.attributes["value"]},
            )
        replace_op(op, new.result)
    else:
        op.erase()


def densify_constants(block: ir.Block) -> None:
    """Sparse constants become dense `tfl.pseudo_const`s and `tfl.densify` of them goes: TOSA
    has no sparse tensors, and the weights are dense in memory at run time anyway."""
    for op in [o.operation for o in block.operations]:
        if op.name == "tfl.pseudo_sparse_const":
            value = sparse_constant_value(op)
            if value is None:
                raise _error(op, "has a value that cannot be densified")
            replace_op(op, make_const(value, op))
        elif op.name == "tfl.densify":
            replace_op(op, op.operands[0])


def legalize_to_tosa(module: ir.Operation) -> None:
    for block in func_blocks(module):
        fn = block.owner.operation
        with fn.location:
            quant.retype_arguments(fn)
        densify_constants(block)
        ops = [o.operation for o in block.operations]
        for op in ops:
            if op.name.startswith("tfl.") and op.name not in CONSTANTS:
                lower_op(op)
        for op in [o.operation for o in block.operations]:
            if op.name in CONSTANTS:
                lower_constant(op)
        with fn.location:
            quant.finish_function(fn)


PASS = Pass(
    "tfl-legalize-to-tosa",
    "lower float32 and int8 tfl ops to the upstream tosa dialect (for IREE, tosa-to-linalg)",
    legalize_to_tosa,
)
