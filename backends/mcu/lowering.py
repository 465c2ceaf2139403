"""tfl ops -> a straight-line program of MCU kernel calls with every parameter resolved.

Each supported op becomes one `KernelCall`: the kernel to call, its constant parameters
(shapes baked in; multipliers and shifts computed here, as TFLite's Prepare computes them), the
tensors it reads and writes, and whether it may write its output over its first input.
RESHAPE-like ops become aliases. Anything else is a `TflcError` naming the op, raised before a
file is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from mlir import ir
from mlir.dialects import quant
from tflc.backends.mcu import quantization as qz
from tflc.dialects import tfl
from tflc.dialects.tfl_verifier import describe_location
from tflc.errors import TflcError

C_TYPES = {"int8": "int8_t", "int32": "int32_t", "float32": "float", "int64": "int64_t"}
ALIAS_OPS = ("tfl.reshape", "tfl.squeeze", "tfl.expand_dims")
CONSTANT_OPS = ("tfl.pseudo_const", "tfl.pseudo_qconst")


@dataclass
class Tensor:
    """A value the generated code holds: a model input or output, an arena buffer or a weight."""

    id: int
    name: str
    shape: tuple[int, ...]
    dtype: str  # "int8", "float32", "int32"
    scale: float | list[float] | None = None
    zero_point: int | list[int] | None = None
    data: np.ndarray | None = None  # constants only

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self) -> int:
        return self.size * np.dtype(self.dtype).itemsize

    @property
    def ctype(self) -> str:
        return C_TYPES[self.dtype]


@dataclass
class Param:
    """A `static const` the call refers to: an array, or a struct initializer."""

    name: str
    ctype: str
    value: list[int] | str  # list: an array; str: a struct initializer


@dataclass
class KernelCall:
    op_name: str
    location: str
    kernel: str  # key of KERNELS
    call: str  # C call, with {p:NAME} for params, {t:ID} for tensors
    inputs: list[int]
    outputs: list[int]
    params: list[Param] = field(default_factory=list)
    in_place: bool = False  # may write outputs[0] over inputs[0] (same size, read before write)


@dataclass
class Program:
    tensors: dict[int, Tensor]
    inputs: list[int]
    outputs: list[int]
    calls: list[KernelCall]
    aliases: dict[int, int]  # tensor id -> the id whose storage it shares


# Kernel name -> (C sources, headers) under kernels/; model.c includes the headers.
KERNELS: dict[str, tuple[list[str], list[str]]] = {
    "conv_s8": (["conv_s8.c"], ["conv_s8.h"]),
    "depthwise_conv_s8": (["depthwise_conv_s8.c"], ["conv_s8.h"]),
    "fully_connected_s8": (["fully_connected_s8.c"], ["fully_connected_s8.h"]),
    "add_s8": (["add_s8.c"], ["binary_s8.h"]),
    "mul_s8": (["mul_s8.c"], ["binary_s8.h"]),
    "average_pool_s8": (["average_pool_s8.c"], ["pool_s8.h"]),
    "max_pool_s8": (["max_pool_s8.c"], ["pool_s8.h"]),
    "mean_s8": (["mean_s8.c"], ["mean_s8.h"]),
    "softmax_s8": (["softmax_s8.c"], ["softmax_s8.h"]),
    "requantize_s8": (["requantize_s8.c"], ["requantize_s8.h"]),
    "data_movement": (["data_movement.c"], ["data_movement.h"]),
    "quantize_io": (["quantize_io.c"], ["quantize_io.h"]),
    "conv_f32": (["conv_f32.c"], ["float_ops.h"]),
    "fully_connected_f32": (["fully_connected_f32.c"], ["float_ops.h"]),
    "elementwise_f32": (["elementwise_f32.c"], ["float_ops.h"]),
    "pool_f32": (["pool_f32.c"], ["float_ops.h"]),
    "reduce_f32": (["reduce_f32.c"], ["float_ops.h"]),
    "softmax_f32": (["softmax_f32.c"], ["float_ops.h"]),
}
COMMON_HEADERS = ["tflc_common.h"]


def element_dtype(t: ir.Type) -> tuple[str, float | list[float] | None, int | list[int] | None]:
    elem = ir.ShapedType(t).element_type
    if isinstance(elem, quant.UniformQuantizedPerAxisType):
        q = quant.UniformQuantizedPerAxisType(elem)
        return _storage(q), [qz.f32(s) for s in q.scales], list(q.zero_points)
    if isinstance(elem, quant.UniformQuantizedType):
        q = quant.UniformQuantizedType(elem)
        return _storage(q), qz.f32(q.scale), int(q.zero_point)
    name = tfl.tensor_type_name(elem)
    dtype = {"FLOAT32": "float32", "INT32": "int32", "INT8": "int8", "INT64": "int64"}.get(name)
    if dtype is None:
        raise TflcError(f"element type {elem} is not supported by the MCU target")
    return dtype, None, None


def _storage(q) -> str:
    name = tfl.tensor_type_name(q)
    if name != "INT8" and name != "INT32":
        raise TflcError(f"quantized storage {name} is not supported by the MCU target (int8 only)")
    return name.lower()


class Lowering:
    """Walks one function's ops in order and lowers each to kernel calls."""

    def __init__(self, func: ir.Operation, source: str, int8_only: bool = False):
        self.func = func
        self.source = source
        self.int8_only = int8_only
        self.tensors: dict[int, Tensor] = {}
        self.ids: dict[ir.Value, int] = {}
        self.calls: list[KernelCall] = []
        self.aliases: dict[int, int] = {}
        self.op: ir.Operation | None = None

    # ---- tensors -------------------------------------------------------------------------------

    def fail(self, what: str, op: ir.Operation | None = None) -> TflcError:
        op = op or self.op
        where = describe_location(op.location) if op is not None else ""
        name = f"'{op.name}'" if op is not None else ""
        return TflcError(what, f"{self.source}: {name} at {where}" if where else self.source)

    def tensor(self, value: ir.Value, name: str = "", data: np.ndarray | None = None) -> Tensor:
        if value in self.ids:
            return self.tensors[self.ids[value]]
        t = value.type
        if not isinstance(t, ir.RankedTensorType) or not ir.ShapedType(t).has_static_shape:
            raise self.fail(f"tensor of type {t} has no static shape")
        try:
            dtype, scale, zp = element_dtype(t)
        except TflcError as e:
            raise self.fail(e.what) from None
        tid = len(self.tensors)
        tensor = Tensor(
            tid, name or f"t{tid}", tuple(ir.ShapedType(t).shape), dtype, scale, zp, data
        )
        self.tensors[tid] = tensor
        self.ids[value] = tid
        return tensor

    def operand(self, index: int) -> Tensor | None:
        if index >= len(self.op.operands):
            return None
        v = self.op.operands[index]
        if isinstance(v.type, ir.NoneType):
            return None
        if v not in self.ids:
            raise self.fail(f"operand {index} is produced by an op the MCU target does not know")
        return self.tensors[self.ids[v]]

    def result(self, index: int = 0) -> Tensor:
        return self.tensor(self.op.results[index])

    def attr(self, name: str):
        a = self.op.attributes[name]
        if isinstance(a, ir.StringAttr):
            return a.value
        if isinstance(a, ir.BoolAttr):
            return a.value
        if isinstance(a, ir.IntegerAttr):
            return a.value
        if isinstance(a, ir.FloatAttr):
            return a.value
        return a

    def const(self, t: Tensor | None) -> np.ndarray:
        if t is None or t.data is None:
            raise self.fail("expected a constant operand")
        return t.data

    # ---- walking -------------------------------------------------------------------------------

    def run(self) -> Program:
        block = self.func.regions[0].blocks[0]
        inputs = [self.tensor(a, f"input{i}").id for i, a in enumerate(block.arguments)]
        outputs: list[int] = []
        for op in block.operations:
            self.op = op = op.operation
            if op.name == "func.return":
                outputs = [self.ids[v] for v in op.operands]
            elif op.name in CONSTANT_OPS:
                value = tfl.constant_value(op)
                if value is None:
                    raise self.fail("constant has no dense value")
                self.tensor(op.result, data=np.ascontiguousarray(value))
            elif op.name == "tfl.no_value":
                continue
            else:
                self.lower_op(op)
        return Program(self.tensors, inputs, outputs, self.calls, self.aliases)

    def lower_op(self, op: ir.Operation) -> None:
        handler = _HANDLERS.get(op.name)
        if handler is None:
            raise self.fail(f"op '{op.name}' has no MCU kernel")
        kinds = {self.operand(i).dtype for i in range(len(op.operands)) if self.operand(i)}
        kinds |= {self.tensor(r).dtype for r in op.results}
        if self.int8_only and "float32" in kinds:
            raise self.fail(f"float op '{op.name}' in an int8-only build")
        handler(self)

    def emit(self, kernel: str, call: str, inputs, outputs, params=(), in_place=False) -> None:
        self.calls.append(
            KernelCall(
                self.op.name,
                describe_location(self.op.location),
                kernel,
                call,
                [t.id for t in inputs],
                [t.id for t in outputs],
                list(params),
                in_place,
            )
        )

    def param(self, suffix: str, ctype: str, value) -> Param:
        return Param(f"op{len(self.calls)}_{suffix}", ctype, value)


