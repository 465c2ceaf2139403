"""int8 quantization: tflc against Google's ai-edge-quantizer on the float mediapipe models.

Both quantizers get the same float .tflite, the same calibration set (corpus.sample_inputs with
seeds 0..N-1: uniform [-1, 1] floats) and keep float32 model inputs/outputs; ai-edge-quantizer
uses its documented full-integer recipe, `recipe.static_wi8_ai8()` (static int8 weights and
int8 activations, min/max calibration). Both int8 models run in LiteRT on the same held-out
inputs (seeds 1000..1000+M-1) and are scored by SQNR against the float model in LiteRT:

    SQNR = 10 log10(sum ref^2 / sum (ref - q)^2), summed over all outputs and held-out inputs.

Both tools quantize the same normalized float32 copy of each model (prepare_float_model: opcodes
in both fields, float16 and sparse weights folded to dense float32 constants, a SignatureDef);
it computes exactly what the mediapipe file does (checked: LiteRT outputs are bit-identical),
and without it ai-edge-quantizer cannot quantize these files at all. face_landmark_with_attention
is skipped: LiteRT has no kernels for its custom ops, so there is no float reference.

Benchmarked against ai-edge-quantizer 0.10.0 (PyPI), installed with `pip install --no-deps
ai-edge-quantizer==0.10.0 immutabledict` next to ai-edge-litert 2.3.0 (its `litert-lm-builder`
dependency is only used for .litertlm bundles, not here).

    python benchmarks/quantize_vs_ai_edge_quantizer.py [--models face_landmark,...]
        [--calibration 32] [--held-out 16] [--aeq-calibration ema|global]
        [--calibration-method minmax|moving-average|mse] [--skip-aeq] [--no-bias-correction]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import corpus  # noqa: E402  (tests/ on the path above)

# Custom ops LiteRT has no kernels for: the float reference itself cannot run.
SKIP = {"face_landmark_with_attention": "custom ops LiteRT lacks"}
HELD_OUT_SEED = 1000


def prepare_float_model(model: bytes) -> bytes:
    """The float model both quantizers get: numerically the same network as the mediapipe file,
    normalized so that ai-edge-quantizer reads it correctly.

    - Opcodes: the mediapipe files (old converter) carry the op only in
      `deprecated_builtin_code`; ai-edge-quantizer reads `builtin_code` (0 = ADD) and then
      quantizes every CONV_2D as if it were an ADD, which LiteRT rejects. Both fields are set.
    - float16 weights: `DEQUANTIZE(fp16 constant)` is folded into a float32 constant (exact),
      since ai-edge-quantizer only quantizes float32 constant weights and treats a DEQUANTIZE
      output as an activation (leaving the weights float or quantizing them asymmetrically).
    - A `serving_default` SignatureDef over subgraph 0's inputs and outputs, which
      ai-edge-quantizer needs to calibrate (the mediapipe files have none).
    """
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    m = flatbuffer_utils.convert_bytearray_to_object(bytearray(model))
    for code in m.operatorCodes:
        code.builtinCode = max(code.builtinCode, code.deprecatedBuiltinCode)
        code.deprecatedBuiltinCode = min(code.builtinCode, 127)
    densified = _densified_constants(model, m)
    for graph_index, graph in enumerate(m.subgraphs):
        keep = []
        for op in graph.operators:
            code = m.operatorCodes[op.opcodeIndex].builtinCode
            if graph_index == 0 and code == schema.BuiltinOperator.DENSIFY:
                buffer = schema.BufferT()
                buffer.data = np.frombuffer(densified[op.outputs[0]].tobytes(), np.uint8)
                m.buffers.append(buffer)
                graph.tensors[op.outputs[0]].buffer = len(m.buffers) - 1
                continue
            src = graph.tensors[op.inputs[0]]
            data = m.buffers[src.buffer].data if src.buffer else None
            if (
                code == schema.BuiltinOperator.DEQUANTIZE
                and src.type == schema.TensorType.FLOAT16
                and data is not None
                and len(data)
            ):
                buffer = schema.BufferT()
                buffer.data = np.frombuffer(bytes(data), np.float16).astype(np.float32)
                buffer.data = np.frombuffer(buffer.data.tobytes(), np.uint8)
                m.buffers.append(buffer)
                graph.tensors[op.outputs[0]].buffer = len(m.buffers) - 1
                continue
            keep.append(op)
        graph.operators = keep
    # Drop the tensors nothing reads or writes any more (the float16 constants): their bytes
    # would count in the size and LiteRT has no data for them, which ai-edge-quantizer's
    # calibration trips over.
    for graph in m.subgraphs:
        used = set(graph.inputs) | set(graph.outputs)
        used |= {i for op in graph.operators for i in [*op.inputs, *op.outputs] if i >= 0}
        new_index = {old: new for new, old in enumerate(sorted(used))}
        for old, tensor in enumerate(graph.tensors):
            if old not in used and tensor.buffer:
                m.buffers[tensor.buffer].data = None
        graph.tensors = [graph.tensors[i] for i in sorted(used)]
        graph.inputs = [new_index[i] for i in graph.inputs]
        graph.outputs = [new_index[i] for i in graph.outputs]
        for op in graph.operators:
            op.inputs = [new_index[i] if i >= 0 else i for i in op.inputs]
            op.outputs = [new_index[i] for i in op.outputs]
            if op.intermediates is not None and len(op.intermediates):
                raise ValueError("ops with intermediate tensors are not handled")
    if not m.signatureDefs:
        graph = m.subgraphs[0]

        def tensor_map(index):
            t = schema.TensorMapT()
            t.name = graph.tensors[index].name
            t.tensorIndex = index
            return t

        sig = schema.SignatureDefT()
        sig.signatureKey = "serving_default"
        sig.subgraphIndex = 0
        sig.inputs = [tensor_map(i) for i in graph.inputs]
        sig.outputs = [tensor_map(i) for i in graph.outputs]
        m.signatureDefs = [sig]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(m))


def _densified_constants(model: bytes, m) -> dict[int, np.ndarray]:
    """The values of subgraph 0's DENSIFY outputs (sparse constant weights made dense), read
    from LiteRT itself: ai-edge-quantizer would otherwise quantize them as activations."""
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    graph = m.subgraphs[0]
    outputs = [
        op.outputs[0]
        for op in graph.operators
        if m.operatorCodes[op.opcodeIndex].builtinCode == schema.BuiltinOperator.DENSIFY
        or m.operatorCodes[op.opcodeIndex].deprecatedBuiltinCode == schema.BuiltinOperator.DENSIFY
    ]
    if not outputs:
        return {}
    # Without XNNPACK, which would take the sparse weights itself and leave DENSIFY unrun.
    interpreter = Interpreter(
        model_content=model,
        experimental_preserve_all_tensors=True,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    interpreter.allocate_tensors()
    for d in interpreter.get_input_details():
        interpreter.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
    interpreter.invoke()
    return {i: np.array(interpreter.get_tensor(i)) for i in outputs}


AEQ_CALIBRATION = "ema"  # --aeq-calibration
TFLC_CALIBRATION = None  # --calibration-method (None: tflc's default)
SKIP_AEQ = False  # --skip-aeq
BIAS_CORRECTION = True  # --no-bias-correction


def _global_min_max(qsv: dict, new: dict) -> dict:
    """Range update as tflc (and TensorFlow's converter) calibrate: min / max over all samples."""
    if not qsv:
        return new
    return {"min": np.minimum(qsv["min"], new["min"]), "max": np.maximum(qsv["max"], new["max"])}


def aeq_quantize(float_model: bytes, calibration: list[list[np.ndarray]]) -> bytes:
    """ai-edge-quantizer's static_wi8_ai8 recipe. Its calibrator keeps a moving average
    (factor 0.95) of each tensor's per-sample min / max by default ("ema"); "global" swaps in
    the all-samples min / max tflc uses, to separate calibration policy from the rest."""
    from ai_edge_litert.interpreter import Interpreter
    from ai_edge_quantizer import calibrator, quantizer, recipe

    signatures = Interpreter(model_content=float_model).get_signature_list()
    key = next(iter(signatures))
    # SignatureDef inputs follow subgraph 0's input order (prepare_float_model).
    names = signatures[key]["inputs"]
    data = {key: [dict(zip(names, xs, strict=True)) for xs in calibration]}
    qt = quantizer.Quantizer(bytearray(float_model), recipe.static_wi8_ai8())
    with contextlib.redirect_stdout(io.StringIO()):  # its size report would split the table
        if AEQ_CALIBRATION == "ema":
            qsvs = qt.calibrate(data, num_threads=2)
        else:
            calib = calibrator.Calibrator(
                bytearray(float_model), num_threads=2, qsv_update_func=_global_min_max
            )
            calib.calibrate(data, qt._recipe_manager)
            qsvs = calib.get_model_qsvs()
        result = qt.quantize(qsvs)
    return bytes(result.quantized_model)


def tflc_quantize(float_model: bytes, calibration: list[list[np.ndarray]]) -> bytes:
    import tflc

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "float.tflite"
        path.write_bytes(float_model)
        module = tflc.quantize(
            path,
            "int8",
            calibration,
            io="float32",
            calibration_method=TFLC_CALIBRATION,
            bias_correction=BIAS_CORRECTION,
        )
        return tflc.to_flatbuffer(module)


def sqnr(references: list[list[np.ndarray]], actuals: list[list[np.ndarray]]) -> float:
    signal = noise = 0.0
    for ref_outputs, outputs in zip(references, actuals, strict=True):
        for ref, out in zip(ref_outputs, outputs, strict=True):
            ref = ref.astype(np.float64)
            signal += float(np.sum(ref**2))
            noise += float(np.sum((ref - out.astype(np.float64)) ** 2))
    return float(10 * np.log10(signal / max(noise, 1e-30)))


def run_as_float(model: bytes, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Runs a quantized model on float inputs and returns float outputs: integer inputs are
    quantized and integer outputs dequantized with the model's own I/O parameters (both tools
    are asked for float I/O, so normally this passes arrays straight through)."""
    interpreter = corpus.litert_interpreter(model)
    interpreter.allocate_tensors()
    for d, x in zip(interpreter.get_input_details(), inputs, strict=True):
        if d["dtype"] != np.float32:
            scale, zero_point = d["quantization"]
            info = np.iinfo(d["dtype"])
            x = np.clip(np.round(x / scale) + zero_point, info.min, info.max)
        interpreter.set_tensor(d["index"], x.astype(d["dtype"]))
    interpreter.invoke()
    outputs = []
    for d in interpreter.get_output_details():
        y = interpreter.get_tensor(d["index"])
        if y.dtype != np.float32:
            scale, zero_point = d["quantization"]
            y = (y.astype(np.float32) - zero_point) * scale
        outputs.append(y)
    return outputs


def bench(path: Path, n_calibration: int, n_held_out: int) -> dict:
    calibration = [corpus.sample_inputs(path, seed) for seed in range(n_calibration)]
    held_out = [corpus.sample_inputs(path, HELD_OUT_SEED + i) for i in range(n_held_out)]
    references = [corpus.litert_run(path, xs) for xs in held_out]
    float_model = prepare_float_model(path.read_bytes())
    row: dict = {"model": path.stem}
    tools = (
        ("tflc", tflc_quantize, float_model),
        ("aeq", aeq_quantize, float_model),
        ("orig", tflc_quantize, path.read_bytes()),  # tflc on the unmodified mediapipe file
    )
    for tool, quantize, source in tools:
        if SKIP_AEQ and tool != "tflc":
            continue
        try:
            t = time.perf_counter()
            model = quantize(source, calibration)
            row[f"{tool}_s"] = time.perf_counter() - t
            row[f"{tool}_bytes"] = len(model)
            row[f"{tool}_db"] = sqnr(references, [run_as_float(model, xs) for xs in held_out])
        except Exception as e:  # noqa: BLE001  (a failing tool is a table entry, not a crash)
            row[f"{tool}_error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
            traceback.print_exc(limit=2, file=sys.stderr)
    return row


def fmt(row: dict) -> str:
    def db(tool):
        if tool + "_db" in row:
            return f"{row[tool + '_db']:9.2f}"
        return f"{'FAIL' if tool + '_error' in row else '-':>9s}"  # '-': not run (--skip-aeq)

    def size(tool):
        return f"{row[tool + '_bytes']:10d}" if tool + "_bytes" in row else f"{'-':>10s}"

    delta = (
        f"{row['tflc_db'] - row['aeq_db']:+7.2f}"
        if "tflc_db" in row and "aeq_db" in row
        else f"{'-':>7s}"
    )
    secs = " ".join(f"{row.get(t + '_s', float('nan')):6.1f}" for t in ("tflc", "aeq"))
    return (
        f"{row['model']:33s} {db('tflc')} {db('aeq')} {delta}   {size('tflc')} {size('aeq')}"
        f"   {secs}   {db('orig')} {size('orig')}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="", help="comma-separated stems; default all")
    parser.add_argument("--calibration", type=int, default=32)
    parser.add_argument("--held-out", type=int, default=16)
    parser.add_argument(
        "--aeq-calibration",
        choices=("ema", "global"),
        default="ema",
        help="ai-edge-quantizer's range statistic: its default moving average of per-sample "
        "min/max, or the global min/max over all samples that tflc uses",
    )
    parser.add_argument(
        "--calibration-method", default=None, help="tflc's calibration method; default: tflc's"
    )
    parser.add_argument("--skip-aeq", action="store_true", help="run tflc only (quicker)")
    parser.add_argument(
        "--no-bias-correction", action="store_true", help="tflc without its bias correction"
    )
    args = parser.parse_args()
    global AEQ_CALIBRATION, TFLC_CALIBRATION, SKIP_AEQ, BIAS_CORRECTION
    BIAS_CORRECTION = not args.no_bias_correction
    AEQ_CALIBRATION = args.aeq_calibration
    TFLC_CALIBRATION = args.calibration_method
    SKIP_AEQ = args.skip_aeq
    from importlib.metadata import version

    import ai_edge_quantizer  # noqa: F401  (fail early when it is not installed)
    import tflc.quantizer

    wanted = set(filter(None, args.models.split(",")))
    paths = [Path(p) for p in corpus.mediapipe_models()]
    paths = [p for p in paths if not wanted or p.stem in wanted]
    print(
        f"ai-edge-quantizer {version('ai-edge-quantizer')} (recipe static_wi8_ai8, "
        f"{args.aeq_calibration} ranges), tflc calibration method: "
        f"{args.calibration_method or tflc.quantizer.DEFAULT_CALIBRATION_METHOD}, "
        f"calibration: {args.calibration} inputs, held out: {args.held_out} inputs, float32 I/O"
    )
    print(
        "delta = tflc - aeq on the same prepared float model; 'orig' = tflc quantizing the "
        "unmodified mediapipe file (same data)"
    )
    print(
        f"{'model':33s} {'SQNR tflc':>9s} {'SQNR aeq':>9s} {'delta':>7s}   {'bytes tflc':>10s} "
        f"{'bytes aeq':>10s}   {'s tflc':>6s} {'s aeq':>6s}   {'SQNR orig':>9s} {'bytes orig':>10s}"
    )
    rows, notes = [], []
    for path in paths:
        if path.stem in SKIP:
            notes.append(f"{path.stem}: skipped ({SKIP[path.stem]})")
            continue
        row = bench(path, args.calibration, args.held_out)
        rows.append(row)
        print(fmt(row), flush=True)
        for tool in ("tflc", "aeq", "orig"):
            if tool + "_error" in row:
                notes.append(f"{path.stem}: {tool} failed: {row[tool + '_error']}")
    both = [r for r in rows if "tflc_db" in r and "aeq_db" in r]
    if both:
        deltas = [r["tflc_db"] - r["aeq_db"] for r in both]
        wins = sum(d > 0 for d in deltas)
        print(
            f"both ran on {len(both)} models: tflc ahead on {wins}, "
            f"mean delta {np.mean(deltas):+.2f} dB, min {min(deltas):+.2f}, max {max(deltas):+.2f}"
        )
    for note in notes:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
