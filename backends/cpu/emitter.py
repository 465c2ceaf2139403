"""A small builder of MLIR text (func, arith, math, scf, vector, memref) for the CPU kernels.

Kernels address every tensor as a flat 1-D memref (`memref<Nxf32>`) and compute linear indices
themselves; shapes are static, so every bound is a constant. Constants are hoisted to the
function entry, so they dominate every nested region.
"""

from __future__ import annotations

import contextlib
import struct


def f32_literal(x: float) -> str:
    return f"0x{struct.unpack('<I', struct.pack('<f', float(x)))[0]:08X}"


class Function:
    def __init__(self, name: str, args: list[tuple[str, str]], lanes: int):
        self.name = name
        self.args = args  # (ssa name without %, type)
        self.lanes = lanes
        self.body: list[str] = []
        self.consts: list[str] = []
        self._const_names: dict[tuple[str, str], str] = {}
        self._n = 0
        self._indent = 1
        # False: a*b+c rounds twice, as TFLite's builtin float kernels do (see Tiling)
        self.fused_multiply_add = True

    # ---- plumbing ---------------------------------------------------------------------------

    def fresh(self, hint: str = "v") -> str:
        self._n += 1
        return f"%{hint}{self._n}"

    def line(self, text: str) -> None:
        self.body.append("  " * self._indent + text)

    def op(self, text: str, hint: str = "v") -> str:
        r = self.fresh(hint)
        self.line(f"{r} = {text}")
        return r

    def text(self, parallel: bool = False) -> str:
        args = self.args + ([("tb", "index"), ("te", "index")] if parallel else [])
        sig = ", ".join(f"%{n}: {t}" for n, t in args)
        out = [f"func.func private @{self.name}({sig}) {{"]
        out += ["  " + c for c in self.consts]
        out += self.body
        out += ["  return", "}"]
        return "\n".join(out)

    # ---- constants ----------------------------------------------------------------------------

    def _const(self, literal: str, ty: str) -> str:
        key = (literal, ty)
        if key not in self._const_names:
            name = self.fresh("c")
            self.consts.append(f"{name} = arith.constant {literal} : {ty}")
            self._const_names[key] = name
        return self._const_names[key]

    def idx(self, v: int) -> str:
        return self._const(str(int(v)), "index")

    def f32(self, v: float) -> str:
        return self._const(f32_literal(v), "f32")

    def i32(self, v: int) -> str:
        return self._const(str(int(v)), "i32")

    def vf32(self, v: float, n: int | None = None) -> str:
        n = n or self.lanes
        return self._const(f"dense<{f32_literal(v)}>", f"vector<{n}xf32>")

    def true(self) -> str:
        return self._const("1", "i1")  # `true : i1` does not parse: a bool literal has its type

    # ---- index arithmetic (folds constants in Python) ----------------------------------------

    def add(self, a: str | int, b: str | int) -> str:
        if isinstance(a, int) and isinstance(b, int):
            return self.idx(a + b)
        if isinstance(a, int):
            a, b = b, a
        if isinstance(b, int):
            if b == 0:
                return a
            b = self.idx(b)
        return self.op(f"arith.addi {a}, {b} : index")

    def mul(self, a: str | int, b: int) -> str:
        if isinstance(a, int):
            return self.idx(a * b)
        if b == 1:
            return a
        if b == 0:
            return self.idx(0)
        return self.op(f"arith.muli {a}, {self.idx(b)} : index")

    def lin(self, terms: list[tuple[str | int, int]], const: int = 0) -> str:
        """sum(iv * stride) + const, as index."""
        acc: str | int = const
        for iv, stride in terms:
            acc = self.add(acc, self.mul(iv, stride) if not isinstance(iv, int) else iv * stride)
        return acc if isinstance(acc, str) else self.idx(acc)

    def in_range(self, v: str, lo: int, hi: int) -> str:
        """lo <= v < hi for an index value (as i1)."""
        a = self.op(f"arith.cmpi sge, {v}, {self.idx(lo)} : index")
        b = self.op(f"arith.cmpi slt, {v}, {self.idx(hi)} : index")
        return self.op(f"arith.andi {a}, {b} : i1")

    # ---- structure --------------------------------------------------------------------------

    @contextlib.contextmanager
    def loop(self, lo: int | str, hi: int | str, step: int = 1):
        iv = self.fresh("i")
        lo_s = self.idx(lo) if isinstance(lo, int) else lo
        hi_s = self.idx(hi) if isinstance(hi, int) else hi
        self.line(f"scf.for {iv} = {lo_s} to {hi_s} step {self.idx(step)} {{")
        self._indent += 1
        yield iv
        self._indent -= 1
        self.line("}")

    @contextlib.contextmanager
    def loop_carried(
        self, lo: int | str, hi: int | str, step: int, inits: list[str], ty: str | list[str]
    ):
        """scf.for with iter_args: yields (iv, carried values, results); the body must set
        `results[:]` to the values it yields; after the block `results` holds the loop results.
        `ty`: the type of every carried value, or a list of one type per value."""
        iv = self.fresh("i")
        carried = [self.fresh("acc") for _ in inits]
        outs = [self.fresh("r") for _ in inits]
        lo_s = self.idx(lo) if isinstance(lo, int) else lo
        hi_s = self.idx(hi) if isinstance(hi, int) else hi
        iters = ", ".join(f"{c} = {i}" for c, i in zip(carried, inits, strict=True))
        tys = ", ".join([ty] * len(inits) if isinstance(ty, str) else ty)
        head = (
            f"scf.for {iv} = {lo_s} to {hi_s} step {self.idx(step)} iter_args({iters}) -> ({tys})"
        )
        if len(outs) == 1:
            self.line(f"{outs[0]} = {head} {{")
        else:
            self.line(f"{outs[0]}:{len(outs)} = {head} {{")
        self._indent += 1
        results: list[str] = []
        yield iv, carried, results
        self.line(f"scf.yield {', '.join(results)} : {tys}")
        self._indent -= 1
        self.line("}")
        if len(outs) > 1:
            base = outs[0]
            results[:] = [f"{base}#{k}" for k in range(len(inits))]
        else:
            results[:] = outs

    def if_else(self, cond: str, then_fn, else_fn=None) -> None:
        """scf.if cond { then_fn() } [else { else_fn() }], for their side effects."""
        self.line(f"scf.if {cond} {{")
        self._indent += 1
        then_fn()
        self._indent -= 1
        if else_fn is not None:
            self.line("} else {")
            self._indent += 1
            else_fn()
            self._indent -= 1
        self.line("}")

    def if_else_value(self, cond: str, then_fn, else_value: str, ty: str) -> str:
        """scf.if cond -> ty { then_fn() } else { else_value }."""
        r = self.fresh("s")
        self.line(f"{r} = scf.if {cond} -> ({ty}) {{")
        self._indent += 1
        v = then_fn()
        self.line(f"scf.yield {v} : {ty}")
        self._indent -= 1
        self.line("} else {")
        self._indent += 1
        self.line(f"scf.yield {else_value} : {ty}")
        self._indent -= 1
        self.line("}")
        return r

    # ---- memory -------------------------------------------------------------------------------

    def load(self, mem: str, mty: str, index: str) -> str:
        return self.op(f"memref.load {mem}[{index}] : {mty}")

    def store(self, value: str, mem: str, mty: str, index: str) -> None:
        self.line(f"memref.store {value}, {mem}[{index}] : {mty}")

    def vload(self, mem: str, mty: str, index: str, n: int | None = None) -> str:
        n = n or self.lanes
        return self.op(f"vector.load {mem}[{index}] : {mty}, vector<{n}xf32>")

    def vstore(self, value: str, mem: str, mty: str, index: str, n: int | None = None) -> None:
        n = n or self.lanes
        self.line(f"vector.store {value}, {mem}[{index}] : {mty}, vector<{n}xf32>")

    def mask(self, count: int, n: int | None = None) -> str:
        n = n or self.lanes
        return self.op(f"vector.create_mask {self.idx(count)} : vector<{n}xi1>")

    def vload_masked(self, mem: str, mty: str, index: str, count: int) -> str:
        m = self.mask(count)
        z = self.vf32(0.0)
        return self.op(
            f"vector.maskedload {mem}[{index}], {m}, {z} : {mty}, vector<{self.lanes}xi1>, "
            f"vector<{self.lanes}xf32> into vector<{self.lanes}xf32>"
        )

    def vstore_masked(self, value: str, mem: str, mty: str, index: str, count: int) -> None:
        m = self.mask(count)
        self.line(
            f"vector.maskedstore {mem}[{index}], {m}, {value} : {mty}, "
            f"vector<{self.lanes}xi1>, vector<{self.lanes}xf32>"
        )

    def vload_n(self, mem: str, mty: str, index: str, count: int) -> str:
        """`count` (<= lanes) contiguous floats as a full vector (zero padded)."""
        if count == self.lanes:
            return self.vload(mem, mty, index)
        return self.vload_masked(mem, mty, index, count)

    def vstore_n(self, value: str, mem: str, mty: str, index: str, count: int) -> None:
        if count == self.lanes:
            self.vstore(value, mem, mty, index)
        else:
            self.vstore_masked(value, mem, mty, index, count)

    def splat(self, scalar: str, n: int | None = None) -> str:
        n = n or self.lanes
        return self.op(f"vector.broadcast {scalar} : f32 to vector<{n}xf32>")

    def fma(self, a: str, b: str, c: str) -> str:
        ty = f"vector<{self.lanes}xf32>"
        if self.fused_multiply_add:
            return self.op(f"vector.fma {a}, {b}, {c} : {ty}")
        return self.op(f"arith.addf {c}, {self.op(f'arith.mulf {a}, {b} : {ty}')} : {ty}")


def vty(lanes: int) -> str:
    return f"vector<{lanes}xf32>"


def activation(fn: Function, v: str, kind: str | None, ty: str) -> str:
    """Applies a fused activation (`RELU`, `RELU6`, `RELU_N1_TO_1`, `NONE`) to `v` of type `ty`."""
    scalar = ty == "f32"

    def c(x: float) -> str:
        return fn.f32(x) if scalar else fn.vf32(x, int(ty.split("<")[1].split("x")[0]))

    if kind in (None, "NONE"):
        return v
    if kind == "RELU":
        return fn.op(f"arith.maximumf {v}, {c(0.0)} : {ty}")
    if kind == "RELU6":
        v = fn.op(f"arith.maximumf {v}, {c(0.0)} : {ty}")
        return fn.op(f"arith.minimumf {v}, {c(6.0)} : {ty}")
    if kind == "RELU_N1_TO_1":
        v = fn.op(f"arith.maximumf {v}, {c(-1.0)} : {ty}")
        return fn.op(f"arith.minimumf {v}, {c(1.0)} : {ty}")
    if kind == "TANH":
        return fn.op(f"math.tanh {v} : {ty}")
    raise NotImplementedError(kind)
