"""Kernels as MLIR functions over flat memrefs, and the weight blob they read packed constants from.

A kernel is a private `func.func` whose arguments are activations (views of the inputs, the
outputs or the workspace) and packed constants (views of one read-only weight blob, linked into
the object as a single global). `Kernel.arg_tensor` / `Kernel.arg_const` declare arguments; the
module builder turns each into a `memref.view` at the call site.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tflc.backends.cpu.emitter import Function
from tflc.backends.cpu.graph import Tensor
from tflc.backends.cpu.state_region import StateRegion

WEIGHT_ALIGNMENT = 64

_MLIR_TYPES = {
    np.dtype(np.float32): "f32",
    np.dtype(np.int32): "i32",
    np.dtype(np.int8): "i8",
    np.dtype(np.uint8): "i8",
    np.dtype(np.int16): "i16",
    np.dtype(np.int64): "i64",
    np.dtype(np.bool_): "i8",
}


class WeightBlob:
    """Constants packed back to back, 64-byte aligned; identical arrays are stored once."""

    def __init__(self):
        self.chunks: list[bytes] = []
        self.size = 0
        self._seen: dict[tuple[bytes, str], int] = {}

    def add(self, array: np.ndarray) -> int:
        data = np.ascontiguousarray(array).tobytes()
        key = (data, str(array.dtype))
        if key in self._seen:
            return self._seen[key]
        pad = -self.size % WEIGHT_ALIGNMENT
        if pad:
            self.chunks.append(b"\0" * pad)
            self.size += pad
        offset = self.size
        self.chunks.append(data)
        self.size += len(data)
        self._seen[key] = offset
        return offset

    def data(self) -> bytes:
        return b"".join(self.chunks) + b"\0" * (-self.size % WEIGHT_ALIGNMENT)


def memref_elem(dtype: str) -> str:
    """The MLIR element type a tensor of cpu dtype `dtype` is addressed as: bools and uint8 as
    bytes, complex64 as float32 (real and imaginary parts side by side)."""
    return {"ui8": "i8", "i1": "i8", "complex<f32>": "f32"}.get(dtype, dtype)


def memref_count(t: Tensor) -> int:
    """The number of memref elements of `t` (two per complex value)."""
    return t.size * (2 if t.dtype == "complex<f32>" else 1)


@dataclass
class Arg:
    kind: str  # "tensor", "const" or "state"
    elem: str  # MLIR element type
    count: int
    tensor: Tensor | None = None
    offset: int = 0  # weight-blob offset for consts, state-region offset for state


@dataclass
class Kernel:
    name: str
    lanes: int
    blob: WeightBlob
    args: list[Arg] = field(default_factory=list)
    fn: Function | None = None
    flops: int = 0
    callee: str = ""  # the function called for this kernel (shared between identical ones)
    parallel_extent: int = 0  # >0: the kernel takes a [begin, end) range of that many units
    state: StateRegion | None = None  # the model's state region (arg_state places shares in it)
    externs: dict[str, str] = field(default_factory=dict)  # C functions called: name -> type

    def parallel_range(self, extent: int) -> tuple[str, str]:
        """Declares the kernel splittable into `extent` units; returns its (begin, end) args."""
        self.parallel_extent = extent
        return "%tb", "%te"

    def __post_init__(self):
        self.fn = Function(self.name, [], self.lanes)

    def _arg(self, arg: Arg) -> tuple[str, str]:
        name = f"a{len(self.args)}"
        mty = f"memref<{arg.count}x{arg.elem}>"
        self.args.append(arg)
        self.fn.args.append((name, mty))
        return f"%{name}", mty

    def arg_tensor(self, t: Tensor) -> tuple[str, str]:
        """An activation (or a constant operand, stored in the blob as is)."""
        if t.is_const:
            return self.arg_const(t.value.astype(t.value.dtype))
        if t.variable:
            offset = self.state.variable(t.index, t.nbytes)
            return self._arg(Arg("state", memref_elem(t.dtype), memref_count(t), offset=offset))
        return self._arg(Arg("tensor", memref_elem(t.dtype), memref_count(t), tensor=t))

    def arg_state(self, count: int, elem: str) -> tuple[str, str]:
        """`count` elements of type `elem` of the state region, kept between runs."""
        nbytes = count * {"i64": 8, "f32": 4, "i32": 4}[elem]
        return self._arg(Arg("state", elem, count, offset=self.state.add(nbytes)))

    def arg_const(self, array: np.ndarray) -> tuple[str, str]:
        array = np.ascontiguousarray(array)
        if array.dtype == np.float16 or array.dtype == np.float64:
            array = array.astype(np.float32)
        if array.dtype == np.complex64:
            array = array.view(np.float32)
        offset = self.blob.add(array)
        return self._arg(Arg("const", _MLIR_TYPES[array.dtype], max(array.size, 1), offset=offset))
