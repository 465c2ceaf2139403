"""Asserts at import: TensorFlow's converter drops them (unless asked to keep them), and with
them the If that tf.debugging guards one with and the assert message's string constants; the
importer skips the same ops."""

from __future__ import annotations

from typing import Any

_ASSERTS = ("Assert",)


def assert_only_ops(order: list[Any], outputs: Any, library: dict[str, Any]) -> set[int]:
    """Ids of the ops of `order` (topological) that are Asserts or only serve them: their guard
    If (branches of nothing stateful but Asserts), the ops only those use, and constants and
    identities whose results nothing uses (the message strings; the guard's result, a control
    input only). Nothing producing one of `outputs` is among them."""
    kept = {t.name for t in outputs}
    found: set[int] = set()
    for op in reversed(order):  # consumers first
        if op.type == "Placeholder" or any(t.name in kept for t in op.outputs):
            continue
        consumers = [c for t in op.outputs for c in t.consumers()]
        unused = all(id(c) in found for c in consumers)
        if op.type in _ASSERTS:
            found.add(id(op))
        elif op.type in ("If", "StatelessIf"):
            if unused and _guards(op, library):
                found.add(id(op))
        elif consumers and unused and not op.op_def.is_stateful:
            found.add(id(op))  # it only feeds what is dropped
        elif not consumers and op.type in ("Const", "Identity"):
            found.add(id(op))
    return found


def _guards(op: Any, library: dict[str, Any]) -> bool:
    """An If whose branches hold nothing stateful but Asserts."""
    from tensorflow.python.framework import op_def_registry

    for branch in ("then_branch", "else_branch"):
        fdef = library.get(op.get_attr(branch).name)
        if fdef is None:
            return False
        for node in fdef.node_def:
            op_def = op_def_registry.get(node.op)
            if node.op not in _ASSERTS and (op_def is None or op_def.is_stateful):
                return False
    return True
