"""Builds the MLIR module of a compiled model: one kernel function per node and a run function.

    func.func @<name>_run(%in0: memref<..>, ..., %out0: memref<..>, ..., %ws: memref<Nxi8>)

With the bare-pointer calling convention every memref argument becomes a plain pointer, so the
C signature is `void <name>_run(const T *in0, ..., T *out0, ..., void *workspace)`. Weights live
in one global byte blob (`@<name>_weights`, defined by the codegen step); activations are
`memref.view`s of the workspace at the offsets of the memory plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from tflc.backends.cpu import kernels_conv as conv
from tflc.backends.cpu import kernels_data as data
from tflc.backends.cpu import kernels_elementwise as ew
from tflc.backends.cpu import kernels_window as window
from tflc.backends.cpu.graph import Graph, Node
from tflc.backends.cpu.kernel import Kernel, WeightBlob
from tflc.backends.cpu.memory_plan import MemoryPlan
from tflc.errors import TflcError

EMITTERS = {
    "conv_2d": conv.emit_conv,
    "fully_connected": conv.emit_fully_connected,
    "depthwise_conv_2d": window.emit_depthwise,
    "max_pool_2d": window.emit_pool,
    "average_pool_2d": window.emit_pool,
    "softmax": ew.emit_softmax,
    "log_softmax": ew.emit_softmax,
    "concatenation": data.emit_concatenation,
    "copy": data.emit_copy,
    "resize_bilinear": data.emit_resize_bilinear,
}
EMITTERS |= {op: ew.emit_unary for op in ew.UNARY_OPS}
EMITTERS |= {op: ew.emit_binary for op in ew.BINARY_OPS}
EMITTERS |= {op: ew.emit_reduce for op in ew.REDUCE_OPS}
EMITTERS |= {op: data.emit_table_gather for op in data.TABLE_OPS}
ALIASES = {"reshape", "squeeze", "expand_dims"}
SUPPORTED_OPS = set(EMITTERS) | ALIASES

FLOAT_ONLY = set(EMITTERS) - data.TABLE_OPS - {"copy", "concatenation"}


@dataclass
class BuiltModule:
    text: str
    blob: WeightBlob
    kernels: list[Kernel]


def _elem(dtype: str) -> str:
    return {"ui8": "i8", "i1": "i8"}.get(dtype, dtype)


def check_node(node: Node) -> None:
    """Rejects what the float kernels cannot do, naming the op (before any code exists)."""
    if node.op in FLOAT_ONLY:
        for t in [*node.inputs[:1], *node.outputs]:
            if t is not None and t.dtype != "f32":
                raise TflcError(
                    f"the cpu target has no {t.dtype} kernel for '{node.op}' yet "
                    "(quantized int8 models are not supported by the cpu target yet)",
                    node.where,
                )


def build_module(graph: Graph, plan: MemoryPlan, tiling: conv.Tiling, name: str) -> BuiltModule:
    blob = WeightBlob()
    kernels: list[Kernel] = []
    for node in graph.nodes:
        check_node(node)
    for i, node in enumerate(graph.nodes):
        if node.op in ALIASES and node.op not in EMITTERS:
            continue
        k = Kernel(f"{name}_k{i}_{node.op}", tiling.lanes, blob)
        try:
            EMITTERS[node.op](k, tiling, node)
        except TflcError as e:
            raise e.at(node.where) from None
        except (NotImplementedError, KeyError, ValueError, IndexError) as e:
            raise TflcError(
                f"the cpu target cannot compile this '{node.op}' ({e!r})", node.where
            ) from None
        kernels.append(k)
    # Kernels are parameterized by their arguments only (weights are views passed in), so
    # layers of the same shape share one function.
    unique: dict[str, str] = {}
    bodies: list[str] = []
    for k in kernels:
        generic = k.fn.text().replace(f"@{k.name}(", "@KERNEL(", 1)
        if generic not in unique:
            unique[generic] = k.name
            bodies.append(k.fn.text())
        k.callee = unique[generic]
    ws_bytes = max(plan.workspace_bytes, 64)
    blob_bytes = max(blob.size, 64)
    lines = [f'memref.global "public" constant @{name}_weights : memref<{blob_bytes}xi8>']
    lines += bodies
    args = [f"%in{i}: memref<{t.size}x{_elem(t.dtype)}>" for i, t in enumerate(graph.inputs)]
    args += [f"%out{i}: memref<{t.size}x{_elem(t.dtype)}>" for i, t in enumerate(graph.outputs)]
    args.append(f"%ws: memref<{ws_bytes}xi8>")
    body = [f"func.func @{name}_run({', '.join(args)}) {{"]
    body.append(f"  %wb = memref.get_global @{name}_weights : memref<{blob_bytes}xi8>")
    offsets: dict[int, str] = {}

    def offset(v: int) -> str:
        if v not in offsets:
            offsets[v] = f"%o{v}"
            body.insert(2, f"  %o{v} = arith.constant {v} : index")
        return offsets[v]

    views: dict[tuple, str] = {}
    for k in kernels:
        operands = []
        for a in k.args:
            mty = f"memref<{a.count}x{a.elem}>"
            if a.kind == "const":
                key = ("c", a.offset, mty)
                src, src_ty = "%wb", f"memref<{blob_bytes}xi8>"
                off = a.offset
            else:
                st = plan.storage[a.tensor.index]
                if st.kind in ("input", "output"):
                    operands.append(f"%{'in' if st.kind == 'input' else 'out'}{st.index}")
                    continue
                key = ("w", st.index, mty)
                src, src_ty = "%ws", f"memref<{ws_bytes}xi8>"
                off = st.index
            if key not in views:
                views[key] = f"%view{len(views)}"
                body.append(
                    f"  {views[key]} = memref.view {src}[{offset(off)}][] : {src_ty} to {mty}"
                )
            operands.append(views[key])
        sig = ", ".join(f"memref<{a.count}x{a.elem}>" for a in k.args)
        body.append(f"  func.call @{k.callee}({', '.join(operands)}) : ({sig}) -> ()")
    body += ["  return", "}"]
    text = "module {\n" + "\n".join(lines + body) + "\n}\n"
    return BuiltModule(text, blob, kernels)
