"""Prints WGSL compute shaders from `gpu.func`s of arith, math, scf and memref ops.

The kernels come from `kernel_ir.KernelBuilder` and pass through MLIR's canonicalize and cse
first, so what is printed is the folded index arithmetic. Each SSA value becomes a `let`;
`scf.for` / `scf.if` results become `var`s assigned by their `scf.yield`. `index` prints as
`i32` (every arena and weights offset fits), `i1` as `bool`.
"""

from __future__ import annotations

import math

import numpy as np
from mlir import ir
from tflc.errors import TflcError

_TYPES = {"index": "i32", "i32": "i32", "f32": "f32", "i1": "bool"}
_BINARY = {
    "arith.addi": "+",
    "arith.subi": "-",
    "arith.muli": "*",
    "arith.divsi": "/",
    "arith.remsi": "%",
    "arith.addf": "+",
    "arith.subf": "-",
    "arith.mulf": "*",
    "arith.divf": "/",
    "arith.andi": "&",
    "arith.ori": "|",
    "arith.xori": "!=",
}
_CALLS = {
    "arith.maximumf": "max",
    "arith.minimumf": "min",
    "arith.maxnumf": "max",
    "arith.minnumf": "min",
    "arith.maxsi": "max",
    "arith.minsi": "min",
    "math.exp": "exp",
    "math.tanh": "tanh",
    "math.floor": "floor",
    "math.ceil": "ceil",
    "math.sqrt": "sqrt",
    "math.rsqrt": "inverseSqrt",
    "math.log": "log",
    "math.absf": "abs",
    "math.powf": "pow",
    "math.sin": "sin",
    "math.cos": "cos",
    "math.roundeven": "round",  # WGSL's round takes halves to even
    "math.trunc": "trunc",
    "math.atan2": "atan2",
}
_CMPI = {"eq": "==", "ne": "!=", "slt": "<", "sle": "<=", "sgt": ">", "sge": ">="}
_CMPF = {"oeq": "==", "one": "!=", "olt": "<", "ole": "<=", "ogt": ">", "oge": ">="}
_CMPF |= {"u" + k[1:]: v for k, v in _CMPF.items()}
_PREDICATES_I = ["eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"]
_PREDICATES_F = [
    "false", "oeq", "ogt", "oge", "olt", "ole", "one", "ord",
    "ueq", "ugt", "uge", "ult", "ule", "une", "uno", "true",
]  # fmt: skip

HEADER = """\
@group(0) @binding(0) var<storage, read_write> arena: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
"""


def print_wgsl(func: ir.Operation) -> str:
    """The WGSL shader of one `gpu.func`, entry point `main`."""
    return _Printer(func).run()


def f32_literal(value: float) -> str:
    v = np.float32(value)
    if math.isnan(v):
        return "bitcast<f32>(0x7fc00000u)"
    if math.isinf(v):
        return "bitcast<f32>(0x7f800000u)" if v > 0 else "bitcast<f32>(0xff800000u)"
    text = str(v)
    if "." not in text and "e" not in text:
        text += ".0"
    return f"({text}f)" if text.startswith("-") else f"{text}f"


