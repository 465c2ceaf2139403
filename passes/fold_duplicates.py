"""tfl-fold-duplicates: common subexpression elimination for tfl ops, constants included.

Two side-effect-free ops with the same name, operands, attributes and result types compute the
same values: uses of the later one go to the earlier. Equal constants (same type and bytes)
merge the same way. Upstream `cse` cannot do this: tfl ops are unregistered, so MLIR must
assume they have side effects.
"""

from __future__ import annotations

import hashlib

import numpy as np
from mlir import ir
from tflc.passes.dce import _SIDE_EFFECTING
from tflc.passes.registry import Pass
from tflc.passes.rewrite.tfl import func_blocks, replace_op

# A variable's reads before and after an assignment differ.
_NEVER_MERGED = _SIDE_EFFECTING | {"tfl.variable", "tfl.pseudo_sparse_const", "tfl.read_variable"}


def _key(op: ir.Operation):
    if not op.name.startswith("tfl.") or op.name in _NEVER_MERGED or len(op.regions):
        return None
    attrs = []
    for name, attr in op.attributes.items():
        if isinstance(attr, ir.DenseElementsAttr) and not attr.is_splat:
            data = np.ascontiguousarray(np.array(attr))
            attrs.append((name, str(attr.type), hashlib.sha256(data.tobytes()).hexdigest()))
        else:
            attrs.append((name, str(attr)))
    return (
        op.name,
        tuple(op.operands),
        tuple(sorted(attrs)),
        tuple(str(r.type) for r in op.results),
    )


def fold_duplicates(module: ir.Operation) -> None:
    for block in func_blocks(module):
        seen: dict = {}
        for op in list(block.operations):
            op = op.operation
            key = _key(op)
            if key is None:
                continue
            first = seen.get(key)
            if first is None:
                seen[key] = op
            else:
                replace_op(op, *first.results)


PASS = Pass(
    "tfl-fold-duplicates",
    "Merge identical constants and identical side-effect-free tfl ops (CSE for tfl)",
    fold_duplicates,
)
