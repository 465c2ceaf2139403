"""The shape functions (runtime/shape_functions/) against the kernel case tables, whose declared
output shapes are the ones LiteRT computes (tests/test_kernels_vs_litert.py runs each case): the
reader accepts every case, and refuses each case again with its first output declared one
dimension longer, naming the operator and the tensor. And every op of the op table has a shape
function, except the ops listed here with the reason they have none.
"""

from __future__ import annotations

import copy

import pytest
from kernel_cases import ALL_CASES
from test_interpreter_ops import single_op_model
from tflc.dialects.tfl_ops import op_table
from tflc.errors import TflcError
from tflc.runtime.shape_inference import SHAPE_FUNCTIONS, OpView, infer_output_shapes
from tflc.runtime.tflite_model import TENSOR_DTYPES, read_model

# Ops with no shape function, and why: the output's shape depends on the input's values, or on
# another subgraph, a variable or a table the op's operands do not show.
WITHOUT_SHAPE_FUNCTION = {
    **dict.fromkeys(
        "NON_MAX_SUPPRESSION_V4 NON_MAX_SUPPRESSION_V5 UNIQUE WHERE SEGMENT_SUM".split(),
        "the output's size depends on the input's values",
    ),
    **dict.fromkeys(
        "CALL CALL_ONCE IF WHILE".split(), "the shapes are those of the subgraphs it runs"
    ),
    **dict.fromkeys(
        """ASSIGN_VARIABLE READ_VARIABLE VAR_HANDLE HASHTABLE HASHTABLE_FIND HASHTABLE_IMPORT
        HASHTABLE_SIZE""".split(),
        "resources: the variable's or table's shape is not an operand",
    ),
    **dict.fromkeys(
        """BIDIRECTIONAL_SEQUENCE_LSTM BIDIRECTIONAL_SEQUENCE_RNN LSTM RNN SVDF
        UNIDIRECTIONAL_SEQUENCE_LSTM UNIDIRECTIONAL_SEQUENCE_RNN""".split(),
        "recurrent ops with state operands: their kernels check the gate shapes",
    ),
    **dict.fromkeys(
        """CONCAT_EMBEDDINGS EMBEDDING_LOOKUP_SPARSE HASHTABLE_LOOKUP LSH_PROJECTION SKIP_GRAM
        DELEGATE CUSTOM""".split(),
        "no kernel in tflc or LiteRT's builtin set, or defined by its custom code",
    ),
}


def _itemsize(s: dict | None) -> int | None:
    dtype = TENSOR_DTYPES.get(s["type"]) if s is not None else None
    return None if dtype is None else dtype.itemsize


def _checked_cases():
    """Cases whose op has a shape function that gives their output shapes."""
    for case in ALL_CASES:
        if case.op not in SHAPE_FUNCTIONS or case.known_mismatch:
            continue
        view = OpView(
            case.op,
            [tuple(s["shape"]) if s is not None else None for s in case.inputs],
            [s["data"] if s is not None else None for s in case.inputs],
            case.options or {},
            [_itemsize(s) for s in case.inputs],
            [_itemsize(s) for s in case.outputs],
        )
        if infer_output_shapes(view):
            yield pytest.param(case, id=case.id)


CHECKED = list(_checked_cases())


def _model(case, outputs) -> bytes:
    return single_op_model(case.op, case.inputs, outputs, case.options, case.table, case.version)


def test_most_ops_are_checked_by_a_case():
    assert len({c.values[0].op for c in CHECKED}) >= 70


@pytest.mark.parametrize("case", CHECKED)
def test_declared_shapes_of_a_case_are_accepted_and_a_wrong_one_refused(case):
    read_model(_model(case, case.outputs))
    outputs = copy.deepcopy(case.outputs)
    outputs[0]["shape"] = [*outputs[0]["shape"], 2]
    with pytest.raises(TflcError, match=rf"operator 0 \({case.op}\): output tensor \d+ 'output0'"):
        read_model(_model(case, outputs))


def test_every_op_has_a_shape_function_or_a_reason():
    without = {op for op in op_table() if op not in SHAPE_FUNCTIONS}
    assert without == set(WITHOUT_SHAPE_FUNCTION), (
        f"no shape function and no reason: {sorted(without - set(WITHOUT_SHAPE_FUNCTION))}; "
        f"listed but now have one: {sorted(set(WITHOUT_SHAPE_FUNCTION) - without)}"
    )