class _Printer:
    def __init__(self, func: ir.Operation):
        self.func = func
        self.names: dict[ir.Value, str] = {}
        self.lines: list[str] = []
        self.count = 0
        attr = func.attributes["known_block_size"]
        self.workgroup_size = list(ir.DenseI32ArrayAttr(attr))[0]

    def run(self) -> str:
        block = self.func.regions[0].blocks[0]
        self.names[block.arguments[0]] = "arena"
        self.names[block.arguments[1]] = "weights"
        shared = ""
        if len(block.arguments) > 2:
            self.names[block.arguments[2]] = "shm"
            size = ir.MemRefType(block.arguments[2].type).shape[0]
            shared = f"var<workgroup> shm: array<f32, {size}>;\n"
        self._block(block, 1)
        body = "\n".join(self.lines)
        return (
            f"{HEADER}{shared}\n@compute @workgroup_size({self.workgroup_size})\n"
            "fn main(@builtin(workgroup_id) wid: vec3<u32>, "
            "@builtin(local_invocation_id) lid: vec3<u32>, "
            "@builtin(num_workgroups) nwg: vec3<u32>) {\n"
            f"{body}\n}}\n"
        )

    def _fresh(self) -> str:
        self.count += 1
        return f"v{self.count}"

    def _emit(self, depth: int, line: str) -> None:
        self.lines.append("  " * depth + line)

    def _let(self, depth: int, result: ir.Value, expr: str) -> None:
        name = self._fresh()
        self.names[result] = name
        self._emit(depth, f"let {name}: {_wgsl_type(result.type)} = {expr};")

    def _block(self, block: ir.Block, depth: int, yield_to: list[str] | None = None) -> None:
        for op in block.operations:
            self._op(op.operation, depth, yield_to)

    def _op(self, op: ir.Operation, depth: int, yield_to: list[str] | None) -> None:
        name = op.name
        n = self.names
        args = [n[v] for v in op.operands]
        if name == "arith.constant":
            self._let(depth, op.result, _constant(op))
        elif name == "arith.xori" and str(op.result.type) != "i1":  # `!=` is for bools
            self._let(depth, op.result, f"({args[0]} ^ {args[1]})")
        elif name == "arith.shrsi":  # WGSL shifts by an unsigned amount
            self._let(depth, op.result, f"({args[0]} >> u32({args[1]}))")
        elif name in _BINARY:
            self._let(depth, op.result, f"({args[0]} {_BINARY[name]} {args[1]})")
        elif name in _CALLS:
            self._let(depth, op.result, f"{_CALLS[name]}({', '.join(args)})")
        elif name == "arith.negf":
            self._let(depth, op.result, f"(-{args[0]})")
        elif name == "arith.cmpi":
            pred = _PREDICATES_I[ir.IntegerAttr(op.attributes["predicate"]).value]
            self._let(depth, op.result, f"({args[0]} {_CMPI[pred]} {args[1]})")
        elif name == "arith.cmpf":
            pred = _PREDICATES_F[ir.IntegerAttr(op.attributes["predicate"]).value]
            self._let(depth, op.result, f"({args[0]} {_CMPF[pred]} {args[1]})")
        elif name == "arith.select":
            self._let(depth, op.result, f"select({args[2]}, {args[1]}, {args[0]})")
        elif name in ("arith.index_cast", "arith.fptosi"):
            self._let(depth, op.result, f"i32({args[0]})")
        elif name == "arith.sitofp":
            self._let(depth, op.result, f"f32({args[0]})")
        elif name == "memref.load":
            self._let(depth, op.result, f"{args[0]}[{args[1]}]")
        elif name == "memref.store":
            self._emit(depth, f"{args[1]}[{args[2]}] = {args[0]};")
        elif name == "gpu.block_id":
            self._let(depth, op.result, f"i32(wid.{_dim(op)})")
        elif name == "gpu.thread_id":
            self._let(depth, op.result, f"i32(lid.{_dim(op)})")
        elif name == "gpu.grid_dim":
            self._let(depth, op.result, f"i32(nwg.{_dim(op)})")
        elif name == "gpu.block_dim":
            self._let(depth, op.result, str(self.workgroup_size))
        elif name == "scf.for":
            self._for(op, depth)
        elif name == "scf.if":
            self._if(op, depth)
        elif name == "scf.yield":
            if yield_to:
                temps = []
                for value in args:
                    t = self._fresh()
                    self._emit(depth, f"let {t} = {value};")
                    temps.append(t)
                for var, t in zip(yield_to, temps, strict=True):
                    self._emit(depth, f"{var} = {t};")
        elif name == "gpu.barrier":
            self._emit(depth, "workgroupBarrier();")
        elif name == "gpu.return":
            self._emit(depth, "return;")
        else:
            raise TflcError(f"no WGSL for '{name}'", "gpu backend (wgsl printer)")

    def _vars(self, op: ir.Operation, depth: int, inits: list[str] | None) -> list[str]:
        names = []
        for i, result in enumerate(op.results):
            var = self._fresh()
            init = f" = {inits[i]}" if inits else ""
            self._emit(depth, f"var {var}: {_wgsl_type(result.type)}{init};")
            self.names[result] = var
            names.append(var)
        return names

    def _for(self, op: ir.Operation, depth: int) -> None:
        lo, hi, step, *inits = (self.names[v] for v in op.operands)
        vars_ = self._vars(op, depth, inits)
        body = op.regions[0].blocks[0]
        iv = self._fresh()
        self.names[body.arguments[0]] = iv
        for arg, var in zip(list(body.arguments)[1:], vars_, strict=True):
            self.names[arg] = var
        self._emit(depth, f"for (var {iv}: i32 = {lo}; {iv} < {hi}; {iv} = {iv} + {step}) {{")
        self._block(body, depth + 1, vars_)
        self._emit(depth, "}")

    def _if(self, op: ir.Operation, depth: int) -> None:
        vars_ = self._vars(op, depth, None)
        self._emit(depth, f"if ({self.names[op.operands[0]]}) {{")
        self._block(op.regions[0].blocks[0], depth + 1, vars_)
        if len(op.regions) > 1 and len(op.regions[1].blocks) > 0:
            self._emit(depth, "} else {")
            self._block(op.regions[1].blocks[0], depth + 1, vars_)
        self._emit(depth, "}")


def _wgsl_type(type_: ir.Type) -> str:
    return _TYPES[str(type_)]


def _dim(op: ir.Operation) -> str:
    return str(op.attributes["dimension"]).split()[-1].rstrip(">")


def _constant(op: ir.Operation) -> str:
    attr = op.attributes["value"]
    if isinstance(attr, ir.FloatAttr):
        return f32_literal(ir.FloatAttr(attr).value)
    if isinstance(attr, ir.BoolAttr):
        return "true" if ir.BoolAttr(attr).value else "false"
    value = ir.IntegerAttr(attr).value
    if str(op.result.type) == "i1":
        return "true" if value else "false"
    return f"{value}i" if value >= 0 else f"({value}i)"
