"""Legalizers for functional control flow: If / StatelessIf -> tfl.if, While -> tfl.while.

Branch and loop bodies stay functions referenced by symbol, as in the tfl dialect; the exporter
turns them into subgraphs. Nesting needs nothing special: the bodies are legalized like any
other function of the module.
"""

from __future__ import annotations

from mlir import ir
from tflc.passes.tf_to_tfl.common import TfOp, Unsupported, emit_multi, legalizes


@legalizes("While", "StatelessWhile")
def _while(op: TfOp):
    return emit_multi(
        "while",
        op.operands,
        [r.type for r in op.results],
        cond_subgraph_index=ir.FlatSymbolRefAttr.get(op.attr("cond")),
        body_subgraph_index=ir.FlatSymbolRefAttr.get(op.attr("body")),
    )


@legalizes("If", "StatelessIf")
def _if(op: TfOp):
    cond = op.operands[0]
    if str(ir.ShapedType(cond.type).element_type) != "i1":
        raise Unsupported("an If whose condition is not a bool")
    return emit_multi(
        "if",
        op.operands,
        [r.type for r in op.results],
        then_subgraph_index=ir.FlatSymbolRefAttr.get(op.attr("then_branch")),
        else_subgraph_index=ir.FlatSymbolRefAttr.get(op.attr("else_branch")),
    )


@legalizes(
    "TensorListReserve",
    "TensorListFromTensor",
    "TensorListGetItem",
    "TensorListSetItem",
    "TensorListStack",
    "TensorListLength",
)
def _tensor_list(op: TfOp):
    # tf-lower-tensor-list lowers every list of static size and element shape before this.
    raise Unsupported(
        "a TensorList whose size or element shape is not static (give the model static input "
        "shapes, e.g. a fixed sequence length)"
    )
