"""The default optimization pipeline (`tflc optimize`, and on by default in convert/compile).

`OPTIMIZE_PIPELINE` is an ordinary textual pipeline; `tfl-optimize` runs it until the op count
stops falling (a fusion can expose another: conv -> add -> mul -> add folds in two rounds).
"""

from __future__ import annotations

from mlir import ir
from tflc.passes.registry import Pass, run_pipeline

OPTIMIZE_PIPELINE = ",".join(
    [
        "tfl-fold-constants",
        "tfl-canonicalize",
        "tfl-fold-reshapes",
        "tfl-fold-transposes",
        "tfl-fuse-fully-connected-reshapes",
        "tfl-fuse-pad",
        # Patterns first: they read relu ops that tfl-fuse-activation would fold away.
        "tfl-fuse-prelu",
        "tfl-fuse-gelu",
        "tfl-fuse-softmax",
        "tfl-fuse-l2-normalization",
        "tfl-fuse-leaky-relu",
        "tfl-fuse-hard-swish",
        "tfl-fuse-mul-into-weights",
        "tfl-fuse-bias-add",
        "tfl-fuse-activation",
        "tfl-fold-duplicates",
        "tfl-dce",
    ]
)
MAX_ROUNDS = 4


def count_ops(module_op: ir.Operation) -> int:
    """tfl ops in every function, constants included."""
    count = 0
    for fn in module_op.regions[0].blocks[0].operations:
        for block in fn.operation.regions[0].blocks if fn.operation.regions else []:
            count += sum(1 for op in block.operations if op.operation.name.startswith("tfl."))
    return count


def optimize(module, source: str = "<module>") -> None:
    """Runs the optimization pipeline on a tfl module in place, to a fixpoint."""
    before = count_ops(module.operation)
    for _ in range(MAX_ROUNDS):
        run_pipeline(module, OPTIMIZE_PIPELINE, source=source)
        after = count_ops(module.operation)
        if after >= before:
            break
        before = after


def _run(module_op: ir.Operation) -> None:
    optimize(module_op.opview)


PASS = Pass("tfl-optimize", "The default tfl optimization pipeline, run to a fixpoint", _run)
