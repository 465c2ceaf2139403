"""tfl ops -> a straight-line program of MCU kernel calls with every parameter resolved.

Each supported op becomes one `KernelCall`: the kernel to call, its constant parameters
(shapes baked in; multipliers and shifts computed here, as TFLite's Prepare computes them), the
tensors it reads and writes, and whether it may write its output over its first input.
RESHAPE-like ops become aliases. Anything else is a `TflcError` naming the op, raised before a
file is written.
"""

from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import quant
from tflc.backends.mcu import quantization as qz
from tflc.backends.mcu.program import KernelCall, Param, Program, Tensor
from tflc.dialects import tfl
from tflc.dialects.tfl_verifier import describe_location
from tflc.errors import TflcError
from tflc.passes.quantize.sparse_constants import sparse_constant_value

CONSTANT_OPS = ("tfl.pseudo_const", "tfl.pseudo_qconst")
TYPE_CONVERSION_OPS = ("tfl.quantize", "tfl.dequantize", "tfl.cast")
CONTROL_FLOW_OPS = ("tfl.while", "tfl.if", "tfl.call")
COMPLEX_REASON = "complex64 tensors: the C arena has no complex element type"


def element_dtype(t: ir.Type) -> tuple[str, float | list[float] | None, int | list[int] | None]:
    elem = ir.ShapedType(t).element_type
    if isinstance(elem, quant.UniformQuantizedPerAxisType):
        q = quant.UniformQuantizedPerAxisType(elem)
        return _storage(q), [qz.f32(s) for s in q.scales], list(q.zero_points)
    if isinstance(elem, quant.UniformQuantizedType):
        q = quant.UniformQuantizedType(elem)
        return _storage(q), qz.f32(q.scale), int(q.zero_point)
    if isinstance(elem, ir.ComplexType):
        raise TflcError(f"{elem} is not supported by the MCU target ({COMPLEX_REASON})")
    name = tfl.tensor_type_name(elem)
    dtype = {
        "FLOAT32": "float32",
        "INT32": "int32",
        "INT8": "int8",
        "INT64": "int64",
        "UINT8": "uint8",
        "BOOL": "bool",
    }.get(name)
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

    def __init__(
        self,
        func: ir.Operation,
        source: str,
        int8_only: bool = False,
        funcs: dict | None = None,
        custom_kernels: dict | None = None,
    ):
        self.func = func
        self.funcs = funcs or {}  # subgraphs by name, for tfl.while / tfl.if
        self.active: set[str] = set()  # subgraphs being lowered (recursion is refused)
        self.source = source
        self.int8_only = int8_only
        self.custom_kernels = custom_kernels or {}  # custom code -> the user's C file
        self.tensors: dict[int, Tensor] = {}
        self.ids: dict[ir.Value, int] = {}
        self.calls: list[KernelCall] = []
        self.aliases: dict[int, int] = {}
        self.op: ir.Operation | None = None
        # DEQUANTIZE results of float16 weights -> the weight, widened when a kernel first
        # reads them (so one layer's weights, not all of them, are in the arena at a time)
        self.pending_widening: dict[int, int] = {}

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
        if data is not None and str(ir.ShapedType(t).element_type) == "f16":
            # float16 weights (the converter's float16 mode) stay 16-bit in flash; their
            # DEQUANTIZE widens them into the arena just before a kernel reads them
            dtype, scale, zp, data = "float16", None, None, data.astype(np.float16)
        else:
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
        return tfl.attribute_value(self.op.attributes[name])

    def const(self, t: Tensor | None) -> np.ndarray:
        """The value of a constant operand (through aliases such as widened float16 weights)."""
        if t is not None and t.data is None and t.id in self.aliases:
            t = self.tensors[self.aliases[t.id]]
        if t is not None and t.id in self.pending_widening:
            return self.tensors[self.pending_widening[t.id]].data.astype(np.float32)
        if t is None or t.data is None:
            raise self.fail("expected a constant operand")
        return t.data

    # ---- walking -------------------------------------------------------------------------------

    def run(self) -> Program:
        block = self.func.regions[0].blocks[0]
        inputs = [
            self.tensor(a, describe_location(a.location) or f"input{i}").id
            for i, a in enumerate(block.arguments)
        ]
        outputs = self.walk(block)
        return Program(self.tensors, inputs, outputs, self.calls, self.aliases)

    def walk(self, block) -> list[int]:
        """Lowers the ops of `block` (a function's, or a subgraph's: control_flow.py) in order;
        returns the ids of the tensors it returns."""
        outputs: list[int] = []
        for op in block.operations:
            self.op = op = op.operation
            if op.name == "func.return":
                outputs = [self.ids[v] for v in op.operands]
                for tid in outputs:  # a weight returned as it is
                    self.widen_float16(self.aliases.get(tid, tid))
            elif op.name in CONSTANT_OPS:
                value = tfl.constant_value(op)
                if value is None:
                    raise self.fail("constant has no dense value")
                t = self.tensor(op.result, data=np.ascontiguousarray(value))
                t.origin = describe_location(op.location)
            elif op.name == "tfl.pseudo_sparse_const":  # densified here, at compile time
                value = sparse_constant_value(op)
                if value is None:
                    raise self.fail("sparse constant has no dense value")
                t = self.tensor(op.result, data=np.ascontiguousarray(value))
                t.origin = describe_location(op.location)
            elif op.name == "tfl.densify" and self.constant_operand(op) is not None:
                t = self.tensor(op.result, data=self.constant_operand(op).data)
                t.origin = describe_location(op.location)
            elif op.name == "tfl.no_value":
                continue
            elif op.name == "tfl.variable":  # recurrent state: memory_planner.py places it
                self.tensor(op.result).variable = True
            else:
                self.lower_op(op)
        return outputs

    def constant_operand(self, op: ir.Operation) -> Tensor | None:
        """Operand 0 of `op` where it is a constant (a densified sparse one)."""
        tid = self.ids.get(op.operands[0])
        return self.tensors[tid] if tid is not None and self.tensors[tid].data is not None else None

    def lower_op(self, op: ir.Operation) -> None:
        from tflc.backends.mcu.op_lowerings import EXCLUDED, HANDLERS
        from tflc.backends.mcu.ops_custom import lower_custom, missing_kernel_hint

        handler = HANDLERS.get(op.name)
        code = None
        if op.name == "tfl.custom" and "custom_code" in op.attributes:
            code = ir.StringAttr(op.attributes["custom_code"]).value
            if code in self.custom_kernels:
                handler = lambda lw: lower_custom(lw, code)  # noqa: E731
        if handler is None:
            what = f"custom op '{code}'" if code is not None else f"op '{op.name}'"
            why = f" ({EXCLUDED[op.name]})" if op.name in EXCLUDED else ""
            hint = missing_kernel_hint(code) if code is not None else ""
            raise self.fail(f"{what} has no MCU kernel{why}{hint}")
        kinds = {self.operand(i).dtype for i in range(len(op.operands)) if self.operand(i)}
        kinds |= {self.tensor(r).dtype for r in op.results}
        if self.int8_only and "float32" in kinds and op.name not in CONTROL_FLOW_OPS:
            raise self.fail(f"float op '{op.name}' in an int8-only build")
        # their subgraphs' ops are checked; a user's kernel reads whatever it is given
        mixed_ok = TYPE_CONVERSION_OPS + CONTROL_FLOW_OPS + ("tfl.custom",)
        if {"float32", "int8"} <= kinds and op.name not in mixed_ok:
            # dynamic-range ops: float activations with int8 weights, quantized at run time
            raise self.fail(
                f"hybrid (dynamic-range) '{op.name}' with float and int8 operands is not "
                "supported by the MCU target"
            )
        try:
            handler(self)
        except TflcError as e:  # a helper's error (an unsupported activation) gets the op's place
            raise e.at(self.fail("").where) from None

    def emit(
        self, kernel: str, call: str, inputs, outputs, params=(), overlap=None, overlap_inputs=(0,)
    ) -> None:
        for t in inputs:
            self.widen_float16(self.aliases.get(t.id, t.id))
        self.calls.append(
            KernelCall(
                self.op.name,
                describe_location(self.op.location),
                kernel,
                call,
                [t.id for t in inputs],
                [t.id for t in outputs],
                list(params),
                overlap,
                tuple(overlap_inputs),
            )
        )

    def float16_weight(self, t: Tensor) -> Tensor | None:
        """The float16 weight behind `t` where `t` is its not yet widened DEQUANTIZE, for
        kernels that read half weights themselves (their DEQUANTIZE then never runs)."""
        source = self.pending_widening.get(self.aliases.get(t.id, t.id))
        return self.tensors[source] if source is not None else None

    def widen_float16(self, tid: int) -> None:
        """Emits the pending DEQUANTIZE of a float16 weight that a kernel is about to read."""
        source = self.pending_widening.pop(tid, None)
        if source is None:
            return
        x, y = self.tensors[source], self.tensors[tid]
        self.emit(
            "quantize_io",
            f"tflc_dequantize_f16_f32({x.size}, {{t:{x.id}}}, {{t:{y.id}}})",
            [x],
            [y],
        )

    def param(self, suffix: str, ctype: str, value) -> Param:
        return Param(f"op{len(self.calls)}_{suffix}", ctype, value)


def lower(
    module: ir.Module,
    source: str = "<module>",
    int8_only: bool = False,
    custom_kernels: dict | None = None,
) -> Program:
    funcs = [op.operation for op in module.body.operations if op.operation.name == "func.func"]
    if not funcs:
        raise TflcError("module has no function to compile", source)
    main = next((f for f in funcs if f.attributes["sym_name"].value == "main"), funcs[0])
    by_name = {f.attributes["sym_name"].value: f for f in funcs}
    return Lowering(main, source, int8_only, by_name, custom_kernels).run()
