"""int8 quantization: tflc against TensorFlow's converter on Keras MobileNetV2 and EfficientNetB0.

Both quantizers get the same float model, the same calibration set (32 inputs by default) and
int8 inputs/outputs; both int8 models run in LiteRT on the same held-out inputs and are scored
by SQNR against the float model. Targets (issue 5): tflc's SQNR >= TensorFlow's - 0.5 dB, and
its file size within 5% of TensorFlow's. Exits 1 when a target is missed.

    python benchmarks/quantize_sqnr.py [--models mobilenet_v2,efficientnet_b0] [--calibration 32]
        [--calibration-method minmax|moving-average|mse] [--no-bias-correction]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import corpus  # noqa: E402  (tests/ on the path above)
import corpus_models  # noqa: E402

SEED = 1234
CALIBRATION_METHOD = None  # --calibration-method (None: tflc's default)
BIAS_CORRECTION = True  # --no-bias-correction
INPUT_RANGES = {"mobilenet_v2": (-1.0, 1.0), "efficientnet_b0": (0.0, 255.0)}


def build_keras(name: str):
    """The Keras model with randomized affine weights and batch-norm statistics fitted to
    inputs of its range (no network: weights=None)."""
    import keras

    keras.backend.clear_session()
    keras.utils.set_random_seed(SEED)
    apps = keras.applications
    if name == "mobilenet_v2":
        model = apps.MobileNetV2(
            input_shape=(224, 224, 3), weights=None, classifier_activation=None
        )
    else:
        model = apps.EfficientNetB0(
            input_shape=(224, 224, 3), weights=None, classifier_activation=None
        )
    rng = np.random.default_rng(SEED)
    corpus_models.randomize_affine_weights(model, rng)
    corpus_models.calibrate_batch_norms(model, [sample(rng, name, 16)])
    return model


def sample(rng: np.random.Generator, name: str, batch: int = 1) -> np.ndarray:
    lo, hi = INPUT_RANGES[name]
    return rng.uniform(lo, hi, (batch, 224, 224, 3)).astype(np.float32)


def tf_convert(model, calibration=None) -> bytes:
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2,
    )

    spec = tf.TensorSpec((1, 224, 224, 3), tf.float32)
    fn = tf.function(lambda x: model(x, training=False), input_signature=[spec], autograph=False)
    # Frozen first, as in tests/corpus.py: Keras 3 variables would stay READ_VARIABLE ops.
    frozen = convert_variables_to_constants_v2(fn.get_concrete_function())
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen])
    if calibration is not None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: ([x] for x in calibration)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return bytes(converter.convert())


def run_int8(model: bytes, x: np.ndarray) -> np.ndarray:
    q, _, (scale, zero_point) = corpus.litert_run_int8_io(model, x)
    return (q.astype(np.float32) - zero_point) * scale


def sqnr(reference: np.ndarray, actual: np.ndarray) -> float:
    noise = np.sum((reference.astype(np.float64) - actual) ** 2)
    return float(10 * np.log10(np.sum(reference.astype(np.float64) ** 2) / max(noise, 1e-30)))


def bench(name: str, n_calibration: int, n_held_out: int) -> tuple[bool, str]:
    import tflc

    model = build_keras(name)
    rng = np.random.default_rng(SEED + 1)
    calibration = [sample(rng, name) for _ in range(n_calibration)]
    held_out = [sample(rng, name) for _ in range(n_held_out)]
    float_model = tf_convert(model)
    t = time.perf_counter()
    tf_int8 = tf_convert(model, calibration)
    tf_seconds = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "float.tflite"
        path.write_bytes(float_model)
        t = time.perf_counter()
        ours = tflc.to_flatbuffer(
            tflc.quantize(
                path,
                "int8",
                [[x] for x in calibration],
                io="int8",
                calibration_method=CALIBRATION_METHOD,
                bias_correction=BIAS_CORRECTION,
            )
        )
        our_seconds = time.perf_counter() - t
    ours_sqnr, tf_sqnr = [], []
    for x in held_out:
        reference = corpus.litert_run(float_model, [x])[0]
        ours_sqnr.append(sqnr(reference, run_int8(ours, x)))
        tf_sqnr.append(sqnr(reference, run_int8(tf_int8, x)))
    ours_db, tf_db = float(np.mean(ours_sqnr)), float(np.mean(tf_sqnr))
    ok = ours_db >= tf_db - 0.5 and len(ours) <= 1.05 * len(tf_int8)
    row = (
        f"{name:16s} {ours_db:9.2f} {tf_db:9.2f} {ours_db - tf_db:+7.2f}   "
        f"{len(ours):10d} {len(tf_int8):10d} {len(ours) / len(tf_int8) - 1:+7.1%}   "
        f"{our_seconds:6.1f} {tf_seconds:6.1f}   {'ok' if ok else 'MISSED'}"
    )
    return ok, row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="mobilenet_v2,efficientnet_b0")
    parser.add_argument("--calibration", type=int, default=32)
    parser.add_argument("--held-out", type=int, default=16)
    parser.add_argument("--calibration-method", default=None, help="default: tflc's")
    parser.add_argument(
        "--no-bias-correction", action="store_true", help="tflc without its bias correction"
    )
    args = parser.parse_args()
    global CALIBRATION_METHOD, BIAS_CORRECTION
    CALIBRATION_METHOD = args.calibration_method
    BIAS_CORRECTION = not args.no_bias_correction
    print(
        f"tflc calibration method: {args.calibration_method or 'default'}, bias correction: "
        f"{'on' if BIAS_CORRECTION else 'off'}"
    )
    print(f"calibration: {args.calibration} inputs, held out: {args.held_out} inputs, int8 I/O")
    print(
        f"{'model':16s} {'SQNR tflc':>9s} {'SQNR TF':>9s} {'delta':>7s}   {'bytes tflc':>10s} "
        f"{'bytes TF':>10s} {'size':>7s}   {'s tflc':>6s} {'s TF':>6s}"
    )
    all_ok = True
    for name in args.models.split(","):
        ok, row = bench(name, args.calibration, args.held_out)
        print(row, flush=True)
        all_ok &= ok
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
