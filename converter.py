"""`tflc.convert`: TensorFlow models (SavedModel, Keras, tf.function) -> tfl module or .tflite."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from mlir import ir
from tflc.errors import TflcError

# tf module -> tfl module; tfl-legalize-tf runs separately for its select-ops option.
PREPARE_PIPELINE = "tf-prepare,tf-fuse-gelu,tf-lower-tensor-list,tf-prepare,tf-optimize-while"
CLEANUP_PIPELINE = "tfl-fold-duplicates,tfl-dce"


def convert(
    model: Any,
    signature: str | None = None,
    *,
    output: str = "module",
    allow_select_tf_ops: bool = False,
    batch_size: int | None = None,
    optimize: bool = True,
    context: ir.Context | None = None,
) -> ir.Module | bytes:
    """Converts a TensorFlow model to the tfl dialect.

    `model`: a SavedModel directory, a `.keras` / `.h5` file, a Keras model, a `tf.function`
    with an input signature, or a concrete function. Every signature is converted unless
    `signature` names one. A Keras model's unknown batch dim stays unknown (-1 in the
    .tflite's shape_signature, 1 in its shape, as TensorFlow's converter writes it) unless
    `batch_size` pins it; where a lowering needs it static, it is pinned to 1 with a warning.
    `output="flatbuffer"` returns the .tflite bytes instead of the module. Unsupported TensorFlow ops raise one TflcError
    listing them all, unless `allow_select_tf_ops` keeps them as Flex custom ops.
    `optimize` runs the tfl optimization pipeline (`tfl-optimize`) after legalization.
    """
    if output not in ("module", "flatbuffer"):
        raise TflcError(f"output must be 'module' or 'flatbuffer', not {output!r}")
    from tflc.dialects.tf_importer import import_tf_model
    from tflc.dialects.tf_importer_sources import keras_batch_may_be_unknown
    from tflc.passes.legalize_tf import supported_tf_ops

    try:
        module = import_tf_model(model, signature, context, batch_size, supported_tf_ops())
        legalize_tf_module(module, allow_select_tf_ops, _source_name(model))
    except TflcError as e:
        if batch_size is not None or not keras_batch_may_be_unknown(model):
            raise
        # Some lowerings need static shapes (TensorLists of recurrent layers): pin the batch.
        warnings.warn(
            f"{_source_name(model)}: converted with batch size 1; with an unknown batch, "
            f"{str(e).splitlines()[0]}",
            stacklevel=2,
        )
        module = import_tf_model(model, signature, context, 1, supported_tf_ops())
        legalize_tf_module(module, allow_select_tf_ops, _source_name(model))
    if optimize:
        from tflc.passes.registry import run_pipeline

        run_pipeline(module, "tfl-optimize", source=_source_name(model))
    if output == "flatbuffer":
        from tflc.api import to_flatbuffer

        return to_flatbuffer(module, _source_name(model))
    return module


def import_tf(model: Any, signature: str | None = None, batch_size: int | None = None) -> ir.Module:
    """The `tf` dialect module of a TensorFlow model, before legalization
    (`tfl-translate --tf-to-mlir`): TensorFlow's ops and attributes, node names and Python lines
    as locations, If / While bodies as functions."""
    from tflc.dialects.tf_importer import import_tf_model
    from tflc.passes.legalize_tf import supported_tf_ops

    return import_tf_model(
        model, signature, batch_size=batch_size, legalized_ops=supported_tf_ops()
    )


def legalize_tf_module(
    module: ir.Module, allow_select_tf_ops: bool = False, source: str = "<model>"
) -> None:
    """A tf dialect module -> tfl, in place."""
    from tflc.passes.legalize_tf import legalize_tf
    from tflc.passes.registry import run_pipeline

    run_pipeline(module, PREPARE_PIPELINE, source=source)
    with module.context:
        legalize_tf(module.operation, allow_select_tf_ops)
    run_pipeline(module, CLEANUP_PIPELINE, source=source)


def _source_name(model: Any) -> str:
    return str(model) if isinstance(model, str | Path) else type(model).__name__
