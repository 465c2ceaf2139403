"""Every model of the test corpus on every compiled target, checked against LiteRT.

    python benchmarks/model_coverage.py [--models mlp,cnn,...] [--modes float32,int8]
        [--targets cpu,mcu,gpu] [--rows REGEX] [--no-mediapipe] [--no-converted] [--strict]

Rows are the corpus's TensorFlow models in each mode, the mediapipe models and the control-flow
and recurrent models tflc converts from TensorFlow; columns are the cpu, mcu and gpu targets
(the gpu on whatever Vulkan adapter wgpu finds, lavapipe on a machine without a GPU). A cell:

    exact (builtin)    integer outputs equal to LiteRT's builtin kernels ("reference": its
                       reference kernels, TFLM's rules, which the mcu follows; "default": XNNPACK)
    2 steps (default)  integer outputs that far from the nearest of LiteRT's kernel sets (the gpu
                       computes int8 in float, as XNNPACK requantizes in float)
    3.1e-07            float outputs: max |ours - LiteRT| / max |LiteRT|
    declined [n]       the target's one-line error, printed below the table as [n]
    known [n]          out of bounds for a reason measured and stated in `KNOWN`

Bounds: int8 exact on cpu and mcu, at most 2 steps on the gpu; float 1e-4 relative on cpu and
mcu, 1e-3 on the gpu, or LiteRT's own spread between its kernel sets where that is larger (an
ill-conditioned model). The gpu's reference for a dynamic-range model is LiteRT on its float
twin (the weights dequantized): the gpu computes those layers in float, as TFLite's GPU
delegate does. Where LiteRT cannot run a model (custom ops it lacks), the reference is tflc's
interpreter and the cell says "(interp.)". Exits non-zero when a cell is out of bounds and not
known, or a target fails with anything but a TflcError; with --strict, also on a decline.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import corpus  # noqa: E402
import tflc  # noqa: E402
from test_gpu_int8 import float_twin  # noqa: E402

TARGETS = ("cpu", "mcu", "gpu")
FLOAT_BOUND = {"cpu": 1e-4, "mcu": 1e-4, "gpu": 1e-3}  # relative, as the targets' tests hold
GPU_INT8_STEPS = 2  # the gpu computes int8 in float from dequantized weights (issue #17)

# Cells measured out of bounds, with why; printed as "known [n]", not counted as failures. A
# known cell that comes back in bounds is reported, so the entry can go.
KNOWN = {
    ("mcu", "activations/int8"): "the mcu keeps TFLM's (LiteRT's reference) FULLY_CONNECTED "
    "rounding; neither TFLM nor LiteRT's reference kernels load this model (ELU v1), and "
    "LiteRT's builtin FULLY_CONNECTED rounds differently on rare elements "
    "(tests/test_mcu.py)",
    ("gpu", "transformer/int8"): "the gpu computes int8 in float; a rounding step differs "
    "near .5 and grows through the layers (issue #17)",
    ("gpu", "mobilenet_v2/int8"): "as transformer/int8, over 50 layers (issue #17)",
}

# Built in a subprocess (TensorFlow must not share a process with the gpu's wgpu): the models
# tests/test_tf_compiled_control_flow.py converts, written as .tflite files.
CONVERTED_SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
import test_tf_compiled_control_flow as cf
cache = {{}}
for name in cf.MODELS:
    Path({out!r}, name + ".tflite").write_bytes(cf.flatbuffer_of(name, cache))
"""


def converted_models(out: Path) -> list[tuple[str, Path]]:
    tests = str(Path(__file__).resolve().parents[1] / "tests")
    script = CONVERTED_SCRIPT.format(tests=tests, out=str(out))
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, timeout=1800)
    return [(f"tf:{p.stem}", p) for p in sorted(out.glob("*.tflite"))]


def corpus_rows(models: list[str], modes: list[str], mediapipe: bool) -> list[tuple[str, Path]]:
    rows = [(f"{m}/{mode}", corpus.tf_model_path(m, mode)) for m in models for mode in modes]
    if mediapipe:
        rows += [(f"mediapipe:{p.stem}", p) for p in corpus.mediapipe_models()]
    return rows


def reference(path: Path, inputs: list[np.ndarray]) -> tuple[str, dict[str, list[np.ndarray]]]:
    """LiteRT's outputs by kernel set, or the interpreter's where LiteRT cannot run the model."""
    if corpus.litert_can_run(path):
        # builtin and reference: TFLite's fixed-point kernels, which cpu and mcu reproduce
        # exactly; default (XNNPACK) requantizes in float, the gpu's way of computing int8.
        sets = ("builtin", "reference", "default")
        runs = {}
        for kernels in sets:
            try:
                runs[kernels] = corpus.litert_run(path, inputs, kernels=kernels)
            except (RuntimeError, ValueError):  # the reference set lacks some op versions
                pass
        return "LiteRT", runs
    return "interpreter", {"interpreter": tflc.Interpreter(model_path=str(path))(*inputs)}


