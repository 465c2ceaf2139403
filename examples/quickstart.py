"""The main job, end to end on the example models: import, round-trip, interpret, compile, run.

    python examples/quickstart.py

Each step is checked against LiteRT (the official TFLite interpreter) and prints what it found;
the script exits non-zero when any result disagrees.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import tflc

HERE = Path(__file__).resolve().parent
FLOAT_MODEL = HERE / "tiny_cnn.tflite"
INT8_MODEL = HERE / "tiny_cnn_int8.tflite"
GPU_INT8_STEPS = 2  # int8 on the gpu: at most this far from LiteRT's integer kernels


def litert(path: Path, inputs: list[np.ndarray]) -> list[np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    # XNNPACK requantizes int8 in float; TFLite's own kernels follow the fixed-point rules.
    interpreter = Interpreter(
        model_path=str(path),
        num_threads=1,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    interpreter.allocate_tensors()
    for detail, x in zip(interpreter.get_input_details(), inputs, strict=True):
        interpreter.set_tensor(detail["index"], x)
    interpreter.invoke()
    return [interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()]


def sample_input(path: Path) -> list[np.ndarray]:
    detail = tflc.Interpreter(model_path=str(path)).get_input_details()[0]
    rng = np.random.default_rng(0)
    if detail["dtype"] == np.int8:
        return [rng.integers(-128, 128, detail["shape"], dtype=np.int8)]
    return [rng.uniform(0, 1, detail["shape"]).astype(np.float32)]


def report(step: str, got: list[np.ndarray], want: list[np.ndarray], exact: bool) -> bool:
    if exact:
        ok = all(np.array_equal(g, w) for g, w in zip(got, want, strict=True))
        print(f"  {step:44} {'bit-identical to LiteRT' if ok else 'DIFFERS from LiteRT'}")
        return ok
    if got[0].dtype.kind == "i":
        # The gpu computes int8 models in float from dequantized weights, as TFLite's GPU
        # delegate does, so a value may round to a neighbouring step.
        steps = max(
            int(np.max(np.abs(g.astype(np.int32) - w.astype(np.int32))))
            for g, w in zip(got, want, strict=True)
        )
        ok = steps <= GPU_INT8_STEPS
        print(f"  {step:44} within {steps} quantization steps of LiteRT{'' if ok else '  TOO FAR'}")
        return ok
    err = max(
        float(np.max(np.abs(g - w)) / max(np.max(np.abs(w)), 1e-30))
        for g, w in zip(got, want, strict=True)
    )
    ok = err <= 1e-4
    print(f"  {step:44} max relative error vs LiteRT {err:.1e}{'' if ok else '  TOO LARGE'}")
    return ok


def main() -> int:
    ok = True
    for path in (INT8_MODEL, FLOAT_MODEL):
        module = tflc.load(path)
        ops = Counter(
            op.name for fn in module.body.operations for op in fn.regions[0].blocks[0].operations
        )
        print(
            f"{path.name}: {sum(n for k, n in ops.items() if not k.startswith('func'))} tfl ops ({', '.join(sorted(k[4:] for k in ops if k.startswith('tfl.')))})"
        )
        inputs = sample_input(path)
        want = litert(path, inputs)
        exact = path == INT8_MODEL
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "roundtrip.tflite"
            tflc.save(module, copy)
            same = tflc.to_text(tflc.load(copy), None) == tflc.to_text(module, None)
            print(
                f"  {'tflite -> mlir -> tflite -> mlir':44} {'identical' if same else 'DIFFERENT'}"
            )
            ok &= same and report(
                "LiteRT on tflc's flatbuffer", litert(copy, inputs), want, exact=True
            )
            ok &= report(
                "tflc interpreter", tflc.Interpreter(model_path=str(path))(*inputs), want, exact
            )
            for target in ("cpu", "mcu", "gpu"):
                step = f"tflc.compile(target={target!r})"
                compiled = tflc.compile(path, target=target)
                compiled.save(Path(tmp) / target)
                try:
                    got = compiled(*inputs)
                except tflc.TflcError as e:  # the GPU needs wgpu and a Vulkan device
                    print(f"  {step:44} skipped: {e}")
                    continue
                if target == "gpu":
                    print(f"  {'gpu adapter':44} {compiled.runtime.adapter_name}")
                ok &= report(step, got, want, exact and target != "gpu")
    print("all results agree" if ok else "SOME RESULTS DISAGREE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
