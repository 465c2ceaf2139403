"""GPU backend latency: MobileNetV2 float32, batch 1, per dispatch and in total.

    python benchmarks/gpu.py                    # here: lavapipe next to tflc's CPU backend and LiteRT
    python benchmarks/gpu.py --export DIR       # compile; save artifacts, inputs, LiteRT outputs and
                                                # the network for PyTorch into DIR
    python benchmarks/gpu.py --device DIR       # on an NVIDIA machine, without the compiler: our
                                                # shaders through wgpu next to PyTorch (CUDA), same
                                                # weights, in one run

Stated target: outputs within 1e-3 (max abs error over max |reference|) of LiteRT; the script exits
1 when it is missed. Latencies are medians; per-dispatch figures are GPU timestamps where the
adapter has them.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np

TOLERANCE = 1e-3
REPO = Path(__file__).resolve().parent.parent


def _median_ms(fn, repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return float(np.median(times))


def _rel_err(ref: np.ndarray, got: np.ndarray) -> float:
    return float(np.abs(ref - got).max() / max(float(np.abs(ref).max()), 1e-12))


def _print_dispatches(profile: dict, steps: list[dict], top: int) -> None:
    steps = {s["name"]: s for s in steps}
    items = sorted(profile["per_dispatch_ms"].items(), key=lambda kv: -kv[1])
    print(f"per dispatch ({profile['per_dispatch_source']}), {len(items)} dispatches:")
    print(f"  {'ms':>9}  {'wg':>4}  {'output':<18} dispatch")
    for name, ms in items[:top]:
        step = steps[name]
        shape = "x".join(map(str, step["output"]["shape"]))
        print(f"  {ms:9.3f}  {step['workgroup_size'][0]:>4}  {shape:<18} {name}")
    print(f"  {sum(profile['per_dispatch_ms'].values()):9.3f}  sum of dispatches")
    for name, ms in profile.get("per_host_step_ms", {}).items():
        print(f"  {ms:9.3f}  host step (CPU fallback; waits for the GPU, transfers): {name}")


def _load_runtime():
    """tflc's GPU runtime. On a bare device machine the checkout is not installed: it becomes
    importable as `tflc` through a symlink (the package root imports no compiler code)."""
    if importlib.util.find_spec("tflc") is None:
        import tempfile

        alias = Path(tempfile.mkdtemp(prefix="tflc-pkg-")) / "tflc"
        alias.symlink_to(REPO, target_is_directory=True)
        sys.path.insert(0, str(alias.parent))
    from tflc.runtime import gpu_runtime

    return gpu_runtime


# ---- here: lavapipe next to the CPU backend -------------------------------------------------


def _model_path() -> Path:
    sys.path.insert(0, str(REPO / "tests"))
    import corpus

    return corpus.tf_model_path("mobilenet_v2", "float32")


def _litert(path: Path, inputs: list[np.ndarray]) -> list[np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path), num_threads=1)
    interp.allocate_tensors()
    for d, x in zip(interp.get_input_details(), inputs, strict=True):
        interp.set_tensor(d["index"], x)
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()], interp


def run_here(repeats: int, top: int) -> int:
    from tflc.compiler import compile as tflc_compile

    path = _model_path()
    cm = tflc_compile(str(path), target="gpu")
    x = np.random.default_rng(0).uniform(-1, 1, cm.inputs[0]["shape"]).astype(np.float32)
    ref, interp = _litert(path, [x])
    got = cm(x)
    err = max(_rel_err(r, g) for r, g in zip(ref, got, strict=True))
    runtime = cm.runtime
    profile = runtime.profile(x, repeats=repeats)
    print(f"MobileNetV2 float32 batch 1 on {runtime.adapter_name}; report: {cm.report}")
    _print_dispatches(profile, runtime.steps, top)
    rows = [("tflc gpu (wgpu, " + runtime.adapter_name + ")", profile["total_ms"], err)]
    try:
        cpu = tflc_compile(str(path), target="cpu")
        cpu_err = max(_rel_err(r, g) for r, g in zip(ref, cpu(x), strict=True))
        rows.append(("tflc cpu backend", _median_ms(lambda: cpu(x), repeats), cpu_err))
    except Exception as e:  # noqa: BLE001 - report, do not hide, a missing CPU backend
        rows.append((f"tflc cpu backend: unavailable ({type(e).__name__}: {e})"[:90], None, None))
    rows.append(("LiteRT (XNNPACK, 1 thread)", _median_ms(interp.invoke, repeats), 0.0))
    _print_table(rows)
    return 0 if err <= TOLERANCE else 1


def _print_table(rows) -> None:
    print(f"\n{'':<60} {'total ms':>10} {'rel err':>10}")
    for name, ms, err in rows:
        ms_s = f"{ms:10.3f}" if ms is not None else f"{'-':>10}"
        err_s = f"{err:10.2e}" if err is not None else f"{'-':>10}"
        print(f"{name:<60} {ms_s} {err_s}")


def export(directory: Path, extra_models: list[str]) -> int:
    """Compiled artifacts + what the device run compares against (LiteRT outputs, the network)."""
    import tflc
    from tflc.backends.gpu.graph import build_graph
    from tflc.compiler import compile as tflc_compile

    path = _model_path()
    cm = tflc_compile(str(path), target="gpu")
    cm.save(directory / "artifacts")
    x = np.random.default_rng(0).uniform(-1, 1, cm.inputs[0]["shape"]).astype(np.float32)
    ref, _ = _litert(path, [x])
    np.savez(directory / "io.npz", x=x, **{f"ref{i}": r for i, r in enumerate(ref)})
    graph = build_graph(tflc.load(str(path)))
    consts = {f"t{t.id}": t.const for t in graph.tensors if t.const is not None}
    np.savez(directory / "torch_weights.npz", **consts)
    net = {
        "inputs": graph.inputs,
        "outputs": graph.outputs,
        "aliases": {
            str(t.id): [t.alias_of, list(t.shape)] for t in graph.tensors if t.alias_of is not None
        },
        "nodes": [
            {"op": n.op, "attrs": n.attrs, "inputs": n.inputs, "outputs": n.outputs}
            for n in graph.nodes
        ],
    }
    (directory / "torch_net.json").write_text(json.dumps(net))
    for model in extra_models:
        sub = directory / "models" / Path(model).stem
        extra = tflc_compile(str(model), target="gpu")
        extra.save(sub)
        rng = np.random.default_rng(0)
        xs = [rng.uniform(-1, 1, s["shape"]).astype(np.float32) for s in extra.inputs]
        outs, _ = _litert(Path(model), xs)
        np.savez(
            sub / "io.npz",
            **{f"x{i}": v for i, v in enumerate(xs)},
            **{f"ref{i}": r for i, r in enumerate(outs)},
        )
    print(f"exported to {directory}: {cm.report}")
    return 0


# ---- on the NVIDIA machine: our shaders next to PyTorch --------------------------------------


class TorchNet:
    """The exported tfl graph run with torch.nn.functional in NCHW (MobileNetV2's op set)."""

    def __init__(self, directory: Path, device: str):
        import torch

        self.torch = torch
        self.net = json.loads((directory / "torch_net.json").read_text())
        weights = np.load(directory / "torch_weights.npz")
        self.consts = {int(k[1:]): torch.from_numpy(weights[k]).to(device) for k in weights.files}
        self.params: dict[int, object] = {}
        for node in self.net["nodes"]:
            if node["op"] == "conv_2d":
                self.params[node["inputs"][1]] = self.consts[node["inputs"][1]].permute(0, 3, 1, 2)
            elif node["op"] == "depthwise_conv_2d":
                w = self.consts[node["inputs"][1]]  # [1, kh, kw, c*m] -> [c*m, 1, kh, kw]
                self.params[node["inputs"][1]] = w.permute(3, 0, 1, 2).contiguous()

    def __call__(self, x):
        from tflc.runtime.kernels.geometry import conv_axis  # importable once _load_runtime ran

        torch = self.torch
        F = torch.nn.functional
        values = {self.net["inputs"][0]: x.permute(0, 3, 1, 2)}
        aliases = {int(k): v for k, v in self.net["aliases"].items()}

        def get(t):
            if t in values:
                return values[t]
            if t in aliases:
                src, shape = aliases[t]
                v = get(src)
                if v.dim() == 4:
                    v = v.permute(0, 2, 3, 1)
                return v.reshape(shape)
            return self.consts[t]

        act = {"RELU": F.relu, "RELU6": lambda v: F.hardtanh(v, 0.0, 6.0)}
        for node in self.net["nodes"]:
            op, a, ins = node["op"], node["attrs"], node["inputs"]
            if op in ("conv_2d", "depthwise_conv_2d"):
                v = get(ins[0])
                w = self.params[ins[1]]
                kh, kw = w.shape[2], w.shape[3]
                pads = []
                for size, k, s, d in (
                    (v.shape[3], kw, a["stride_w"], a["dilation_w_factor"]),
                    (v.shape[2], kh, a["stride_h"], a["dilation_h_factor"]),
                ):
                    pads += conv_axis(a["padding"], size, k, s, d)[1:]
                v = F.pad(v, pads) if any(pads) else v
                groups = v.shape[1] if op == "depthwise_conv_2d" else 1
                bias = get(ins[2]) if len(ins) > 2 and ins[2] is not None else None
                v = F.conv2d(
                    v,
                    w,
                    bias,
                    (a["stride_h"], a["stride_w"]),
                    0,
                    (a["dilation_h_factor"], a["dilation_w_factor"]),
                    groups,
                )
            elif op in ("add", "mul"):
                v = get(ins[0]) + get(ins[1]) if op == "add" else get(ins[0]) * get(ins[1])
            elif op == "mean":
                v = get(ins[0])
                v = v.mean(dim=(2, 3), keepdim=bool(a.get("keep_dims")))
            elif op == "fully_connected":
                v = get(ins[0])
                v = F.linear(v.reshape(-1, v.shape[-1]), get(ins[1]), get(ins[2]))
            elif op == "softmax":
                v = torch.softmax(get(ins[0]) * a.get("beta", 1.0), dim=-1)
            else:
                raise NotImplementedError(f"benchmark's torch net has no {op}")
            fn = act.get(a.get("fused_activation_function", "NONE"))
            values[node["outputs"][0]] = fn(v) if fn else v
        outs = []
        for t in self.net["outputs"]:
            v = get(t)
            outs.append(v.permute(0, 2, 3, 1) if v.dim() == 4 else v)
        return outs


def run_device(directory: Path, repeats: int, top: int) -> int:
    gpu_runtime = _load_runtime()
    io = np.load(directory / "io.npz")
    x, refs = io["x"], [io[k] for k in sorted(io.files) if k.startswith("ref")]
    model = gpu_runtime.GpuModel.load(directory / "artifacts")
    got = model(x)
    err = max(_rel_err(r, g) for r, g in zip(refs, got, strict=True))
    failed = err > TOLERANCE
    for sub in sorted((directory / "models").glob("*")):
        data = np.load(sub / "io.npz")
        xs = [data[k] for k in sorted(k for k in data.files if k.startswith("x"))]
        rs = [data[k] for k in sorted(k for k in data.files if k.startswith("ref"))]
        extra = gpu_runtime.GpuModel.load(sub, adapter=model.adapter)
        e = max(_rel_err(r, g) for r, g in zip(rs, extra(*xs), strict=True))
        ms = _median_ms(lambda: extra(*xs), 5)  # noqa: B023
        print(f"{sub.name:<40} rel err {e:.2e}  {ms:8.3f} ms  {len(extra.manifest['steps'])} steps")
        failed |= e > TOLERANCE
    profile = model.profile(x, repeats=repeats)
    print(f"MobileNetV2 float32 batch 1 on {model.adapter_name}")
    _print_dispatches(profile, model.steps, top)
    rows = [(f"tflc gpu (wgpu, {model.adapter_name})"[:60], profile["total_ms"], err)]
    gpu_sum = sum(profile["per_dispatch_ms"].values())
    rows.append(("tflc gpu: sum of per-dispatch GPU times", gpu_sum, None))
    try:
        import torch

        # Full float32 arithmetic, as our shaders do (cuDNN would otherwise use TF32).
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
        net = TorchNet(directory, "cuda")
        xt = torch.from_numpy(x).cuda()
        with torch.no_grad():
            torch_out = [o.float().cpu().numpy() for o in net(xt)]
            terr = max(_rel_err(r, g) for r, g in zip(refs, torch_out, strict=True))

            def eager():
                net(xt)
                torch.cuda.synchronize()

            rows.append(
                (
                    "PyTorch CUDA eager (" + torch.cuda.get_device_name() + ")",
                    _median_ms(eager, repeats),
                    terr,
                )
            )
            static_x = xt.clone()
            stream = torch.cuda.Stream()
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):
                for _ in range(3):
                    net(static_x)
            torch.cuda.current_stream().wait_stream(stream)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                net(static_x)

            def replay():
                graph.replay()
                torch.cuda.synchronize()

            rows.append(("PyTorch CUDA graph replay", _median_ms(replay, repeats), terr))
    except Exception as e:  # noqa: BLE001 - the comparison is reported as missing, not hidden
        rows.append((f"PyTorch CUDA: unavailable ({type(e).__name__}: {e})"[:60], None, None))
    _print_table(rows)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--export", type=Path, help="compile and save what --device needs into DIR")
    p.add_argument("--device", type=Path, help="run exported artifacts (no compiler needed)")
    p.add_argument(
        "--model", action="append", default=[], help="with --export: also a .tflite to check"
    )
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--top", type=int, default=15, help="dispatches listed, slowest first")
    args = p.parse_args(argv)
    if args.export:
        args.export.mkdir(parents=True, exist_ok=True)
        return export(args.export, args.model)
    if args.device:
        return run_device(args.device, args.repeats, args.top)
    return run_here(args.repeats, args.top)


if __name__ == "__main__":
    sys.exit(main())