# ---- helpers -------------------------------------------------------------------------------------


def _act_range(act: str, scale: float, zp: int) -> tuple[int, int]:
    """CalculateActivationRangeQuantized for int8."""

    def q(f: float) -> int:
        return zp + qz.tflite_round(float(np.float32(f) / np.float32(scale)))

    lo, hi = -128, 127
    if act == "RELU":
        return max(lo, q(0.0)), hi
    if act == "RELU6":
        return max(lo, q(0.0)), min(hi, q(6.0))
    if act == "RELU_N1_TO_1":
        return max(lo, q(-1.0)), min(hi, q(1.0))
    if act == "NONE":
        return lo, hi
    raise TflcError(f"fused activation {act} is not supported by the MCU target")


def _float_act(act: str) -> tuple[str, str]:
    ranges = {
        "NONE": ("-3.40282347e+38f", "3.40282347e+38f"),
        "RELU": ("0.0f", "3.40282347e+38f"),
        "RELU6": ("0.0f", "6.0f"),
        "RELU_N1_TO_1": ("-1.0f", "1.0f"),
    }
    if act not in ranges:
        raise TflcError(f"fused activation {act} is not supported by the MCU target")
    return ranges[act]


def _padding(kind: str, in_size: int, k: int, stride: int, dilation: int, out_size: int) -> int:
    """ComputePaddingWithOffset (the same formula serves SAME and VALID)."""
    effective = (k - 1) * dilation + 1
    total = (out_size - 1) * stride + effective - in_size
    return max(total, 0) // 2


