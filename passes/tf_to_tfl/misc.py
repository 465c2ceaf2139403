"""Legalizers for the less common one-to-one ops: space/batch/depth rearrangements, top-k,
cumulative sums, one-hot, 3-D convolution and its transpose; and the dilated convolution TensorFlow writes as
SpaceToBatchND -> Conv2D -> BatchToSpaceND, fused back into one dilated tfl convolution."""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.dialects import tf as tf_dialect
from tflc.passes.tf_to_tfl.common import (
    TfOp,
    Unsupported,
    const,
    emit,
    emit_multi,
    i32,
    legalizes,
    static_shape,
)
from tflc.runtime.kernels.geometry import same_padding


@legalizes("SpaceToDepth", "DepthToSpace")
def _depth(op: TfOp):
    if op.attr("data_format", "NHWC") != "NHWC":
        raise Unsupported(f"data_format {op.attr('data_format')} (only NHWC)")
    name = "space_to_depth" if op.type == "SpaceToDepth" else "depth_to_space"
    return [emit(name, op.operands, op.result_type, block_size=op.attr("block_size"))]


@legalizes("SpaceToBatchND", "BatchToSpaceND")
def _space_batch(op: TfOp):
    dilated = _dilated_convolution(op) if op.type == "BatchToSpaceND" else None
    if dilated is not None:
        return [dilated]
    block = op.require_const(1, "block shape")
    pads = op.require_const(2, "paddings or crops")
    name = "space_to_batch_nd" if op.type == "SpaceToBatchND" else "batch_to_space_nd"
    return [emit(name, [op.operands[0], i32(block), i32(pads)], op.result_type)]


def _defining(value: ir.Value, name: str) -> ir.Operation | None:
    owner = value.owner
    if isinstance(owner, ir.OpView | ir.Operation) and owner.operation.name == name:
        return owner.operation
    return None


def _dilated_convolution(b2s: TfOp) -> ir.Value | None:
    """BatchToSpaceND(conv(SpaceToBatchND(x))) -> one conv with dilations, or None."""
    conv = _defining(b2s.operands[0], "tfl.conv_2d") or _defining(
        b2s.operands[0], "tfl.depthwise_conv_2d"
    )
    if conv is None or len(list(conv.results[0].uses)) != 1:
        return None
    s2b = _defining(conv.operands[0], "tfl.space_to_batch_nd")
    if s2b is None or len(list(s2b.results[0].uses)) != 1:
        return None
    attrs = {name: conv.attributes[name] for name in conv.attributes}
    if ir.StringAttr(attrs["padding"]).value != "VALID" or any(
        ir.IntegerAttr(attrs[k]).value != 1
        for k in ("stride_h", "stride_w", "dilation_h_factor", "dilation_w_factor")
    ):
        return None
    block = tf_dialect.const_value(s2b.operands[1])
    pads = tf_dialect.const_value(s2b.operands[2])
    crops = b2s.const(2)
    b2s_block = b2s.const(1)
    if any(v is None for v in (block, pads, crops, b2s_block)) or list(block) != list(b2s_block):
        return None
    if len(block) != 2:
        return None
    kernel = static_shape(conv.operands[1].type)[1:3]
    padding = _dilated_padding(block, pads.reshape(2, 2), crops.reshape(2, 2), kernel)
    if padding is None:
        return None
    attrs["padding"] = ir.StringAttr.get(padding)
    attrs["dilation_h_factor"] = ir.IntegerAttr.get(ir.IntegerType.get_signless(32), int(block[0]))
    attrs["dilation_w_factor"] = ir.IntegerAttr.get(ir.IntegerType.get_signless(32), int(block[1]))
    fused = ir.Operation.create(
        conv.name,
        results=[b2s.result_type],
        operands=[s2b.operands[0], *list(conv.operands)[1:]],
        attributes=attrs,
    )
    return fused.result  # the unfused conv and space_to_batch_nd are dead now: tfl-dce


