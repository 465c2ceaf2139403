"""The shape function of each builtin op, by op family (runtime/shape_inference.py is the
framework). Importing this package registers them all."""

from tflc.runtime.shape_functions import (  # noqa: F401
    elementwise,
    generated_values,
    indexing,
    layout,
    nn,
    stablehlo,
)