def _multipliers(reals: list[float]) -> tuple[list[int], list[int]]:
    pairs = [qz.quantize_multiplier(r) for r in reals]
    return [m for m, _ in pairs], [s for _, s in pairs]


def _struct(fields: list) -> str:
    return "{" + ", ".join(str(f) for f in fields) + "}"


def _nhwc(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    if len(shape) != 4:
        raise TflcError(f"expected a 4-D NHWC tensor, got shape {list(shape)}")
    return shape  # type: ignore[return-value]


def _per_channel(value, n: int) -> list[float]:
    return list(value) if isinstance(value, list) else [value] * n


def _float_literal(x: float) -> str:
    return f"{float(np.float32(x))!r}f".replace("inf", "INFINITY")


# ---- op handlers ---------------------------------------------------------------------------------


def _conv(lw: Lowering, depthwise: bool = False) -> None:
    x, w, b = lw.operand(0), lw.operand(1), lw.operand(2)
    y = lw.result()
    lw.const(w)
    n, ih, iw, ic = _nhwc(x.shape)
    _, oh, ow, oc = _nhwc(y.shape)
    kh, kw = w.shape[1], w.shape[2]
    sh, sw = lw.attr("stride_h"), lw.attr("stride_w")
    dh, dw = lw.attr("dilation_h_factor"), lw.attr("dilation_w_factor")
    pad = lw.attr("padding")
    ph = _padding(pad, ih, kh, sh, dh, oh)
    pw = _padding(pad, iw, kw, sw, dw, ow)
    act = lw.attr("fused_activation_function")
    multiplier = oc // ic if depthwise else 1
    if x.dtype == "float32":
        lo, hi = _float_act(act)
        params = lw.param(
            "params",
            "tflc_conv_f32_params",
            _struct(
                [n, ih, iw, ic, oh, ow, oc, kh, kw, sh, sw, dh, dw, ph, pw, multiplier, lo, hi]
            ),
        )
        fn = "tflc_depthwise_conv_f32" if depthwise else "tflc_conv_f32"
        bias = f"{{t:{b.id}}}" if b else "0"
        lw.emit(
            "conv_f32",
            f"{fn}(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{w.id}}}, {bias}, {{t:{y.id}}})",
            [x, w] + ([b] if b else []),
            [y],
            [params],
        )
        return
    w_scales = _per_channel(w.scale, oc)
    reals = [x.scale * s / y.scale for s in w_scales]
    mults, shifts = _multipliers(reals)
    lo, hi = _act_range(act, y.scale, y.zero_point)
    pm = lw.param("multiplier", "int32_t", mults)
    ps = lw.param("shift", "int8_t", shifts)
    params = lw.param(
        "params",
        "tflc_conv_s8_params",
        _struct(
            [
                n,
                ih,
                iw,
                ic,
                oh,
                ow,
                oc,
                kh,
                kw,
                sh,
                sw,
                dh,
                dw,
                ph,
                pw,
                multiplier,
                -x.zero_point,
                y.zero_point,
                lo,
                hi,
                pm.name,
                ps.name,
            ]
        ),
    )
    fn = "tflc_depthwise_conv_s8" if depthwise else "tflc_conv_s8"
    bias = f"{{t:{b.id}}}" if b else "0"
    lw.emit(
        "depthwise_conv_s8" if depthwise else "conv_s8",
        f"{fn}(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{w.id}}}, {bias}, {{t:{y.id}}})",
        [x, w] + ([b] if b else []),
        [y],
        [pm, ps, params],
    )


def _fully_connected(lw: Lowering) -> None:
    x, w, b = lw.operand(0), lw.operand(1), lw.operand(2)
    y = lw.result()
    if lw.attr("weights_format") != "DEFAULT":
        raise lw.fail("shuffled fully-connected weights are not supported")
    lw.const(w)
    units, depth = w.shape
    batches = x.size // depth
    act = lw.attr("fused_activation_function")
    bias = f"{{t:{b.id}}}" if b else "0"
    if x.dtype == "float32":
        if w.dtype != "float32":
            raise lw.fail("hybrid (dynamic-range) fully connected is not supported")
        lo, hi = _float_act(act)
        params = lw.param(
            "params", "tflc_fully_connected_f32_params", _struct([batches, depth, units, lo, hi])
        )
        lw.emit(
            "fully_connected_f32",
            f"tflc_fully_connected_f32(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{w.id}}}, {bias}, {{t:{y.id}}})",
            [x, w] + ([b] if b else []),
            [y],
            [params],
        )
        return
    per_channel = isinstance(w.scale, list) and len(w.scale) > 1
    w_scales = (
        _per_channel(w.scale, units)
        if per_channel
        else [w.scale[0] if isinstance(w.scale, list) else w.scale]
    )
    mults, shifts = _multipliers([x.scale * s / y.scale for s in w_scales])
    lo, hi = _act_range(act, y.scale, y.zero_point)
    pm = lw.param("multiplier", "int32_t", mults)
    ps = lw.param("shift", "int8_t", shifts)
    params = lw.param(
        "params",
        "tflc_fully_connected_s8_params",
        _struct(
            [
                batches,
                depth,
                units,
                -x.zero_point,
                y.zero_point,
                lo,
                hi,
                pm.name,
                ps.name,
                int(per_channel),
            ]
        ),
    )
    lw.emit(
        "fully_connected_s8",
        f"tflc_fully_connected_s8(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{w.id}}}, {bias}, {{t:{y.id}}})",
        [x, w] + ([b] if b else []),
        [y],
        [pm, ps, params],
    )


def _broadcast_strides(shape: tuple[int, ...], out: tuple[int, ...]) -> list[int]:
    shape4 = (1,) * (4 - len(shape)) + tuple(shape)
    strides, acc = [0] * 4, 1
    for i in range(3, -1, -1):
        strides[i] = 0 if shape4[i] == 1 and out[i] != 1 else acc
        acc *= shape4[i]
    return strides


def _binary(lw: Lowering, kind: str) -> None:
    a, b = lw.operand(0), lw.operand(1)
    y = lw.result()
    if len(y.shape) > 4:
        raise lw.fail("elementwise ops over more than 4 dimensions are not supported")
    out4 = (1,) * (4 - len(y.shape)) + tuple(y.shape)
    sa, sb = _broadcast_strides(a.shape, out4), _broadcast_strides(b.shape, out4)
    act = lw.attr("fused_activation_function")
    same = a.shape == b.shape == y.shape
    if y.dtype == "float32":
        lo, hi = _float_act(act)
        params = lw.param(
            "params",
            "tflc_binary_f32_params",
            _struct([_struct(out4), _struct(sa), _struct(sb), lo, hi]),
        )
        lw.emit(
            "elementwise_f32",
            f"tflc_{kind}_f32(&{{p:{params.name}}}, {{t:{a.id}}}, {{t:{b.id}}}, {{t:{y.id}}})",
            [a, b],
            [y],
            [params],
            in_place=same,
        )
        return
    lo, hi = _act_range(act, y.scale, y.zero_point)
    if kind == "add":
        left_shift = 20
        twice_max = 2 * max(a.scale, b.scale)
        m1, s1 = qz.quantize_multiplier(a.scale / twice_max)
        m2, s2 = qz.quantize_multiplier(b.scale / twice_max)
        mo, so = qz.quantize_multiplier(twice_max / ((1 << left_shift) * y.scale))
    else:
        left_shift, m1, s1, m2, s2 = 0, 0, 0, 0, 0
        mo, so = qz.quantize_multiplier(a.scale * b.scale / y.scale)
    params = lw.param(
        "params",
        "tflc_binary_s8_params",
        _struct(
            [
                _struct(out4),
                _struct(sa),
                _struct(sb),
                -a.zero_point,
                -b.zero_point,
                y.zero_point,
                left_shift,
                m1,
                m2,
                mo,
                s1,
                s2,
                so,
                lo,
                hi,
            ]
        ),
    )
    lw.emit(
        f"{kind}_s8",
        f"tflc_{kind}_s8(&{{p:{params.name}}}, {{t:{a.id}}}, {{t:{b.id}}}, {{t:{y.id}}})",
        [a, b],
        [y],
        [params],
        in_place=same,
    )


def _pool(lw: Lowering, kind: str) -> None:
    x, y = lw.operand(0), lw.result()
    n, ih, iw, c = _nhwc(x.shape)
    _, oh, ow, _ = _nhwc(y.shape)
    kh, kw = lw.attr("filter_height"), lw.attr("filter_width")
    sh, sw = lw.attr("stride_h"), lw.attr("stride_w")
    pad = lw.attr("padding")
    ph, pw = _padding(pad, ih, kh, sh, 1, oh), _padding(pad, iw, kw, sw, 1, ow)
    act = lw.attr("fused_activation_function")
    if x.dtype == "float32":
        lo, hi = _float_act(act)
        params = lw.param(
            "params",
            "tflc_pool_f32_params",
            _struct([n, ih, iw, c, oh, ow, kh, kw, sh, sw, ph, pw, lo, hi]),
        )
        lw.emit(
            "pool_f32",
            f"tflc_{kind}_pool_f32(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
            [params],
        )
        return
    lo, hi = _act_range(act, y.scale, y.zero_point)
    params = lw.param(
        "params",
        "tflc_pool_s8_params",
        _struct([n, ih, iw, c, oh, ow, kh, kw, sh, sw, ph, pw, lo, hi]),
    )
    lw.emit(
        f"{kind}_pool_s8",
        f"tflc_{kind}_pool_s8(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [params],
    )


def _reduce_view(lw: Lowering, x: Tensor, axes: list[int]) -> tuple[int, int, int]:
    rank = len(x.shape)
    axes = sorted({a % rank for a in axes})
    if axes != list(range(axes[0], axes[-1] + 1)):
        raise lw.fail(f"reduction over non-adjacent axes {axes} is not supported")
    outer = int(np.prod(x.shape[: axes[0]], dtype=np.int64))
    reduced = int(np.prod(x.shape[axes[0] : axes[-1] + 1], dtype=np.int64))
    inner = int(np.prod(x.shape[axes[-1] + 1 :], dtype=np.int64))
    return outer, reduced, inner


def _mean(lw: Lowering) -> None:
    x, axis_t, y = lw.operand(0), lw.operand(1), lw.result()
    axes = [int(a) for a in np.ravel(lw.const(axis_t))]
    outer, reduced, inner = _reduce_view(lw, x, axes)
    if x.dtype == "float32":
        params = lw.param("params", "tflc_reduce_f32_params", _struct([outer, reduced, inner]))
        lw.emit(
            "reduce_f32",
            f"tflc_mean_f32(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
            [params],
        )
        return
    rank = len(x.shape)
    norm = sorted(a % rank for a in axes)
    keep_dims = lw.attr("keep_dims")
    mult, shift = qz.quantize_multiplier(x.scale / y.scale)
    if keep_dims and rank == 4 and len(axes) == 2 and norm == [1, 2]:
        mode = 2
    elif x.scale == y.scale and x.zero_point == y.zero_point:
        mode = 0
    else:
        mode = 1
        s = min(reduced.bit_length() - 1, 32, 31 + shift)
        mult = (mult << s) // reduced
        shift -= s
    params = lw.param(
        "params",
        "tflc_mean_s8_params",
        _struct([outer, reduced, inner, mode, x.zero_point, y.zero_point, mult, shift]),
    )
    lw.emit(
        "mean_s8",
        f"tflc_mean_s8(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [params],
    )


def _softmax(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    depth = x.shape[-1]
    rows = x.size // depth
    beta = float(lw.attr("beta"))
    if x.dtype == "float32":
        params = lw.param(
            "params", "tflc_softmax_f32_params", _struct([rows, depth, _float_literal(beta)])
        )
        lw.emit(
            "softmax_f32",
            f"tflc_softmax_f32(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
            [params],
        )
        return
    if y.dtype != "int8" or abs(y.scale - 1 / 256) > 1e-12 or y.zero_point != -128:
        raise lw.fail("int8 softmax needs an int8 output with scale 1/256 and zero point -128")
    table = lw.param("exp_table", "int32_t", qz.softmax_exp_table(x.scale, qz.f32(beta)))
    params = lw.param("params", "tflc_softmax_s8_params", _struct([rows, depth, table.name]))
    lw.emit(
        "softmax_s8",
        f"tflc_softmax_s8(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [table, params],
    )


def _requantize(lw: Lowering, real: float, lo: int, hi: int) -> None:
    x, y = lw.operand(0), lw.result()
    mult, shift = qz.quantize_multiplier(real)
    params = lw.param(
        "params",
        "tflc_requantize_s8_params",
        _struct([x.size, x.zero_point, y.zero_point, mult, shift, lo, hi]),
    )
    lw.emit(
        "requantize_s8",
        f"tflc_requantize_s8(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
        [params],
        in_place=True,
    )


def _relu(lw: Lowering, act: str) -> None:
    x, y = lw.operand(0), lw.result()
    if x.dtype == "float32":
        lo, hi = _float_act(act)
        params = lw.param("params", "tflc_clamp_f32_params", _struct([x.size, lo, hi]))
        lw.emit(
            "elementwise_f32",
            f"tflc_clamp_f32(&{{p:{params.name}}}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
            [params],
            in_place=True,
        )
        return
    lo, hi = _act_range(act, y.scale, y.zero_point)
    # activations.cc: `double real_multiplier = input->params.scale / output->params.scale`
    _requantize(lw, float(np.float32(x.scale) / np.float32(y.scale)), lo, hi)


def _quantize(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    if x.dtype == "float32" and y.dtype == "int8":
        lw.emit(
            "quantize_io",
            f"tflc_quantize_f32_s8({x.size}, {_float_literal(y.scale)}, {y.zero_point}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
        )
    elif x.dtype == "int8" and y.dtype == "int8":
        _requantize(lw, x.scale / y.scale, -128, 127)
    else:
        raise lw.fail(f"quantize from {x.dtype} to {y.dtype} is not supported")


def _dequantize(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    if x.dtype != "int8" or y.dtype != "float32":
        raise lw.fail(f"dequantize from {x.dtype} to {y.dtype} is not supported")
    lw.emit(
        "quantize_io",
        f"tflc_dequantize_s8_f32({x.size}, {_float_literal(x.scale)}, {x.zero_point}, {{t:{x.id}}}, {{t:{y.id}}})",
        [x],
        [y],
    )


def _alias(lw: Lowering) -> None:
    x, y = lw.operand(0), lw.result()
    lw.aliases[y.id] = lw.aliases.get(x.id, x.id)


def _concatenation(lw: Lowering) -> None:
    xs = [lw.operand(i) for i in range(len(lw.op.operands))]
    y = lw.result()
    if lw.attr("fused_activation_function") != "NONE":
        raise lw.fail("concatenation with a fused activation is not supported")
    if y.dtype == "int8" and any((x.scale, x.zero_point) != (y.scale, y.zero_point) for x in xs):
        raise lw.fail("int8 concatenation of inputs with differing quantization is not supported")
    axis = lw.attr("axis") % len(y.shape)
    outer = int(np.prod(y.shape[:axis], dtype=np.int64))
    elem = np.dtype(y.dtype).itemsize
    inner = [int(np.prod(x.shape[axis:], dtype=np.int64)) * elem for x in xs]
    pin = lw.param("inner_bytes", "int32_t", inner)
    ptrs = ", ".join(f"{{t:{x.id}}}" for x in xs)
    lw.emit(
        "data_movement",
        f"{{ const void *const srcs[{len(xs)}] = {{{ptrs}}}; "
        f"tflc_concat({outer}, {len(xs)}, srcs, {{p:{pin.name}}}, {{t:{y.id}}}); }}",
        xs,
        [y],
        [pin],
    )


def _pad(lw: Lowering) -> None:
    x, paddings, y = lw.operand(0), lw.operand(1), lw.result()
    pads = np.asarray(lw.const(paddings)).reshape(-1, 2)
    if len(x.shape) > 4:
        raise lw.fail("padding more than 4 dimensions is not supported")
    extra = 4 - len(x.shape)
    in4 = (1,) * extra + tuple(x.shape)
    out4 = (1,) * extra + tuple(y.shape)
    before = [0] * extra + [int(p) for p in pads[:, 0]]
    if lw.op.name == "tfl.padv2" and lw.operand(2) is not None:
        value = np.ravel(lw.const(lw.operand(2)))[0]
    else:
        value = y.zero_point if y.dtype == "int8" else 0
    elem = np.dtype(y.dtype).itemsize
    value_bytes = list(np.array([value], dtype=y.dtype).view(np.uint8))
    pv = lw.param("pad_value", "uint8_t", [int(v) for v in value_bytes])
    params = lw.param(
        "params", "tflc_pad_params", _struct([_struct(in4), _struct(out4), _struct(before), elem])
    )
    lw.emit(
        "data_movement",
        f"tflc_pad(&{{p:{params.name}}}, {{t:{x.id}}}, {{p:{pv.name}}}, {{t:{y.id}}})",
        [x],
        [y],
        [pv, params],
    )


_HANDLERS = {
    "tfl.conv_2d": lambda lw: _conv(lw, False),
    "tfl.depthwise_conv_2d": lambda lw: _conv(lw, True),
    "tfl.fully_connected": _fully_connected,
    "tfl.add": lambda lw: _binary(lw, "add"),
    "tfl.mul": lambda lw: _binary(lw, "mul"),
    "tfl.average_pool_2d": lambda lw: _pool(lw, "average"),
    "tfl.max_pool_2d": lambda lw: _pool(lw, "max"),
    "tfl.mean": _mean,
    "tfl.softmax": _softmax,
    "tfl.relu": lambda lw: _relu(lw, "RELU"),
    "tfl.relu6": lambda lw: _relu(lw, "RELU6"),
    "tfl.relu_n1_to_1": lambda lw: _relu(lw, "RELU_N1_TO_1"),
    "tfl.quantize": _quantize,
    "tfl.dequantize": _dequantize,
    "tfl.reshape": _alias,
    "tfl.squeeze": _alias,
    "tfl.expand_dims": _alias,
    "tfl.concatenation": _concatenation,
    "tfl.pad": _pad,
    "tfl.padv2": _pad,
}

SUPPORTED_OPS = sorted(_HANDLERS)


def lower(module: ir.Module, source: str = "<module>", int8_only: bool = False) -> Program:
    funcs = [op.operation for op in module.body.operations if op.operation.name == "func.func"]
    if not funcs:
        raise TflcError("module has no function to compile", source)
    main = next((f for f in funcs if f.attributes["sym_name"].value == "main"), funcs[0])
    return Lowering(main, source, int8_only).run()
