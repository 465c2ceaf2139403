"""The gpu target's artifacts: manifest, weights, shaders, host-op models; `save(dir)` writes them.

out/manifest.json   format, bindings, inputs/outputs (arena offsets), steps (shader, grid,
                    workgroup size, ops fused; `if` / `while` steps nest theirs), buffer
                    plan, weights file
out/weights.bin     float32 constants (filters repacked), 64-byte aligned chunks
out/shaders/*.wgsl  one compute shader per dispatch
out/host/*.tflite   one-op models for ops run on the CPU (`fallback="runtime"`)
out/kernels.mlir    the gpu-dialect module the shaders were printed from
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from mlir import ir
from tflc.backends.gpu.buffer_plan import BufferPlan
from tflc.backends.gpu.fusion import Group, op_label
from tflc.backends.gpu.graph import ARENA_DTYPES, Graph
from tflc.backends.gpu.lowering import WeightsPacker

FORMAT = "tflc-gpu/1"
BINDINGS = [
    {"binding": 0, "name": "arena", "type": "storage", "access": "read_write"},
    {"binding": 1, "name": "weights", "type": "storage", "access": "read"},
]


@dataclass
class Artifacts:
    manifest: dict
    shaders: dict[str, str]
    weights: bytes
    hosts: dict[str, bytes] = field(default_factory=dict)
    gpu_text: str = ""

    def save(self, directory) -> None:
        root = Path(directory)
        (root / "shaders").mkdir(parents=True, exist_ok=True)
        for name, text in self.shaders.items():
            (root / name).write_text(text)
        for name, data in self.hosts.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
        (root / self.manifest["weights"]["file"]).write_bytes(self.weights)
        (root / "kernels.mlir").write_text(self.gpu_text)
        (root / "manifest.json").write_text(json.dumps(self.manifest, indent=1) + "\n")


def _tensor_spec(graph: Graph, plan: BufferPlan, tid: int) -> dict:
    t = graph.tensors[tid]
    return {
        "name": t.name,
        "shape": list(t.shape),
        "dtype": ARENA_DTYPES[t.dtype],
        "offset": plan.offsets[graph.root(tid)],
    }


def _io_spec(graph: Graph, plan: BufferPlan, tid: int) -> dict:
    """A model input or output: int8 ones carry the quantization the runtime converts with
    (the arena holds their float values)."""
    t = graph.tensors[tid]
    if t.const is not None:  # known at compile time (`shape`, `rank`): no arena storage
        value = np.asarray(t.const).astype(ARENA_DTYPES[t.dtype]).reshape(t.shape)
        return {"name": t.name, "shape": list(t.shape), "dtype": str(value.dtype),
                "value": value.tolist()}  # fmt: skip
    q = t.quant
    if q is None:
        return _tensor_spec(graph, plan, tid)
    quantization = {"scale": q.scale, "zero_point": q.zero_point}
    return {**_tensor_spec(graph, plan, tid), "dtype": "int8", "quantization": quantization}


class _StepNesting:
    """Nests the steps between control-flow markers (control_flow.py) into `if` steps
    ({"cond", "then", "else"}) and `while` steps ({"cond_steps", "cond", "body"}), which the
    runtime runs by reading the one-element condition back."""

    def __init__(self, steps: list[dict]):
        self.stack: list[tuple[list[dict], dict | None]] = [(steps, None)]

    def add(self, step: dict) -> None:
        self.stack[-1][0].append(step)

    def marker(self, kind: str, inputs: list[dict]) -> None:
        if kind == "if_begin":
            step = {"kind": "if", "cond": inputs[0], "then": [], "else": []}
            self.add(step)
            self.stack.append((step["then"], step))
        elif kind == "if_else":
            _, step = self.stack.pop()
            self.stack.append((step["else"], step))
        elif kind == "while_begin":
            step = {"kind": "while", "cond_steps": [], "cond": None, "body": []}
            self.add(step)
            self.stack.append((step["cond_steps"], step))
        elif kind == "while_test":
            _, step = self.stack.pop()
            step["cond"] = inputs[0]
            self.stack.append((step["body"], step))
        else:  # if_end, while_end
            self.stack.pop()


def build_manifest(
    graph: Graph,
    groups: list[Group],
    plan: BufferPlan,
    weights: WeightsPacker,
    shaders: dict[str, str],
    hosts: dict[str, bytes],
    gpu_text: str,
) -> Artifacts:
    steps: list[dict] = []
    nest = _StepNesting(steps)
    for g in groups:
        if g.control:
            nest.marker(g.nodes[0].op, [_tensor_spec(graph, plan, t) for t in g.nodes[0].inputs])
            continue
        ops = [f"{n.op} {n.where}" for n in g.nodes]
        if g.host:
            node = g.nodes[0]
            nest.add(
                {
                    "kind": "host",
                    "name": g.name,
                    "op": op_label(node),
                    "model": f"host/{g.name}.tflite",
                    "inputs": [
                        _tensor_spec(graph, plan, t)
                        for t in node.inputs
                        if t is not None and graph.tensors[t].const is None
                    ],
                    "outputs": [_tensor_spec(graph, plan, t) for t in node.outputs],
                }
            )
            continue
        nest.add(
            {
                "kind": "dispatch",
                "name": g.name,
                "shader": f"shaders/{g.name}.wgsl",
                "workgroup_size": [g.workgroup_size, 1, 1],
                "grid": list(g.grid),
                "split_k": g.extra.get("split_k", 1),
                **(
                    {
                        "variants": {
                            "cpu": {
                                **g.extra["cpu"],
                                "shader": f"shaders/{g.extra['cpu']['name']}.wgsl",
                            }
                        }
                    }
                    if "cpu" in g.extra
                    else {}
                ),
                "ops": ops,
                "output": _tensor_spec(graph, plan, g.outputs[0]),
            }
        )
    weight_bytes = weights.tobytes()
    manifest = {
        "format": FORMAT,
        "bindings": BINDINGS,
        "arena_floats": plan.arena_floats,
        "weights": {"file": "weights.bin", "bytes": len(weight_bytes)},
        "inputs": [_io_spec(graph, plan, t) for t in graph.inputs],
        "outputs": [_io_spec(graph, plan, t) for t in graph.outputs],
        "steps": steps,
        "buffer_plan": {
            "arena_bytes": 4 * plan.arena_floats,
            "unplanned_bytes": 4 * plan.naive_floats,
            "tensors": [
                {
                    "tensor": graph.tensors[r].name,
                    "offset": plan.offsets[r],
                    "floats": graph.tensors[r].size,
                    "live": list(plan.lifetimes[r]),
                }
                for r in sorted(plan.offsets, key=lambda r: plan.offsets[r])
            ],
        },
    }
    return Artifacts(manifest, shaders, weight_bytes, hosts, gpu_text)


def host_model(context: ir.Context, graph: Graph, group: Group) -> bytes:
    """A one-op .tflite model running `group`'s op on the CPU (its constants inlined)."""
    from tflc.backends.tflite.exporter import export_flatbuffer
    from tflc.dialects import tfl

    node = group.nodes[0]
    op = node.operation
    with context, ir.Location.unknown():
        module = ir.Module.create()
        live = [t for t in node.inputs if t is not None and graph.tensors[t].const is None]
        f32 = ir.F32Type.get()
        # int8 activations are float32 in the arena (quantized.py); other types keep theirs
        # (bool and integer tensors convert at the host step, runtime/gpu_arena.py)
        operand_types = dict(zip(node.inputs, (v.type for v in op.operands), strict=True))
        arg_types = [
            ir.RankedTensorType.get(list(graph.tensors[t].shape), f32)
            if graph.tensors[t].quant is not None or graph.tensors[t].dtype == "f32"
            else operand_types[t]
            for t in live
        ]
        result_types = [  # int8 results are float32 in the arena (quantized.py)
            ir.RankedTensorType.get(list(graph.tensors[t].shape), f32)
            if graph.tensors[t].quant is not None
            else r.type
            for t, r in zip(node.outputs, op.results, strict=True)
        ]
        from mlir.dialects import func

        with ir.InsertionPoint(module.body):
            f = func.FuncOp("main", (arg_types, result_types))
            block = f.add_entry_block()
            with ir.InsertionPoint(block):
                operands = []
                args = dict(zip(live, block.arguments, strict=True))
                for t, value in zip(node.inputs, op.operands, strict=True):
                    if t is None:
                        operands.append(
                            ir.Operation.create(
                                "tfl.no_value",
                                results=[value.type],
                                attributes={"value": ir.UnitAttr.get()},
                            ).result
                        )
                    elif t in args:
                        operands.append(args[t])
                    else:
                        operands.append(tfl.constant(graph.tensors[t].const))
                attrs = {k: op.attributes[k] for k in op.attributes}
                new = ir.Operation.create(
                    op.name, results=result_types, operands=operands, attributes=attrs
                )
                func.ReturnOp(new.results)
    return export_flatbuffer(module, node.where)
