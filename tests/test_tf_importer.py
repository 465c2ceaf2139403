"""The TensorFlow importer: TensorFlow's op names and attributes, frozen variables, functions of
the graph library kept as functions, node names and Python lines in locations."""

from __future__ import annotations

import inspect

import pytest
import tf_support
import tflc
from tflc.dialects import tf as tf_dialect
from tflc.dialects.tf_importer import import_tf_model

tf_support.skip_if_gpu_stack_loaded()
tf = pytest.importorskip("tensorflow")


class _Model(tf.Module):
    def __init__(self):
        self.w = tf.Variable([[1.0, 2.0], [3.0, 4.0]])

    @tf.function(input_signature=[tf.TensorSpec([1, 2], tf.float32), tf.TensorSpec([], tf.int32)])
    def __call__(self, x, n):
        y = tf.matmul(x, self.w, name="project")  # MATMUL_LINE
        return tf.while_loop(lambda i, y: i < n, lambda i, y: (i + 1, tf.nn.relu(y)), [0, y])[1]


MATMUL_LINE = inspect.getsourcelines(_Model)[1] + next(
    i for i, t in enumerate(inspect.getsource(_Model).splitlines()) if "# MATMUL_LINE" in t
)


@pytest.fixture(scope="module")
def module():
    return import_tf_model(_Model())


@pytest.fixture(scope="module")
def text(module):
    return tflc.to_text(module, elide_larger_than=None)


def test_ops_keep_tensorflow_names_and_attributes(text):
    assert '"tf.MatMul"' in text and "transpose_a = false" in text
    assert '"tf.StatelessWhile"' in text or '"tf.While"' in text
    assert "T = f32" in text


def test_variables_are_frozen_to_constants(text):
    assert "dense<[[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]>" in text
    for variable_op in ("ReadVariableOp", "VarHandleOp", "AssignVariableOp"):
        assert f'"tf.{variable_op}"' not in text, variable_op
    assert "tf_type.resource" not in text


def test_loop_bodies_are_private_functions_referenced_by_symbol(text):
    assert "func.func private @" in text
    assert "body = @" in text and "cond = @" in text


def test_locations_carry_node_name_and_python_line(module):
    found = []
    for fn in module.body.operations:
        for op in fn.regions[0].blocks[0].operations:
            if tf_dialect.node_name(op.location) == "project":
                found.append(tf_dialect.source_line(op.location))
    assert found == [f"{__file__}:{MATMUL_LINE}"]


def test_signature_names_inputs_and_outputs(text):
    # Entries sorted by name, and the key TensorFlow's converter gives a tf.function.
    assert 'inputs = [["n", 1 : i32], ["x", 0 : i32]]' in text
    assert 'key = "serving_default"' in text
