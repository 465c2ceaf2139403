"""The tf dialect: TensorFlow's ops as the TensorFlow importer produces them.

Filled in by the TensorFlow importer; until an op table exists here, tf ops parse as
unregistered operations, so loading the dialect only allows them in the context.
"""

from __future__ import annotations

from mlir import ir


def load_dialect(context: ir.Context) -> None:
    context.allow_unregistered_dialects = True
