"""One small tf.function per TensorFlow op that TensorFlow's converter lowers to a TFLite builtin
(its legalization list in tensorflow/compiler/mlir/lite), with the inputs to run it on; also
forms it leaves to Flex or refuses, where tflc must refuse with a TflcError.

`PROGRAMS` maps a case name (the TF op or form it exercises) to a builder returning a
`Program`; `build(name)` runs it with random inputs that depend on the name only. Read by
tests/test_tf_op_parity.py and benchmarks/tf_op_parity.py. Import tf_support (so tflc) first.
"""

from __future__ import annotations

from collections.abc import Callable

import tf_op_inputs
from tf_op_inputs import Program
from tf_op_programs_data import DATA
from tf_op_programs_math import MATH
from tf_op_programs_nn import NN

PROGRAMS: dict[str, Callable[[], Program]] = {**MATH, **DATA, **NN}


def build(name: str) -> Program:
    tf_op_inputs.reseed(name)
    return PROGRAMS[name]()
