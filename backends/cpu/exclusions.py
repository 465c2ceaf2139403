"""Ops the cpu target does not compile, and why: read by benchmarks/op_coverage.py (its
documented exclusions). Each is refused by name like any op without a kernel (`fallback=
"runtime"` runs the stateless ones on the host), never miscomputed.
"""

from __future__ import annotations

from tflc.runtime.op_traits import STATEFUL

_VALUE_SHAPED = "its output shape depends on the input values: the workspace plan needs every shape"
_STATE = "state kept between invokes: only an interpreter runs it (backends/interpreter_only.py)"

EXCLUDED: dict[str, str] = {
    **dict.fromkeys(
        ("where", "unique", "non_max_suppression_v4", "non_max_suppression_v5"), _VALUE_SHAPED
    ),
    "embedding_lookup_sparse": _VALUE_SHAPED,
    **{op.lower(): _STATE for op in STATEFUL},
    "skip_gram": "string tensors: the compiled code has no string type",
    "multinomial": "LiteRT draws its samples from another generator than the Philox stream "
    "(runtime/kernels/random.py): no exact stream to compile",
}
