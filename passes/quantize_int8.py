"""tfl-quantize-int8: full integer quantization from calibrated ranges.

Reads the ranges `calibrate` (passes/quantize/calibrate.py) stored on the IR and rewrites the
main function to int8, following TensorFlow Lite's int8 specification, or to 16x8 (int16
activations: the other scheme of passes/quantize/schemes.py, with the same rules but symmetric
int16 activations, int64 biases and its own op set). The int8 scheme:

* activations: asymmetric int8 per tensor, the calibrated range widened to include 0;
* weights of conv_2d / depthwise_conv_2d / fully_connected / transpose_conv: symmetric int8
  (values in [-127, 127]) per output channel, or per tensor when asked;
* biases: int32, scale = input scale * weight scale, zero point 0;
* other constant operands (add, mul, concatenation... inputs): asymmetric int8 per tensor;
* fixed output parameters: softmax and logistic 1/256 @ -128, tanh and l2_normalization
  1/128 @ 0, log_softmax 16/256 @ 127;
* ops whose int8 kernels need equal input and output parameters (reshape, transpose,
  pooling, pad, slicing, resizing, max/min, concatenation...) take their input's; an input of a
  concatenation (or max/min) whose parameters differ is requantized, unless its producer takes
  any output parameters and has no other use: then it outputs at the shared ones, as
  TensorFlow's converter does;
* ops without an int8 kernel here stay float between a dequantize and a quantize.

Inputs and outputs are float32 (quantize / dequantize at the edges), the activation type (int8
or int16), or uint8 for int8 (one requantizing `tfl.quantize` at each edge, as TensorFlow does).
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import quant
from tflc.dialects import tfl
from tflc.errors import TflcError
from tflc.passes.quantize.calibrate import (
    ARG_RANGES_ATTR,
    RANGE_ATTR,
    RESULT_RANGES_ATTR,
    value_range,
)
from tflc.passes.quantize.common import float_weights, qconst, quant_element_type, symmetric_int8
from tflc.passes.quantize.qat_weight_grids import trained_grid
from tflc.passes.quantize.schemes import INT8, SCHEMES, Scheme
from tflc.passes.registry import Pass
from tflc.passes.rewrite.tfl import defining_op, func_blocks, is_none, value_location

WEIGHTED = INT8.weighted  # the conv-like ops, the same in every scheme
WEIGHT_READERS = {"tfl.dequantize", "tfl.densify"}  # float16 / sparse constant -> weights
# ADD / SUB: TFLite's general int16 kernel (the power-of-two one needs power-of-two scales).
GENERAL_INT16_KERNEL = {"tfl.add": "pot_scale_int16", "tfl.sub": "pot_scale_int16"}
activation_params = INT8.activation_params
BIAS_TYPE_OPTION = "quantized_bias_type"  # conv_2d, fully_connected, transpose_conv


# ---- parameters --------------------------------------------------------------------------


def params_of(value: ir.Value) -> tuple[float, int] | None:
    t = value.type
    if not isinstance(t, ir.ShapedType):
        return None
    elem = ir.ShapedType(t).element_type
    if isinstance(elem, quant.UniformQuantizedType):
        q = quant.UniformQuantizedType(elem)
        return q.scale, q.zero_point
    return None


def _is_quantized(value: ir.Value) -> bool:
    t = value.type
    return isinstance(t, ir.ShapedType) and isinstance(
        ir.ShapedType(t).element_type, quant.QuantizedType
    )


def _is_f32(value: ir.Value) -> bool:
    t = value.type
    return isinstance(t, ir.RankedTensorType) and isinstance(
        ir.RankedTensorType(t).element_type, ir.F32Type
    )


def _with_element(value: ir.Value, element: ir.Type) -> ir.Type:
    return ir.RankedTensorType.get(list(ir.RankedTensorType(value.type).shape), element)


# ---- the rewrite -------------------------------------------------------------------------


class _Int8Rewriter:
    def __init__(
        self, block: ir.Block, io: str, per_tensor: bool, keep_weight_grids: bool, scheme: Scheme
    ):
        self.scheme = scheme
        self.block = block
        self.io = io
        self.per_tensor = per_tensor
        self.keep_weight_grids = keep_weight_grids
        self.fn = block.owner

    def run(self) -> None:
        self._inputs()
        for op in list(self.block.operations):
            op = op.operation
            if op.name == "func.return":
                self._outputs(op)
            elif op.name.startswith("tfl.pseudo") or op.name == "tfl.no_value":
                continue
            elif op.name in WEIGHT_READERS and float_weights(op.result) is not None:
                # float16 or sparse weights: read through by the ops that quantize them; kept
                # (with their small storage) for any op that stays float
                continue
            elif (
                op.name in self.scheme.supported
                and self._quantizable(op)
                and not self._float_island(op)
            ):
                self._quantize_op(op)
            else:
                self._keep_float(op)
        self._strip_ranges()

    # -- preparation

    def _range(self, value: ir.Value) -> tuple[float, float] | None:
        return value_range(self.fn, value)

    def _quantizable(self, op: ir.Operation) -> bool:
        """All float results get parameters: from a range, a fixed rule or an input."""
        if not all(_is_f32(r) for r in op.results):
            return False
        fixed, same = self.scheme.fixed_output, self.scheme.same_as_input
        if op.name in fixed or op.name in same:
            return op.name in fixed or self._first_activation(op) is not None
        return len(op.results) == 1 and self._range(op.result) is not None

    def _float_island(self, op: ir.Operation) -> bool:
        """An op between float ops only: every activation input comes from an op kept float,
        and every result goes to ops without int8 kernels or to float model outputs. Int8
        there would only add a quantize / dequantize round trip and its rounding error (as
        for a logistic after a float custom op at the end of a model)."""
        inputs = [
            v
            for v in op.operands
            if (_is_f32(v) or _is_quantized(v))
            and float_weights(v) is None
            and (defining_op(v) is None or defining_op(v).name != "tfl.pseudo_qconst")
        ]
        if not inputs or not all(_kept_float_result(v) for v in inputs):
            return False
        for r in op.results:
            for use in r.uses:
                user = use.owner
                if user.name == "func.return":
                    if self.io != "float32":
                        return False
                elif user.name in self.scheme.supported:
                    return False
        return True

    def _first_activation(self, op: ir.Operation) -> int | None:
        """The index of the first non-constant float or quantized operand."""
        for i, x in enumerate(op.operands):
            if (_is_quantized(x) or _is_f32(x)) and float_weights(x) is None:
                if defining_op(x) is None or defining_op(x).name != "tfl.pseudo_qconst":
                    return i
        return None

    # -- edges

    def _inputs(self) -> None:
        ftype = ir.FunctionType(ir.TypeAttr(self.fn.attributes["function_type"]).value)
        new_inputs = list(ftype.inputs)
        first = next(iter(self.block.operations)).operation
        for i, arg in enumerate(self.block.arguments):
            r = self._range(arg) if _is_f32(arg) else None
            if r is None:
                continue
            params = self.scheme.activation_params(*r)
            qtype = _with_element(arg, self.scheme.element(params))
            uses = [u for u in arg.uses]
            if self.io == _storage_name(self.scheme):  # int8 / int16 inputs as they are
                arg.set_type(qtype)
                new_inputs[i] = qtype
                continue
            if self.io == "uint8":
                utype = _with_element(
                    arg, quant_element_type([params[0]], [params[1] + 128], signed=False)
                )
                arg.set_type(utype)
                new_inputs[i] = utype
            with ir.InsertionPoint(first), ir.Location.unknown():
                q = tfl.create("quantize", [arg], [qtype]).result
            for use in uses:
                use.owner.operands[use.operand_number] = q
        self.fn.attributes["function_type"] = ir.TypeAttr.get(
            ir.FunctionType.get(new_inputs, ftype.results)
        )

    def _outputs(self, ret: ir.Operation) -> None:
        results = []
        for i, v in enumerate(ret.operands):
            params = params_of(v)
            source = _float_source(v)
            if source is not None and self.io == "float32":
                ret.operands[i] = v = source
            elif params is not None and self.io == "float32":
                ftype = _with_element(v, ir.F32Type.get())
                v = self._output_conversion(ret, "dequantize", v, ftype)
                ret.operands[i] = v
            elif params is not None and self.io == "uint8":
                el = quant_element_type([params[0]], [params[1] + 128], signed=False)
                utype = _with_element(v, el)
                v = self._output_conversion(ret, "quantize", v, utype)
                ret.operands[i] = v
            results.append(v.type)
        ftype = ir.FunctionType(ir.TypeAttr(self.fn.attributes["function_type"]).value)
        self.fn.attributes["function_type"] = ir.TypeAttr.get(
            ir.FunctionType.get(ftype.inputs, results)
        )

    def _output_conversion(self, ret, name, v, result_type) -> ir.Value:
        """A quantize / dequantize that becomes a model output, named as the output it replaces."""
        with ir.InsertionPoint(ret), value_location(v):
            return tfl.create(name, [v], [result_type]).result

    # -- ops

    def _create(self, before, name, operands, result_type, **options) -> ir.Value:
        with ir.InsertionPoint(before), before.location:
            return tfl.create(name, operands, [result_type], **options).result

    def _as_quantized(self, op: ir.Operation, index: int, params: tuple[float, int] | None) -> None:
        """Makes operand `index` int8: a float constant is quantized with `params` (or its own
        range), a float activation gets a quantize, a quantized one with other params (when
        `params` is given) a requantize."""
        v = op.operands[index]
        c = float_weights(v) if _is_f32(v) else None
        if c is not None:
            params = params or self.scheme.activation_params(float(np.min(c)), float(np.max(c)))
            values = self.scheme.quantize_array(c, params)
            op.operands[index] = qconst(values, self.scheme.element(params), op)
            return
        if _is_f32(v):
            r = self._range(v)
            p = params or (self.scheme.activation_params(*r) if r is not None else None)
            if p is None:
                raise TflcError(f"no calibrated range for an input of {op.name}", self.scheme.name)
            qtype = _with_element(v, self.scheme.element(p))
            op.operands[index] = self._create(op, "quantize", [v], qtype)
            return
        current = params_of(v)
        if params is not None and current is not None and not _same(current, params):
            qtype = _with_element(v, self.scheme.element(params))
            if self._takes_any_output_params(v):
                # its producer outputs at the shared parameters directly, as TensorFlow's
                # quantizer propagates them, instead of a requantize after it
                v.set_type(qtype)
                return
            op.operands[index] = self._create(op, "quantize", [v], qtype)

    def _takes_any_output_params(self, v: ir.Value) -> bool:
        """Whether `v` is the only use of an op whose int8 kernel takes any output parameters
        (its own calibrated ones were a choice, not a constraint)."""
        producer = defining_op(v)
        free = self.scheme.own_output | frozenset(self.scheme.weighted)
        return producer is not None and producer.name in free and len(list(v.uses)) == 1

    def _quantize_op(self, op: ir.Operation) -> None:
        name, scheme = op.name, self.scheme
        if name in scheme.weighted:
            self._quantize_weighted(op)
            return
        if scheme.activation_bits == 16 and name in GENERAL_INT16_KERNEL:
            op.attributes[GENERAL_INT16_KERNEL[name]] = ir.BoolAttr.get(False)
        if name in scheme.fixed_output:
            self._as_quantized(op, 0, None)
            out = scheme.fixed_output[name]
        elif name in scheme.same_as_input:
            index = self._first_activation(op)
            self._as_quantized(op, index, None)
            out = params_of(op.operands[index])
        elif name in scheme.same_all_operands:
            out = self._union_params(op)
            for i, v in enumerate(op.operands):
                if _is_f32(v) or _is_quantized(v):
                    self._as_quantized(op, i, out)
        else:
            for i, v in enumerate(op.operands):
                if _is_f32(v) or _is_quantized(v):
                    self._as_quantized(op, i, None)
            out = scheme.activation_params(*self._range(op.result))
        for r in op.results:
            r.set_type(_with_element(r, scheme.element(out)))

    def _union_params(self, op: ir.Operation) -> tuple[float, int]:
        lo, hi = self._range(op.result)
        for v in op.operands:
            p = params_of(v)
            if p is not None:
                p_lo, p_hi = self.scheme.represented_range(p)
                lo, hi = min(lo, p_lo), max(hi, p_hi)
        return self.scheme.activation_params(lo, hi)

    def _quantize_weighted(self, op: ir.Operation) -> None:
        xi, wi, bi, axis = self.scheme.weighted[op.name]
        w = float_weights(op.operands[wi])
        if w is None:
            self._keep_float(op)
            return
        self._as_quantized(op, xi, None)
        in_scale = params_of(op.operands[xi])[0]
        # QAT weights keep the grid training put them on (passes/quantize/qat_weight_grids.py).
        grid = trained_grid(w, axis, self.per_tensor) if self.keep_weight_grids else None
        if grid is not None:
            q, scales, w_axis = grid
        else:
            w_axis = None if self.per_tensor else axis
            q, scales = symmetric_int8(w, w_axis)
        per_tensor = w_axis is None
        op.operands[wi] = qconst(q, quant_element_type(scales, [0] * scales.size, w_axis), op)
        if len(op.operands) > bi and not is_none(op.operands[bi]):
            bias = float_weights(op.operands[bi])
            if bias is None:
                raise TflcError(f"{op.name} has a non-constant bias", self.scheme.name)
            bias_scales = (np.float64(in_scale) * scales.astype(np.float64)).astype(np.float32)
            if bias_scales.size == 1:
                bias_scales = np.broadcast_to(bias_scales, bias.shape)
            exact = np.round(bias.astype(np.float64) / bias_scales.astype(np.float64))
            bits = self.scheme.bias_bits
            # float64 holds 2^31 - 1 exactly; 2^63 - 1 it rounds up to 2^63, which overflows
            top = 2.0**31 - 1 if bits == 32 else np.nextafter(2.0**63, 0)
            b = np.clip(exact, -top, top).astype(np.dtype(f"int{bits}"))
            el = (  # int64 values keep an i32-storage element type (qconst)
                quant_element_type(bias_scales[:1], [0], None, bits=32)
                if per_tensor
                else quant_element_type(bias_scales, [0] * bias_scales.size, 0, bits=32)
            )
            op.operands[bi] = qconst(b, el, op)
            if bits == 64 and BIAS_TYPE_OPTION in op.attributes:
                op.attributes[BIAS_TYPE_OPTION] = ir.StringAttr.get("INT64")
        out = self.scheme.activation_params(*self._range(op.result))
        op.result.set_type(_with_element(op.result, self.scheme.element(out)))

    def _keep_float(self, op: ir.Operation) -> None:
        for i, v in enumerate(op.operands):
            if not _is_quantized(v):
                continue
            source = _float_source(v)
            if source is not None:
                op.operands[i] = source
            else:
                ftype = _with_element(v, ir.F32Type.get())
                op.operands[i] = self._create(op, "dequantize", [v], ftype)
        for r in op.results:
            if not _is_f32(r) or len(op.results) != 1:
                continue
            rng = self._range(r)
            if rng is None:
                continue
            qtype = _with_element(r, self.scheme.element(self.scheme.activation_params(*rng)))
            uses = list(r.uses)
            with ir.InsertionPoint(op), op.location:
                q = tfl.create("quantize", [r], [qtype])
            q.move_after(op)
            for use in uses:
                use.owner.operands[use.operand_number] = q.result

    def _strip_ranges(self) -> None:
        for op in self.block.operations:
            for attr in (RANGE_ATTR, RESULT_RANGES_ATTR):
                if attr in op.operation.attributes:
                    del op.operation.attributes[attr]
        if ARG_RANGES_ATTR in self.fn.attributes:
            del self.fn.attributes[ARG_RANGES_ATTR]


def _storage_name(scheme: Scheme) -> str:
    return f"int{scheme.activation_bits}"


def _float_source(value: ir.Value) -> ir.Value | None:
    """The float tensor a `tfl.quantize` made `value` from, if that is where it comes from."""
    producer = defining_op(value)
    if producer is not None and producer.name == "tfl.quantize" and _is_f32(producer.operands[0]):
        return producer.operands[0]
    return None


def _kept_float_result(value: ir.Value) -> bool:
    """Whether `value` is the (quantized) result of an op this pass left in float."""
    source = _float_source(value) if _is_quantized(value) else value
    producer = defining_op(source) if source is not None else None
    return producer is not None and _is_f32(source) and not producer.name.startswith("tfl.pseudo")


def _same(a: tuple[float, int], b: tuple[float, int]) -> bool:
    return a[1] == b[1] and abs(a[0] - b[0]) <= 1e-9 * max(a[0], b[0])


def quantize_int8(
    module: ir.Operation,
    io: str = "float32",
    per_tensor: bool = False,
    keep_weight_grids: bool = False,
    scheme: str = "int8",
) -> None:
    """Rewrites the calibrated main function to int8 (or `scheme` "int16x8") in place.
    `keep_weight_grids` (QAT models): weights already on a symmetric int8 grid are quantized
    on that grid."""
    block = next(func_blocks(module))
    if ARG_RANGES_ATTR not in block.owner.attributes:
        raise TflcError("the model is not calibrated: run calibration first", scheme)
    _Int8Rewriter(block, io, per_tensor, keep_weight_grids, SCHEMES[scheme]).run()


def _run(module: ir.Operation) -> None:
    with ir.Location.unknown():
        quantize_int8(module)


PASS = Pass(
    "tfl-quantize-int8",
    "Full int8 quantization from calibrated ranges (tflc.range attributes)",
    _run,
)