def _dilated_padding(block, pads, crops, kernel) -> str | None:
    """SAME or VALID when the space-to-batch padding is exactly that of a dilated conv."""
    kinds = set()
    for d in range(2):
        # SAME at stride 1 pads the dilated filter's extent less one, whatever the input size.
        before, after = same_padding(1, kernel[d], 1, int(block[d]))
        extra = int(crops[d][1])
        if int(crops[d][0]) != 0:
            return None
        if int(pads[d][0]) == before and int(pads[d][1]) - extra == after:
            kinds.add("SAME")
        elif int(pads[d][0]) == 0 and int(pads[d][1]) - extra == 0:
            kinds.add("VALID")
        else:
            return None
    return kinds.pop() if len(kinds) == 1 else None


@legalizes("ApproxTopK")
def _approx_top_k(op: TfOp):
    # The exact top k is one answer the approximate op allows.
    rank = len(static_shape(op.operands[0].type) or [])
    if not op.attr("is_max_k", True) or op.attr("reduction_dimension", -1) not in (-1, rank - 1):
        raise Unsupported("a min-k or a reduction over another than the last dimension")
    k = i32(np.asarray(op.attr("k"), np.int32).reshape(()))
    return emit_multi("topk_v2", [op.operands[0], k], [r.type for r in op.results])


@legalizes("TopKV2")
def _top_k(op: TfOp):
    k = op.const(1)
    k_value = i32(np.asarray(k).reshape(())) if k is not None else op.operands[1]
    return emit_multi("topk_v2", [op.operands[0], k_value], [r.type for r in op.results])


@legalizes("Cumsum")
def _cumsum(op: TfOp):
    axis = op.require_const(1, "axis")
    return [
        emit(
            "cumsum",
            [op.operands[0], i32(np.asarray(axis).reshape(()))],
            op.result_type,
            exclusive=op.attr("exclusive", False),
            reverse=op.attr("reverse", False),
        )
    ]


@legalizes("OneHot")
def _one_hot(op: TfOp):
    depth = op.const(1)
    depth_value = i32(np.asarray(depth).reshape(())) if depth is not None else op.operands[1]
    operands = [op.operands[0], depth_value, op.operands[2], op.operands[3]]
    return [emit("one_hot", operands, op.result_type, axis=op.attr("axis", -1))]


def _conv3d_options(op: TfOp) -> dict:
    if op.attr("data_format", "NDHWC") != "NDHWC":
        raise Unsupported(f"data_format {op.attr('data_format')} (only NDHWC)")
    if op.attr("padding") not in ("SAME", "VALID"):
        raise Unsupported(f"padding {op.attr('padding')}")
    strides, dilations = op.attr("strides"), op.attr("dilations", [1] * 5)
    return {
        "padding": op.attr("padding"),
        "stride_d": strides[1],
        "stride_h": strides[2],
        "stride_w": strides[3],
        "dilation_d_factor": dilations[1],
        "dilation_h_factor": dilations[2],
        "dilation_w_factor": dilations[3],
        "fused_activation_function": "NONE",
    }


@legalizes("Conv3D")
def _conv3d(op: TfOp):
    options = _conv3d_options(op)
    filt = op.require_const(1, "filter")  # D H W I O, TFLite's layout too
    bias = const(np.zeros([filt.shape[-1]], dtype=filt.dtype))
    return [emit("conv_3d", [op.operands[0], const(filt), bias], op.result_type, **options)]


@legalizes("Conv3DBackpropInputV2")
def _conv3d_transpose(op: TfOp):
    options = _conv3d_options(op)
    output_shape = op.require_const(0, "output shape")
    filt = op.require_const(1, "filter")  # D H W O I, TFLite's layout too
    bias = const(np.zeros([filt.shape[-2]], dtype=filt.dtype))
    operands = [i32(output_shape), const(filt), op.operands[2], bias]
    return [emit("conv_3d_transpose", operands, op.result_type, **options)]