def compare(
    target: str, got: list[np.ndarray], refs: dict[str, list[np.ndarray]]
) -> tuple[str, bool]:
    first = next(iter(refs.values()))
    if len(got) != len(first):
        return f"{len(got)} outputs, want {len(first)}", False
    if all(np.asarray(r).dtype.kind in "iub" for r in first):
        for kernels, want in refs.items():
            if all(np.array_equal(g, w) for g, w in zip(got, want, strict=True)):
                return f"exact ({kernels})", True
        steps, kernels = min(
            (
                max(
                    int(np.max(np.abs(g.astype(np.int64) - w.astype(np.int64)), initial=0))
                    for g, w in zip(got, want, strict=True)
                ),
                kernels,
            )
            for kernels, want in refs.items()
        )
        return f"{steps} steps ({kernels})", target == "gpu" and steps <= GPU_INT8_STEPS
    err = relative_error(got, first)
    # Where LiteRT's own kernel sets disagree by more (an ill-conditioned model), that
    # disagreement is the bound: no target can be closer to "LiteRT" than LiteRT is to itself.
    spread = max((relative_error(r, first) for r in refs.values()), default=0.0)
    bound = max(FLOAT_BOUND[target], spread)
    text = "exact" if err == 0 else f"{err:.1e}"
    return text + (
        f" (LiteRT spread {spread:.1e})" if spread > FLOAT_BOUND[target] else ""
    ), err <= bound


def relative_error(got: list[np.ndarray], want: list[np.ndarray]) -> float:
    """max |got - want| / max |want| over the outputs."""
    err = 0.0
    for g, w in zip(got, want, strict=True):
        w64 = np.asarray(w, np.float64)
        scale = max(float(np.max(np.abs(w64), initial=0.0)), 1e-30)
        err = max(err, float(np.max(np.abs(np.asarray(g, np.float64) - w64), initial=0.0)) / scale)
    return err


def is_dynamic_range(path: Path) -> bool:
    """int8 weights feeding float layers directly: no (de)quantize ops, no int8 inputs."""
    return (
        "INT8" in corpus.tensor_types(path)
        and not {"QUANTIZE", "DEQUANTIZE"} & set(corpus.op_names(path))
        and all(np.dtype(d["dtype"]) != np.int8 for d in corpus.input_details(path))
    )


def cell(target: str, path: Path, inputs, refs) -> tuple[str, str]:
    """(text, status) with status "ok", "declined", "out of bounds" or "FAIL"."""
    try:
        compiled = tflc.compile(str(path), target=target)
        got = compiled(*inputs)
    except tflc.TflcError as e:
        return str(e).splitlines()[0], "declined"
    except Exception as e:  # noqa: BLE001 - a matrix cell records every failure
        return f"{type(e).__name__}: {str(e).splitlines()[0][:80] if str(e) else ''}", "FAIL"
    text, ok = compare(target, got, refs)
    return text, "ok" if ok else "out of bounds"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", default=",".join(corpus.TF_MODELS))
    p.add_argument("--modes", default=",".join(corpus.MODES))
    p.add_argument("--targets", default=",".join(TARGETS))
    p.add_argument("--no-mediapipe", action="store_true")
    p.add_argument("--no-converted", action="store_true", help="skip the TF control-flow models")
    p.add_argument("--rows", help="only rows whose name matches this regular expression")
    p.add_argument("--strict", action="store_true", help="a declined cell is a failure too")
    args = p.parse_args()
    targets = [t for t in args.targets.split(",") if t]
    with tempfile.TemporaryDirectory(prefix="tflc-coverage-") as tmp:
        rows = corpus_rows(
            [m for m in args.models.split(",") if m],
            [m for m in args.modes.split(",") if m],
            not args.no_mediapipe,
        )
        if not args.no_converted:
            rows += converted_models(Path(tmp))
        if args.rows:
            rows = [(name, path) for name, path in rows if re.search(args.rows, name)]
        width = max(len(name) for name, _ in rows) + 2
        print(f"{'model':{width}}" + "".join(f"{t:24} " for t in targets))
        counts = {"ok": 0, "known": 0, "declined": 0, "FAIL": 0}
        notes: list[str] = []  # the declines' and failures' messages, numbered in the table
        started = time.monotonic()
        for name, path in rows:
            inputs = corpus.sample_inputs(path)
            against, refs = reference(path, inputs)
            # The gpu computes dynamic-range layers in float from the dequantized weights, as
            # TFLite's GPU delegate does: its reference is LiteRT on the model's float twin.
            gpu_refs = (
                {"float twin": corpus.litert_run(float_twin(path), inputs, kernels="builtin")}
                if is_dynamic_range(path)
                else refs
            )
            texts = []
            for target in targets:
                text, status = cell(target, path, inputs, gpu_refs if target == "gpu" else refs)
                known = KNOWN.get((target, name))
                if status == "out of bounds":
                    status = "known" if known else "FAIL"
                elif status == "ok" and known:
                    notes.append(f"{target} {name}: now in bounds, drop it from KNOWN")
                if status == "known":
                    notes.append(f"{target} {name}: {known}")
                    text = f"{text} known [{len(notes)}]"
                elif status == "declined" or ":" in text:
                    notes.append(f"{target} {name}: {text}")
                    text = f"{'declined' if status == 'declined' else 'FAIL'} [{len(notes)}]"
                elif status == "FAIL":
                    text = "FAIL " + text
                counts[status] += 1
                texts.append(text + (" (interp.)" if against == "interpreter" else ""))
            print(f"{name:{width}}" + "".join(f"{t:24} " for t in texts), flush=True)
        for i, note in enumerate(notes, 1):
            print(f"[{i}] {note}")
    total = sum(counts.values())
    print(
        f"\n{total} cells in {time.monotonic() - started:.0f} s: {counts['ok']} match, "
        f"{counts['known']} known, {counts['declined']} declined, {counts['FAIL']} fail"
    )
    return 1 if counts["FAIL"] or (args.strict and counts["declined"]) else 0


if __name__ == "__main__":
    sys.exit(main())
