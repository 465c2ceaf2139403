"""Operator versions tflc writes, against the versions TensorFlow's converter wrote.

Every operator of the corpus's TensorFlow-converted models (float, dynamic-range, float16 and
int8) is re-exported with its version dropped: the versioning rules
(runtime/op_versions.py) must give TensorFlow's version back from the types and options
alone. LiteRT refuses a version it does not register ("Didn't find op for builtin opcode
'BROADCAST_TO' version '1'"), so every re-exported model is also loaded in LiteRT.

TensorFlow's 16x8 models come from its older calibration quantizer, which writes its own
per-op versions (CONV_2D 3 for int16 activations, where the rules give 1): those are only
checked to load in LiteRT.
"""

from __future__ import annotations

import corpus
import numpy as np
import pytest
import tflc
from ai_edge_litert.interpreter import Interpreter
from mlir import ir

CASES = corpus.tf_model_cases(corpus.MODES, corpus.SMALL_TF_MODELS)
INT16X8_CASES = corpus.tf_model_cases(corpus.EXTRA_MODES, ["mlp", "cnn", "upsample", "tensor_ops"])


def operator_versions(flatbuffer: bytes) -> list[tuple[int, str, int]]:
    """(subgraph, opcode, version) of every operator, in order."""
    model = corpus.read_flatbuffer(flatbuffer)
    names = corpus._builtin_operator_names()
    out = []
    for s in range(model.SubgraphsLength()):
        sg = model.Subgraphs(s)
        for k in range(sg.OperatorsLength()):
            code = model.OperatorCodes(sg.Operators(k).OpcodeIndex())
            builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
            out.append((s, names.get(builtin, str(builtin)), code.Version()))
    return out


def _drop_versions(module: ir.Module) -> None:
    for fn in module.body.operations:
        for block in fn.operation.regions[0].blocks:
            for op in block.operations:
                if "tfl.version" in op.operation.attributes:
                    del op.operation.attributes["tfl.version"]


def _reexported(name: str, mode: str) -> tuple[bytes, bytes]:
    theirs = corpus.tf_model_path(name, mode).read_bytes()
    module = tflc.load(theirs)
    _drop_versions(module)
    return tflc.to_flatbuffer(module), theirs


@pytest.mark.parametrize(("name", "mode"), CASES)
def test_versions_from_types_and_options_match_tensorflow(name, mode):
    ours, theirs = _reexported(name, mode)
    assert operator_versions(ours) == operator_versions(theirs)
    Interpreter(model_content=ours).allocate_tensors()


@pytest.mark.parametrize(("name", "mode"), INT16X8_CASES)
def test_int16x8_versions_load_in_litert(name, mode):
    ours, theirs = _reexported(name, mode)
    inputs = corpus.sample_inputs(theirs, seed=1)
    outputs = corpus.litert_run(ours, inputs), corpus.litert_run(theirs, inputs)
    for got, want in zip(*outputs, strict=True):
        np.testing.assert_array_equal(got, want)
