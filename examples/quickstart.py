"""The main job, end to end on the example model: import, inspect, round-trip, run.

python examples/quickstart.py [model.tflite]
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import tflc

HERE = Path(__file__).resolve().parent


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "tiny_cnn_int8.tflite"
    module = tflc.load(path)
    ops = Counter(
        op.name for fn in module.body.operations for op in fn.regions[0].blocks[0].operations
    )
    print(f"{path.name}: {sum(ops.values())} ops in the tfl dialect")
    for name, count in sorted(ops.items()):
        print(f"  {count:3d}  {name}")

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "roundtrip.tflite"
        tflc.save(module, copy)
        same = tflc.to_text(tflc.load(copy), None) == tflc.to_text(module, None)
        print(f"tflite -> mlir -> tflite -> mlir: {'identical' if same else 'DIFFERENT'}")
        if not same:
            return 1
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            print("LiteRT is not installed: skipping the run")
            return 0
        outputs = []
        for model in (path, copy):
            interpreter = Interpreter(model_path=str(model), num_threads=1)
            interpreter.allocate_tensors()
            detail = interpreter.get_input_details()[0]
            rng = np.random.default_rng(0)
            if detail["dtype"] == np.int8:
                x = rng.integers(-128, 128, detail["shape"], dtype=np.int8)
            else:
                x = rng.uniform(0, 1, detail["shape"]).astype(detail["dtype"])
            interpreter.set_tensor(detail["index"], x)
            interpreter.invoke()
            outputs.append(interpreter.get_tensor(interpreter.get_output_details()[0]["index"]))
        exact = np.array_equal(outputs[0], outputs[1])
        print(
            f"LiteRT on the original and on tflc's flatbuffer: {'bit-identical' if exact else 'DIFFERENT'}"
        )
        print(f"class scores: {outputs[1].ravel().tolist()}")
        return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
