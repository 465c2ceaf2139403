"""Sparse (DENSIFY-fed) weights under int8: densified at compile time exactly as LiteRT does,
then quantized per channel like any other convolution (mediapipe's pose_detection and
face_detection_full_range_sparse hold them)."""

from __future__ import annotations

import corpus
import numpy as np
import pytest
import tflc
from tflc.passes.quantize.sparse_constants import sparse_constant_value
from tflc.passes.rewrite.tfl import func_blocks

SPARSE_MODELS = ["pose_detection", "face_detection_full_range_sparse"]


def _path(paths, stem):
    return next(p for p in paths if p.stem == stem)


def litert_densify_outputs(path) -> list[np.ndarray]:
    """What LiteRT's own DENSIFY kernels produce (without XNNPACK, which would skip them)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(
        model_path=str(path),
        experimental_preserve_all_tensors=True,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    interpreter.allocate_tensors()
    for d in interpreter.get_input_details():
        interpreter.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
    interpreter.invoke()
    ops = interpreter._get_ops_details()  # noqa: SLF001
    return [interpreter.get_tensor(op["outputs"][0]) for op in ops if op["op_name"] == "DENSIFY"]


@pytest.mark.parametrize("stem", SPARSE_MODELS)
def test_densify_matches_litert(mediapipe_model_paths, stem):
    path = _path(mediapipe_model_paths, stem)
    module = tflc.load(path)
    ours = [
        sparse_constant_value(op.operation)
        for block in func_blocks(module.operation)
        for op in block.operations
        if op.operation.name == "tfl.pseudo_sparse_const"
    ]
    theirs = litert_densify_outputs(path)
    assert len(ours) == len(theirs) > 0
    for a, b in zip(ours, theirs, strict=True):  # both in the model's operator order
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a, b)


@pytest.mark.parametrize("stem", SPARSE_MODELS)
def test_sparse_convolutions_get_int8_weights(mediapipe_model_paths, stem):
    path = _path(mediapipe_model_paths, stem)
    calibration = [corpus.sample_inputs(path, seed=i) for i in range(4)]
    data = tflc.to_flatbuffer(tflc.quantize(path, "int8", calibration))
    assert "DENSIFY" not in corpus.op_names(data)
    interpreter = corpus.litert_interpreter(data)
    interpreter.allocate_tensors()
    tensors = {d["index"]: d for d in interpreter.get_tensor_details()}
    convs = [
        op
        for op in interpreter._get_ops_details()  # noqa: SLF001
        if op["op_name"] in ("CONV_2D", "DEPTHWISE_CONV_2D")
    ]
    assert convs and all(tensors[op["inputs"][1]]["dtype"] == np.int8 for op in convs)
    reference, actual = [], []
    for seed in range(100, 103):
        x = corpus.sample_inputs(path, seed=seed)
        reference += corpus.litert_run(path, x)
        actual += corpus.litert_run(data, x)
    signal = sum(float(np.sum(r.astype(np.float64) ** 2)) for r in reference)
    noise = sum(
        float(np.sum((r.astype(np.float64) - a) ** 2))
        for r, a in zip(reference, actual, strict=True)
    )
    assert 10 * np.log10(signal / noise) > 12
