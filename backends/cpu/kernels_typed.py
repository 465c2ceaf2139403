"""Elementwise kernels on float32, int32/int64 and bool tensors: comparisons, logic, select,
cast, floor division, and integer arithmetic (shape computations, masks, index maths).

These ops are small in real models (a `tf.cond` predicate, a mask, an index), so the kernels
are scalar loops over the broadcast output (dims merged where every operand is contiguous);
LLVM vectorizes the inner loop where it can. Bools are stored one byte each (0 or 1), as TFLite
stores them, and computed as i1.
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu.emitter import Function
from tflc.backends.cpu.graph import Node, Tensor, numpy_dtype
from tflc.backends.cpu.kernel import Kernel
from tflc.backends.cpu.kernels_conv import Tiling
from tflc.backends.cpu.kernels_elementwise import _coalesce, _reduction_tables, _strides
from tflc.errors import TflcError

COMPARISONS = {  # op -> (float predicate, signed integer predicate)
    "equal": ("oeq", "eq"),
    "not_equal": ("une", "ne"),  # NaN != NaN, as C++'s != says
    "greater": ("ogt", "sgt"),
    "greater_equal": ("oge", "sge"),
    "less": ("olt", "slt"),
    "less_equal": ("ole", "sle"),
}
LOGICAL_OPS = {"logical_and", "logical_or", "logical_not"}
# Float ops with vectorized float kernels elsewhere that also run on integers here.
INTEGER_ARITHMETIC = {"add", "sub", "mul", "maximum", "minimum", "squared_difference"}
ELEMENTWISE_OPS = set(COMPARISONS) | LOGICAL_OPS | {"select", "select_v2", "cast"}
ELEMENTWISE_OPS |= {"floor_div", "floor_mod"}
# Ops with no vector kernel: rare in models, computed by the scalar loop on their own types.
FLOAT_MATH = {"round": "math.roundeven", "atan2": "math.atan2"}  # ROUND: halves to even
BITWISE_OPS = {"bitwise_xor", "right_shift"}
ELEMENTWISE_OPS |= set(FLOAT_MATH) | BITWISE_OPS | {"sign", "zeros_like", "add_n"}

# cpu tensor dtype -> (memref element type, kind of value)
_TYPES = {
    "f32": ("f32", "float"),
    "i32": ("i32", "int"),
    "i64": ("i64", "int"),
    "i16": ("i16", "int"),
    "i8": ("i8", "int"),
    "ui8": ("i8", "uint"),
    "i1": ("i8", "bool"),
}


def value_type(t: Tensor, node: Node) -> tuple[str, str]:
    """(MLIR type the kernel computes in, kind) of `t`; quantized activations are refused."""
    if t.dtype not in _TYPES or (t.scale is not None and not t.is_const):
        what = "quantized " + t.dtype if t.scale is not None else t.dtype
        raise TflcError(f"the cpu target has no {what} kernel for '{node.op}'", node.where)
    elem, kind = _TYPES[t.dtype]
    return ("i1" if kind == "bool" else elem), kind


def load_value(fn: Function, mem: tuple[str, str], index: str, t: Tensor) -> str:
    """An element of `t` as its value type (bools: a byte to i1)."""
    v = fn.load(mem[0], mem[1], index)
    if t.dtype == "i1":
        return fn.op(f"arith.trunci {v} : i8 to i1")
    return v


def store_value(fn: Function, v: str, mem: tuple[str, str], index: str, t: Tensor) -> None:
    if t.dtype == "i1":
        v = fn.op(f"arith.extui {v} : i1 to i8")
    fn.store(v, mem[0], mem[1], index)


def tensor_arg(k: Kernel, t: Tensor) -> tuple[str, str]:
    """An operand as a memref of its own element type (constants converted to it)."""
    if t.is_const:
        return k.arg_const(np.asarray(t.value).astype(numpy_dtype(t.dtype)))
    return k.arg_tensor(t)


def convert(fn: Function, v: str, src: tuple[str, str], dst: tuple[str, str]) -> str:
    """`v` of value type `src` as `dst` (C++'s static_cast: floats truncate toward zero)."""
    (st, sk), (dt, dk) = src, dst
    if (st, sk) == (dt, dk):
        return v
    if dk == "bool":
        if sk == "float":
            return fn.op(f"arith.cmpf une, {v}, {fn.f32(0.0)} : f32")
        return fn.op(f"arith.cmpi ne, {v}, {fn._const('0', st)} : {st}")
    if sk == "float" and dk == "float":
        return v
    if sk == "float":
        return fn.op(
            f"arith.fptoui {v} : f32 to {dt}" if dk == "uint" else f"arith.fptosi {v} : f32 to {dt}"
        )
    if dk == "float":
        op = "arith.sitofp" if sk == "int" else "arith.uitofp"
        return fn.op(f"{op} {v} : {st} to f32")
    sw, dw = int(st[1:]), int(dt[1:])
    if sw == dw:
        return v
    if sw > dw:
        return fn.op(f"arith.trunci {v} : {st} to {dt}")
    return fn.op(f"{'arith.extsi' if sk == 'int' else 'arith.extui'} {v} : {st} to {dt}")


def _floor_div_mod(fn: Function, op: str, a: str, b: str, ty: str, kind: str) -> str:
    """TFLite's floor_div (floor of the quotient) and floor_mod (the remainder takes the
    divisor's sign)."""
    if kind == "float":
        if op == "floor_div":
            q = fn.op(f"arith.divf {a}, {b} : f32")
            return fn.op(f"math.floor {q} : f32")
        r = fn.op(f"arith.remf {a}, {b} : f32")
        zero = fn.f32(0.0)
        nonzero = fn.op(f"arith.cmpf une, {r}, {zero} : f32")
        r_neg = fn.op(f"arith.cmpf olt, {r}, {zero} : f32")
        b_neg = fn.op(f"arith.cmpf olt, {b}, {zero} : f32")
        fix = fn.op(f"arith.andi {nonzero}, {fn.op(f'arith.xori {r_neg}, {b_neg} : i1')} : i1")
        return fn.op(f"arith.select {fix}, {fn.op(f'arith.addf {r}, {b} : f32')}, {r} : f32")
    zero = fn._const("0", ty)
    q = fn.op(f"arith.divsi {a}, {b} : {ty}")
    r = fn.op(f"arith.remsi {a}, {b} : {ty}")
    nonzero = fn.op(f"arith.cmpi ne, {r}, {zero} : {ty}")
    r_neg = fn.op(f"arith.cmpi slt, {r}, {zero} : {ty}")
    b_neg = fn.op(f"arith.cmpi slt, {b}, {zero} : {ty}")
    fix = fn.op(f"arith.andi {nonzero}, {fn.op(f'arith.xori {r_neg}, {b_neg} : i1')} : i1")
    if op == "floor_div":
        q1 = fn.op(f"arith.subi {q}, {fn._const('1', ty)} : {ty}")
        return fn.op(f"arith.select {fix}, {q1}, {q} : {ty}")
    return fn.op(f"arith.select {fix}, {fn.op(f'arith.addi {r}, {b} : {ty}')}, {r} : {ty}")


def _integer_arithmetic(fn: Function, op: str, a: str, b: str, ty: str, kind: str) -> str:
    signed = "s" if kind == "int" else "u"
    simple = {"add": "addi", "sub": "subi", "mul": "muli"}
    simple |= {"maximum": f"max{signed}i", "minimum": f"min{signed}i"}
    if op in simple:
        return fn.op(f"arith.{simple[op]} {a}, {b} : {ty}")
    d = fn.op(f"arith.subi {a}, {b} : {ty}")  # squared_difference
    return fn.op(f"arith.muli {d}, {d} : {ty}")


def _value(fn: Function, node: Node, vals: list[str], types: list[tuple[str, str]], out) -> str:
    op = node.op
    ty, kind = types[0]
    if op in COMPARISONS:
        if kind == "float":
            return fn.op(f"arith.cmpf {COMPARISONS[op][0]}, {vals[0]}, {vals[1]} : f32")
        pred = COMPARISONS[op][1]
        if kind in ("uint", "bool"):
            pred = pred.replace("s", "u", 1) if pred[0] == "s" else pred
        return fn.op(f"arith.cmpi {pred}, {vals[0]}, {vals[1]} : {ty}")
    if op == "logical_not":
        return fn.op(f"arith.xori {vals[0]}, {fn.true()} : i1")
    if op in ("logical_and", "logical_or"):
        return fn.op(f"arith.{op.removeprefix('logical_')}i {vals[0]}, {vals[1]} : i1")
    if op in ("select", "select_v2"):
        return fn.op(f"arith.select {vals[0]}, {vals[1]}, {vals[2]} : {types[1][0]}")
    if op == "cast":
        return convert(fn, vals[0], types[0], out)
    if op in ("floor_div", "floor_mod"):
        return _floor_div_mod(fn, op, vals[0], vals[1], ty, kind)
    if op in INTEGER_ARITHMETIC:
        return _integer_arithmetic(fn, op, vals[0], vals[1], ty, kind)
    if op in FLOAT_MATH:
        return fn.op(f"{FLOAT_MATH[op]} {', '.join(vals)} : f32")
    if op in BITWISE_OPS:
        return _bitwise(fn, op, vals[0], vals[1], ty, kind)
    if op == "sign":
        return _sign(fn, vals[0], ty, kind)
    if op == "zeros_like":
        return fn.f32(0.0) if kind == "float" else fn._const("0", ty)
    if op == "add_n":
        total = vals[0]
        for v in vals[1:]:
            total = fn.op(f"arith.{'addf' if kind == 'float' else 'addi'} {total}, {v} : {ty}")
        return total
    raise NotImplementedError(op)


def _sign(fn: Function, x: str, ty: str, kind: str) -> str:
    """(0 < x) - (x < 0), as TFLite's SIGN: 0 for zero and NaN."""
    if kind == "float":
        zero, one, minus_one = fn.f32(0.0), fn.f32(1.0), fn.f32(-1.0)
        positive = fn.op(f"arith.cmpf ogt, {x}, {zero} : f32")
        negative = fn.op(f"arith.cmpf olt, {x}, {zero} : f32")
    else:
        zero, one, minus_one = (fn._const(v, ty) for v in ("0", "1", "-1"))
        positive = fn.op(f"arith.cmpi sgt, {x}, {zero} : {ty}")
        negative = fn.op(f"arith.cmpi slt, {x}, {zero} : {ty}")
    low = fn.op(f"arith.select {negative}, {minus_one}, {zero} : {ty}")
    return fn.op(f"arith.select {positive}, {one}, {low} : {ty}")


def _bitwise(fn: Function, op: str, a: str, b: str, ty: str, kind: str) -> str:
    if op == "bitwise_xor":
        return fn.op(f"arith.xori {a}, {b} : {ty}")
    # RIGHT_SHIFT: the shift clamped to [0, bits - 1]; arithmetic for signed types
    bits = int(ty[1:])
    shift = fn.op(f"arith.maxsi {b}, {fn._const('0', ty)} : {ty}")
    shift = fn.op(f"arith.minsi {shift}, {fn._const(str(bits - 1), ty)} : {ty}")
    return fn.op(f"arith.{'shrsi' if kind == 'int' else 'shrui'} {a}, {shift} : {ty}")


def _check(node: Node, types: list[tuple[str, str]], out: tuple[str, str]) -> None:
    op = node.op
    kinds = {k for _, k in types}
    if op in LOGICAL_OPS and kinds != {"bool"}:
        raise TflcError(f"'{op}' takes bool operands", node.where)
    if op in ("select", "select_v2") and (types[0][1] != "bool" or types[1] != types[2]):
        raise TflcError(f"'{op}' takes a bool condition and two values of one type", node.where)
    if op in COMPARISONS or op in ("floor_div", "floor_mod") or op in INTEGER_ARITHMETIC:
        if types[0] != types[1]:
            raise TflcError(f"'{op}' takes two operands of one type", node.where)
    if op in {"floor_div", "floor_mod"} | INTEGER_ARITHMETIC and kinds & {"bool"}:
        raise TflcError(f"the cpu target has no bool kernel for '{op}'", node.where)
    if op in FLOAT_MATH and kinds != {"float"}:
        raise TflcError(f"the cpu target computes '{op}' on float32 only", node.where)
    if op in BITWISE_OPS and kinds - {"int", "uint"}:
        raise TflcError(f"'{op}' takes integer operands", node.where)
    if op in ("sign", "add_n") and kinds & {"bool"} or op == "add_n" and len(set(types)) > 1:
        raise TflcError(
            f"the cpu target has no kernel for '{op}' on these operand types", node.where
        )
    if node.attr("fused_activation_function", "NONE") != "NONE":
        raise TflcError(f"integer '{op}' with a fused activation", node.where)


def _operand_shape(node: Node, i: int) -> tuple[int, ...]:
    """The shape operand `i` broadcasts from; SELECT's rank-1 condition picks whole rows."""
    shape = node.inputs[i].shape
    out_rank = len(node.outputs[0].shape)
    if node.op == "select" and i == 0 and len(shape) == 1 and out_rank > 1:
        return tuple(shape) + (1,) * (out_rank - 1)
    return tuple(shape)


def emit_elementwise(k: Kernel, t: Tiling, node: Node) -> None:
    fn = k.fn
    ins = [x for x in node.inputs if x is not None]
    y_t = node.outputs[0]
    types = [value_type(x, node) for x in ins]
    out = value_type(y_t, node)
    _check(node, types, out)
    mems = [tensor_arg(k, x) for x in ins]
    y = k.arg_tensor(y_t)
    stride_sets = [_strides(_operand_shape(node, i), y_t.shape) for i in range(len(ins))]
    shape, strides = _coalesce(y_t.shape, [*stride_sets, _strides(y_t.shape, y_t.shape)])
    ivs: list[str] = []

    def nest(level: int) -> None:
        if level < len(shape):
            with fn.loop(0, shape[level]) as iv:
                ivs.append(iv)
                nest(level + 1)
                ivs.pop()
            return
        idx = [fn.lin(list(zip(ivs, s, strict=True))) for s in strides]
        vals = [load_value(fn, m, i, x) for m, i, x in zip(mems, idx, ins, strict=False)]
        store_value(fn, _value(fn, node, vals, types, out), y, idx[-1], y_t)

    nest(0)


def with_integer_kernels(float_emitter):
    """`float_emitter` for float outputs, the scalar kernel here for integer ones."""

    def emit(k: Kernel, t: Tiling, node: Node) -> None:
        typed = node.outputs[0].dtype != "f32"
        (emit_elementwise if typed else float_emitter)(k, t, node)

    return emit


BOOL_REDUCTIONS = {"reduce_all": ("arith.andi", 1), "reduce_any": ("arith.ori", 0)}


def emit_bool_reduce(k: Kernel, t: Tiling, node: Node) -> None:
    """reduce_all / reduce_any over constant axes, on bools (the float reductions' index
    tables, kernels_elementwise._reduction_tables)."""
    fn = k.fn
    x_t, y_t = node.inputs[0], node.outputs[0]
    if value_type(x_t, node)[1] != "bool" or value_type(y_t, node)[1] != "bool":
        raise TflcError(f"'{node.op}' takes and gives bools", node.where)
    op, identity = BOOL_REDUCTIONS[node.op]
    axes = np.asarray(node.inputs[1].value).reshape(-1).tolist()
    base, offsets = _reduction_tables(x_t.shape, axes)
    x, y = k.arg_tensor(x_t), k.arg_tensor(y_t)
    bt, ot = k.arg_const(base), k.arg_const(offsets)
    with fn.loop(0, len(base)) as o:
        b0 = fn.op(f"arith.index_cast {fn.load(bt[0], bt[1], o)} : i32 to index")
        init = [fn._const(str(identity), "i1")]
        with fn.loop_carried(0, len(offsets), 1, init, "i1") as (r, acc, res):
            off = fn.op(f"arith.index_cast {fn.load(ot[0], ot[1], r)} : i32 to index")
            v = load_value(fn, x, fn.add(b0, off), x_t)
            res[:] = [fn.op(f"{op} {acc[0]}, {v} : i1")]
        store_value(fn, res[0], y, o, y_t)


def emit_dequantize(k: Kernel, t: Tiling, node: Node) -> None:
    """dequantize of a float16 activation: each value widened to float32 (int8 and uint8 ones
    take the int8 table kernels; constant weights fold in graph.py)."""
    fn = k.fn
    x_t, y_t = node.inputs[0], node.outputs[0]
    if x_t.dtype != "f16" or y_t.dtype != "f32":
        raise TflcError(f"the cpu target has no {x_t.dtype} kernel for 'dequantize'", node.where)
    x, y = k.arg_tensor(x_t), k.arg_tensor(y_t)
    with fn.loop(0, x_t.size) as i:
        fn.store(fn.op(f"arith.extf {fn.load(x[0], x[1], i)} : f16 to f32"), y[0], y[1], i)


def emit_bitcast(k: Kernel, t: Tiling, node: Node) -> None:
    """The same bytes read as another type (little-endian, as every cpu target is): a wider
    element splits into its low part first, narrower ones join low part first."""
    fn = k.fn
    x_t, y_t = node.inputs[0], node.outputs[0]
    x, y = tensor_arg(k, x_t), k.arg_tensor(y_t)
    (x_elem, x_bits), (y_elem, y_bits) = (_bit_type(node, m) for m in (x, y))
    if x_t.nbytes != y_t.nbytes:
        raise TflcError(f"bitcast of {x_t.nbytes} bytes to {y_t.nbytes}", node.where)

    def as_bits(v: str, elem: str, bits: int) -> str:
        return v if elem.startswith("i") else fn.op(f"arith.bitcast {v} : {elem} to i{bits}")

    def from_bits(v: str, elem: str, bits: int) -> str:
        return v if elem.startswith("i") else fn.op(f"arith.bitcast {v} : i{bits} to {elem}")

    if x_bits >= y_bits:  # each input element gives `parts` outputs
        parts = x_bits // y_bits
        with fn.loop(0, x_t.size) as i:
            v = as_bits(fn.load(x[0], x[1], i), x_elem, x_bits)
            for p in range(parts):
                piece = fn.op(
                    f"arith.shrui {v}, {fn._const(str(p * y_bits), f'i{x_bits}')} : i{x_bits}"
                )
                if parts > 1:
                    piece = fn.op(f"arith.trunci {piece} : i{x_bits} to i{y_bits}")
                at = fn.add(fn.mul(i, parts), p)
                fn.store(from_bits(piece, y_elem, y_bits), y[0], y[1], at)
        return
    parts = y_bits // x_bits
    with fn.loop(0, y_t.size) as i:
        total = fn._const("0", f"i{y_bits}")
        for p in range(parts):
            v = as_bits(fn.load(x[0], x[1], fn.add(fn.mul(i, parts), p)), x_elem, x_bits)
            v = fn.op(f"arith.extui {v} : i{x_bits} to i{y_bits}")
            v = fn.op(f"arith.shli {v}, {fn._const(str(p * x_bits), f'i{y_bits}')} : i{y_bits}")
            total = fn.op(f"arith.ori {total}, {v} : i{y_bits}")
        fn.store(from_bits(total, y_elem, y_bits), y[0], y[1], i)


def _bit_type(node: Node, mem: tuple[str, str]) -> tuple[str, int]:
    """(memref element type, its width in bits) of a kernel argument."""
    elem = mem[1].split("x")[-1].rstrip(">")
    bits = {"f32": 32, "f16": 16, "i64": 64, "i32": 32, "i16": 16, "i8": 8}.get(elem)
    if bits is None:
        raise TflcError(f"the cpu target has no {elem} kernel for 'bitcast'", node.where)
    return elem, bits
