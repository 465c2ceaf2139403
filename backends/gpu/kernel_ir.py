"""Builds compute kernels as MLIR `gpu.func`s (arith, math, scf, memref) from Python.

Every kernel of a model has the same signature, `(%arena: memref<?xf32>, %weights:
memref<?xf32>)`: activations live in one planned arena, constants in one weights buffer, and
tensor offsets are baked into the code as constants. A kernel computes one output element per
invocation; `linear_id` is the invocation's index over a 2-D grid of 1-D workgroups.

    b = KernelBuilder("k3_conv_2d", workgroup_size=64)
    i = b.linear_id()
    with b.guard(b.cmp("slt", i, b.index(total))):
        b.store(b.fadd(b.load("arena", i), b.f32(1.0)), i)
    text = b.finish()  # one `gpu.func`, parsed with its siblings into one `gpu.module`
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import numpy as np

INDEX, F32, I32, I1 = "index", "f32", "i32", "i1"
FULL_UNROLL = 16  # constant loops of at most this many trips become straight-line code
PARTIAL_UNROLL = 4
UNROLL_BUDGET = 256  # lines of IR a fully unrolled loop may take
BUFFERS = ("arena", "weights")


class KernelBuilder:
    """Emits the body of one `gpu.func` as MLIR text, tracking each SSA value's type."""

    def __init__(self, name: str, workgroup_size: int):
        self.name = name
        self.workgroup_size = workgroup_size
        self._lines: list[str] = []
        self._types: dict[str, str] = {}
        self._count = 0
        self._depth = 3
        self.shared_floats = 0  # workgroup memory (`%shm`), 0 when unused

    # ---- plumbing -----------------------------------------------------------------------------

    def _new(self, type_: str) -> str:
        name = f"%v{self._count}"
        self._count += 1
        self._types[name] = type_
        return name

    def _emit(self, line: str) -> None:
        self._lines.append("  " * self._depth + line)

    def _op(self, type_: str, text: str) -> str:
        value = self._new(type_)
        self._emit(f"{value} = {text}")
        return value

    def type_of(self, value: str) -> str:
        return self._types[value]

    # ---- constants and ids --------------------------------------------------------------------

    def index(self, value: int) -> str:
        return self._op(INDEX, f"arith.constant {int(value)} : index")

    def f32(self, value: float) -> str:
        v = float(np.float32(value))
        if math.isinf(v):  # no infinite literals in WGSL: the largest finite float instead
            v = float(np.finfo(np.float32).max) * (1 if v > 0 else -1)
        return self._op(F32, f"arith.constant {v!r} : f32")

    def linear_id(self) -> str:
        """`(block_id.y * grid_dim.x + block_id.x) * workgroup_size + thread_id.x`."""
        bx = self._op(INDEX, "gpu.block_id x")
        by = self._op(INDEX, "gpu.block_id y")
        gx = self._op(INDEX, "gpu.grid_dim x")
        tx = self._op(INDEX, "gpu.thread_id x")
        block = self.add(self.mul(by, gx), bx)
        return self.add(self.mul(block, self.index(self.workgroup_size)), tx)

    # ---- integer (index) arithmetic ---------------------------------------------------------

    def _index_binary(self, op: str, a: str | int, b: str | int) -> str:
        a = self.index(a) if isinstance(a, int) else a
        b = self.index(b) if isinstance(b, int) else b
        return self._op(INDEX, f"arith.{op} {a}, {b} : index")

    def add(self, a, b):
        return self._index_binary("addi", a, b)

    def sub(self, a, b):
        return self._index_binary("subi", a, b)

    def mul(self, a, b):
        return self._index_binary("muli", a, b)

    def div(self, a, b):
        return self._index_binary("divsi", a, b)

    def rem(self, a, b):
        return self._index_binary("remsi", a, b)

    def bit_xor(self, a, b):
        return self._index_binary("xori", a, b)

    def shift_right(self, a, b):
        """Arithmetic (sign-extending) shift."""
        return self._index_binary("shrsi", a, b)

    def imin(self, a, b):
        return self._index_binary("minsi", a, b)

    def imax(self, a, b):
        return self._index_binary("maxsi", a, b)

    def cmp(self, predicate: str, a, b) -> str:
        a = self.index(a) if isinstance(a, int) else a
        b = self.index(b) if isinstance(b, int) else b
        return self._op(I1, f"arith.cmpi {predicate}, {a}, {b} : index")

    def and_(self, a: str, b: str) -> str:
        return self._op(I1, f"arith.andi {a}, {b} : i1")

    def or_(self, a: str, b: str) -> str:
        return self._op(I1, f"arith.ori {a}, {b} : i1")

    def xor(self, a: str, b: str) -> str:
        return self._op(I1, f"arith.xori {a}, {b} : i1")

    def in_range(self, value: str, size: int) -> str:
        """`0 <= value < size`."""
        return self.and_(self.cmp("sge", value, 0), self.cmp("slt", value, size))

    def unravel(self, linear: str, shape: list[int]) -> list[str]:
        """Row-major coordinates of `linear` in `shape`."""
        coords: list[str] = []
        rest = linear
        for dim in reversed(shape[1:]):
            coords.append(self.rem(rest, dim))
            rest = self.div(rest, dim)
        coords.append(rest)
        return coords[::-1]

    def ravel(self, coords: list[str | int], strides: list[int], base: int = 0) -> str:
        """`base + sum(coord * stride)`, skipping zero strides."""
        acc: str | None = None
        for c, s in zip(coords, strides, strict=True):
            if s == 0:
                continue
            term = c if s == 1 else self.mul(c, s)
            acc = term if acc is None else self.add(acc, term)
        if acc is None:
            return self.index(base)
        return acc if base == 0 else self.add(acc, base)

    # ---- float arithmetic ---------------------------------------------------------------------

    def _float_binary(self, op: str, a: str, b: str) -> str:
        return self._op(F32, f"arith.{op} {a}, {b} : f32")

    def fadd(self, a, b):
        return self._float_binary("addf", a, b)

    def fsub(self, a, b):
        return self._float_binary("subf", a, b)

    def fmul(self, a, b):
        return self._float_binary("mulf", a, b)

    def fdiv(self, a, b):
        return self._float_binary("divf", a, b)

    def fmax(self, a, b):
        return self._float_binary("maximumf", a, b)

    def fmin(self, a, b):
        return self._float_binary("minimumf", a, b)

    def fneg(self, a):
        return self._op(F32, f"arith.negf {a} : f32")

    def fcmp(self, predicate: str, a: str, b: str) -> str:
        return self._op(I1, f"arith.cmpf {predicate}, {a}, {b} : f32")

    def select(self, cond: str, a: str, b: str) -> str:
        type_ = self.type_of(a)
        return self._op(type_, f"arith.select {cond}, {a}, {b} : {type_}")

    def math(self, fn: str, x: str) -> str:
        return self._op(F32, f"math.{fn} {x} : f32")

    def to_f32(self, x: str) -> str:
        """An index as f32."""
        i = self._op(I32, f"arith.index_cast {x} : index to i32")
        return self._op(F32, f"arith.sitofp {i} : i32 to f32")

    def to_index(self, x: str) -> str:
        """An f32 truncated toward zero, as an index."""
        i = self._op(I32, f"arith.fptosi {x} : f32 to i32")
        return self._op(INDEX, f"arith.index_cast {i} : i32 to index")

    # ---- memory -------------------------------------------------------------------------------

    def load(self, buffer: str, idx: str) -> str:
        assert buffer in BUFFERS
        return self._op(F32, f"memref.load %{buffer}[{idx}] : memref<?xf32>")

    def store(self, value: str, idx: str) -> None:
        self._emit(f"memref.store {value}, %arena[{idx}] : memref<?xf32>")

    def _shared_type(self) -> str:
        return f"memref<{self.shared_floats}xf32, #gpu.address_space<workgroup>>"

    def load_shared(self, idx: str) -> str:
        return self._op(F32, f"memref.load %shm[{idx}] : {self._shared_type()}")

    def store_shared(self, value: str, idx: str) -> None:
        self._emit(f"memref.store {value}, %shm[{idx}] : {self._shared_type()}")

    def barrier(self) -> None:
        self._emit("gpu.barrier")

    # ---- structured control flow ------------------------------------------------------------

    @contextlib.contextmanager
    def guard(self, cond: str) -> Iterator[None]:
        """`scf.if %cond { ... }`."""
        self._emit(f"scf.if {cond} {{")
        self._depth += 1
        yield
        self._depth -= 1
        self._emit("}")

    def loop(self, lo: int | str, hi: int, inits: list[str], body, step: int = 1) -> list[str]:
        """`scf.for` over `[lo, hi)` carrying `inits`; `body(iv, *carried) -> list of next values`.

        Short constant loops are unrolled here (MLIR then folds their index arithmetic), long
        ones by `PARTIAL_UNROLL` when the trip count allows: both lavapipe, which pays for
        every loop iteration's control flow, and GPUs run straight-line code best.
        """
        if isinstance(lo, int):
            trips = max(0, -(-(hi - lo) // step))
            if 0 < trips <= FULL_UNROLL:
                mark, values = len(self._lines), list(inits)
                for n, k in enumerate(range(lo, hi, step)):
                    values = list(body(self.index(k), *values))
                    if n == 0 and (len(self._lines) - mark) * trips > UNROLL_BUDGET:
                        del self._lines[mark:]  # too much code: keep the loop
                        return self._scf_for(lo, hi, inits, body, step)
                return values
            if trips % PARTIAL_UNROLL == 0:

                def unrolled(iv, *values):
                    for j in range(PARTIAL_UNROLL):
                        values = body(self.add(iv, j * step) if j else iv, *values)
                    return list(values)

                return self._scf_for(lo, hi, inits, unrolled, step * PARTIAL_UNROLL)
        return self._scf_for(lo, hi, inits, body, step)

    def _scf_for(self, lo: int | str, hi: int, inits: list[str], body, step: int) -> list[str]:
        results = [self._new(self.type_of(v)) for v in inits]
        iv = self._new(INDEX)
        carried = [self._new(self.type_of(v)) for v in inits]
        lo_v = lo if isinstance(lo, str) else self.index(lo)
        hi_v, step_v = self.index(hi), self.index(step)
        types = ", ".join(self.type_of(v) for v in inits)
        iter_args = ", ".join(f"{c} = {v}" for c, v in zip(carried, inits, strict=True))
        head = f"scf.for {iv} = {lo_v} to {hi_v} step {step_v} iter_args({iter_args}) -> ({types})"
        self._emit(f"{self._results(results)} = {head} {{")
        self._depth += 1
        nexts = body(iv, *carried)
        self._emit(f"scf.yield {', '.join(nexts)} : {types}")
        self._depth -= 1
        self._emit("}")
        return results

    def branch(self, cond: str, then_fn, else_fn) -> list[str]:
        """`scf.if` with results: `then_fn()` / `else_fn()` return lists of values."""
        self._emit("__IF__")
        mark = len(self._lines) - 1
        self._depth += 1
        then_vals = then_fn()
        types = ", ".join(self.type_of(v) for v in then_vals)
        self._emit(f"scf.yield {', '.join(then_vals)} : {types}")
        self._depth -= 1
        self._emit("} else {")
        self._depth += 1
        else_vals = else_fn()
        self._emit(f"scf.yield {', '.join(else_vals)} : {types}")
        self._depth -= 1
        self._emit("}")
        results = [self._new(self.type_of(v)) for v in then_vals]
        indent = "  " * self._depth
        self._lines[mark] = f"{indent}{self._results(results)} = scf.if {cond} -> ({types}) {{"
        return results

    @staticmethod
    def _results(results: list[str]) -> str:
        if len(results) == 1:
            return results[0]
        base = f"%r{results[0][2:]}"
        return f"{base}:{len(results)}"

    # ---- output -------------------------------------------------------------------------------

    def finish(self) -> str:
        body = "\n".join(self._lines)
        shared = f" workgroup(%shm : {self._shared_type()})" if self.shared_floats else ""
        text = (
            f"    gpu.func @{self.name}(%arena: memref<?xf32>, %weights: memref<?xf32>){shared} kernel "
            f"attributes {{known_block_size = array<i32: {self.workgroup_size}, 1, 1>}} {{\n"
            f"{body}\n      gpu.return\n    }}"
        )
        return self._rename_multi_results(text)

    def _rename_multi_results(self, text: str) -> str:
        """Multi-result ops bind `%rN:k`; their values are then referred to as `%rN#j`."""
        for line in self._lines:
            stripped = line.strip()
            if stripped.startswith("%r") and ":" in stripped.split("=")[0]:
                base, count = stripped.split("=")[0].strip().split(":")
                first = int(base[2:])
                for j in range(int(count)):
                    text = _replace_value(text, f"%v{first + j}", f"{base}#{j}")
        return text


def _replace_value(text: str, old: str, new: str) -> str:
    import re

    return re.sub(re.escape(old) + r"(?![0-9])", new, text)


def gpu_module_text(kernels: list[str]) -> str:
    """One module holding every kernel of a model in one `gpu.module`."""
    body = "\n".join(kernels)
    return (
        "module attributes {gpu.container_module} {\n"
        f"  gpu.module @tflc_kernels {{\n{body}\n  }}\n}}\n"
    )
