"""tfl-dce: removes side-effect-free ops whose results are unused, and unreachable functions."""

from __future__ import annotations

from mlir import ir
from tflc.passes.registry import Pass

# Ops that change state or that the runtime must see even when their results are unused.
_SIDE_EFFECTING = {
    "tfl.assign_variable",
    "tfl.call_once",
    "tfl.hashtable_import",
    "tfl.custom",
    "tfl.while",
    "tfl.if",
    "tfl.call",
    "tfl.var_handle",
}


def _is_removable(op: ir.Operation) -> bool:
    return (
        op.name.startswith("tfl.")
        and op.name not in _SIDE_EFFECTING
        and all(not list(r.uses) for r in op.results)
    )


def _dead_code_elimination(module: ir.Operation) -> None:
    for fn in module.regions[0].blocks[0].operations:
        if fn.operation.name != "func.func":
            continue
        block = fn.regions[0].blocks[0]
        changed = True
        while changed:  # removing a user can make its producers dead
            changed = False
            for op in reversed(list(block.operations)):
                if _is_removable(op.operation):
                    op.operation.erase()
                    changed = True


PASS = Pass("tfl-dce", "Remove unused side-effect-free tfl ops", _dead_code_elimination)
