"""`fallback="runtime"` (backends/fallback_option.py): compiles a model whose ops the cpu target cannot all lower as a pipeline
of native libraries and host steps (see partition.py and runtime/cpu_pipeline.py)."""

from __future__ import annotations

import time
from typing import Any

from mlir import ir
from tflc.backends.cpu.graph import _Builder, tensor_descriptor
from tflc.backends.cpu.partition import describe_op, main_function, split_steps, step_module
from tflc.backends.fallback_option import CLI_FLAG, NONE, OPTION, RUNTIME, warn_if_nothing_compiled
from tflc.dialects.tfl_verifier import describe_location
from tflc.errors import TflcError
from tflc.runtime.cpu_pipeline import PIPELINE_FORMAT, CompiledCpuPipeline

HOST_COST_NOTE = (
    "host steps run in tflc's numpy interpreter: each costs a copy of its inputs and outputs "
    "and the interpreter's speed; profile() reports their wall time"
)


def _descriptor(value: ir.Value, name: str) -> dict[str, Any]:
    return tensor_descriptor(_Builder().tensor(value, name), name)


def emit_with_fallback(target, module, options: dict[str, Any], host_ops: list[ir.Operation]):
    from tflc.backends.tflite.exporter import export_flatbuffer

    start = time.perf_counter()
    name = str(options.get("name", "model"))
    with module.context:
        steps, ret = split_steps(module, host_ops)
        args = list(main_function(module).regions[0].blocks[0].arguments)
        ids: dict[ir.Value, int] = {a: i for i, a in enumerate(args)}

        def vid(v: ir.Value) -> int:
            return ids.setdefault(v, len(ids))

        natives, hosts, manifest_steps = {}, {}, []
        for i, step in enumerate(steps):
            if not step.outputs:
                continue  # nothing downstream reads it
            part_name = f"{name}_step{i}"
            sub = step_module(step)
            entry = {"name": part_name, "kind": step.kind}
            if step.kind == "native":
                part = target.emit(sub, {**options, "name": part_name, OPTION: NONE})
                if not hasattr(part, "_lib"):
                    raise TflcError(
                        f"{CLI_FLAG} {RUNTIME} needs a model compiled for this host", "--option"
                    )
                natives[part_name] = part
                entry["ops"] = len(step.ops)
            else:
                hosts[part_name] = export_flatbuffer(sub, describe_op(step.ops[0]))
                entry["op"] = describe_op(step.ops[0])
            entry["inputs"] = [vid(v) for v in step.inputs]
            entry["outputs"] = [vid(v) for v in step.outputs]
            manifest_steps.append(entry)
        inputs = [
            _descriptor(a, describe_location(a.location) or f"input{i}") for i, a in enumerate(args)
        ]
        outputs = [_descriptor(v, f"output{i}") for i, v in enumerate(ret.operands)]
        output_ids = [vid(v) for v in ret.operands]
    parts = [p.report for p in natives.values()]
    report = {
        "native_steps": len(natives),
        "host_steps": len(hosts),
        "fallback_ops": [s["op"] for s in manifest_steps if s["kind"] == "host"],
        "fallback_cost": HOST_COST_NOTE,
        "arena_bytes": sum(r["arena_bytes"] for r in parts),
        "weight_bytes": sum(r["weight_bytes"] for r in parts),
        "gflop": round(sum(r["gflop"] for r in parts), 4),
        "compile_seconds": round(time.perf_counter() - start, 3),
    }
    warn_if_nothing_compiled(report, "cpu", len(natives))
    manifest = {
        "target": "cpu",
        "format": PIPELINE_FORMAT,
        "name": name,
        "inputs": inputs,
        "outputs": outputs,
        "output_ids": output_ids,
        "steps": manifest_steps,
        "num_threads": int(options.get("num_threads", 1)),
        "report": report,
    }
    return CompiledCpuPipeline(manifest, natives, hosts)
