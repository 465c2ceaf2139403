"""tflc.convert vs TensorFlow's converter on the issue-4 acceptance models.

    python benchmarks/tf_convert.py            # every model (MobileNetV2, ResNet50, EfficientNetB0 too)
    python benchmarks/tf_convert.py --quick    # the small models only

Prints one row per model: our operator count and TensorFlow's (all subgraphs), the max relative
error of LiteRT on our .tflite against TensorFlow's own outputs, and both conversion times
(TFLiteConverter.from_keras_model for Keras models, from_concrete_functions otherwise, timed in
the same run). Exits 1 when a target is missed: error over 1e-5 (1e-4 for the deep models), more
operators than TensorFlow, or MobileNetV2 converting slower than TFLiteConverter.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))

import tf_support  # noqa: E402  (imports tflc before TensorFlow)
import tflc  # noqa: E402

DEEP = ("mobilenet_v2", "resnet50", "efficientnet_b0")


def _tf_convert_time(model) -> float:
    import keras
    import tensorflow as tf

    start = time.perf_counter()
    if isinstance(model, keras.Model):
        tf.lite.TFLiteConverter.from_keras_model(model).convert()
    else:
        tf.lite.TFLiteConverter.from_concrete_functions(
            [model.get_concrete_function()], model
        ).convert()
    return time.perf_counter() - start


def _cases(quick: bool) -> dict:
    import numpy as np
    import test_tf_big_models
    import test_tf_convert

    cases = dict(test_tf_convert.CASES)
    if not quick:
        x = np.random.default_rng(5).random((1, 224, 224, 3), dtype=np.float32)
        for name in DEEP:
            cases[name] = lambda name=name: (test_tf_big_models._build(name), [x])
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the ImageNet-sized models")
    args = parser.parse_args()
    rows, missed = [], []
    for name, build in _cases(args.quick).items():
        model, inputs = build()
        start = time.perf_counter()
        ours = tflc.convert(model, output="flatbuffer")
        our_time = time.perf_counter() - start
        tf_time = _tf_convert_time(model)
        theirs, _ = tf_support.tf_converter(model)
        error = tf_support.max_relative_error(
            tf_support.run_litert(ours, inputs), tf_support.tf_outputs(model, inputs)
        )
        ops, tf_ops = tf_support.count_ops(ours), tf_support.count_ops(theirs)
        rows.append((name, ops, tf_ops, error, our_time, tf_time))
        print(
            f"{name:24s} {ops:5d} {tf_ops:5d} {error:9.1e} {our_time:7.2f} {tf_time:7.2f}",
            flush=True,
        )
        if error > (1e-4 if name in DEEP else 1e-5) or ops > tf_ops:
            missed.append(name)
        if name == "mobilenet_v2" and our_time >= tf_time:
            missed.append(f"{name} (conversion time)")
    print("\n| model | tflc ops | TF ops | max rel. error | tflc s | TFLiteConverter s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, ops, tf_ops, error, our_time, tf_time in rows:
        print(f"| {name} | {ops} | {tf_ops} | {error:.1e} | {our_time:.2f} | {tf_time:.2f} |")
    if missed:
        print(f"\ntargets missed: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
