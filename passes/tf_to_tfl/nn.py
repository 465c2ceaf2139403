"""Legalizers for neural-network ops: convolutions, matmuls, normalization, activations, pooling."""

from __future__ import annotations

import numpy as np
from mlir import ir
from tflc.passes.tf_to_tfl.common import (
    TfOp,
    Unsupported,
    const,
    element_of,
    emit,
    i32,
    legalizes,
    like,
    static_shape,
    with_shape,
)


def _nhwc(op: TfOp) -> None:
    if op.attr("data_format", "NHWC") not in ("NHWC", "NDHWC"):
        raise Unsupported(f"data_format {op.attr('data_format')} (only NHWC)")


def _padding(op: TfOp, x: ir.Value) -> tuple[ir.Value, str]:
    """TFLite padding for the op; EXPLICIT padding becomes a tfl.pad before a VALID op."""
    padding = op.attr("padding")
    if padding in ("SAME", "VALID"):
        return x, padding
    if padding != "EXPLICIT":
        raise Unsupported(f"padding {padding}")
    pads = np.array(op.attr("explicit_paddings"), dtype=np.int32).reshape(-1, 2)
    shape = static_shape(x.type)
    if shape is None:
        raise Unsupported("explicit padding of an unranked input")
    out = [d + int(p.sum()) if d >= 0 else -1 for d, p in zip(shape, pads, strict=True)]
    return emit("pad", [x, i32(pads)], with_shape(out, element_of(x.type))), "VALID"


def _zero_bias(n: int, like_value: ir.Value) -> ir.Value:
    return like(like_value, np.zeros([n]))


@legalizes("Conv2D")
def _conv2d(op: TfOp):
    _nhwc(op)
    filt = op.require_const(1, "filter")  # HWIO
    x, padding = _padding(op, op.operands[0])
    strides, dilations = op.attr("strides"), op.attr("dilations", [1, 1, 1, 1])
    weights = const(np.ascontiguousarray(filt.transpose(3, 0, 1, 2)))
    return [
        emit(
            "conv_2d",
            [x, weights, _zero_bias(filt.shape[3], op.operands[0])],
            op.result_type,
            padding=padding,
            stride_h=strides[1],
            stride_w=strides[2],
            dilation_h_factor=dilations[1],
            dilation_w_factor=dilations[2],
            fused_activation_function="NONE",
        )
    ]


@legalizes("DepthwiseConv2dNative")
def _depthwise(op: TfOp):
    _nhwc(op)
    filt = op.require_const(1, "filter")  # H W C M
    h, w, c, m = filt.shape
    x, padding = _padding(op, op.operands[0])
    strides, dilations = op.attr("strides"), op.attr("dilations", [1, 1, 1, 1])
    weights = const(np.ascontiguousarray(filt.reshape(1, h, w, c * m)))
    return [
        emit(
            "depthwise_conv_2d",
            [x, weights, _zero_bias(c * m, op.operands[0])],
            op.result_type,
            padding=padding,
            stride_h=strides[1],
            stride_w=strides[2],
            dilation_h_factor=dilations[1],
            dilation_w_factor=dilations[2],
            depth_multiplier=m,
            fused_activation_function="NONE",
        )
    ]


@legalizes("Conv2DBackpropInput")
def _transpose_conv(op: TfOp):
    _nhwc(op)
    if op.attr("padding") not in ("SAME", "VALID"):
        raise Unsupported(f"padding {op.attr('padding')}")
    if any(d != 1 for d in op.attr("dilations", [1, 1, 1, 1])):
        raise Unsupported("dilated transposed convolution")
    output_shape = op.require_const(0, "output shape")
    filt = op.require_const(1, "filter")  # H W O I
    strides = op.attr("strides")
    weights = const(np.ascontiguousarray(filt.transpose(2, 0, 1, 3)))
    return [
        emit(
            "transpose_conv",
            [i32(output_shape), weights, op.operands[2], _zero_bias(filt.shape[2], op.operands[2])],
            op.result_type,
            padding=op.attr("padding"),
            stride_h=strides[1],
            stride_w=strides[2],
            fused_activation_function="NONE",
        )
    ]


def _transposed(x: ir.Value) -> ir.Value:
    """Swaps the last two dims."""
    shape = static_shape(x.type)
    perm = list(range(len(shape)))
    perm[-2:] = perm[-1], perm[-2]
    out = [shape[p] for p in perm]
    return emit("transpose", [x, i32(perm)], with_shape(out, element_of(x.type)))


@legalizes("MatMul", "BatchMatMulV2", "BatchMatMulV3", "BatchMatMul")
def _matmul(op: TfOp):
    a, b = op.operands
    adj_a = op.attr("transpose_a", op.attr("adj_x", False))
    adj_b = op.attr("transpose_b", op.attr("adj_y", False))
    weights = op.const(1)
    if weights is not None and weights.ndim == 2 and static_shape(a.type) is not None:
        # x @ W is a fully connected layer with filter W^T ([out, in]).
        if adj_a:
            a = _transposed(a)
        filt = weights if adj_b else weights.T
        keep = len(static_shape(a.type)) != 2
        return [
            emit(
                "fully_connected",
                [a, const(np.ascontiguousarray(filt))],
                op.result_type,
                fused_activation_function="NONE",
                keep_num_dims=keep,
            )
        ]
    return [emit("batch_matmul", [a, b], op.result_type, adj_x=adj_a, adj_y=adj_b)]


@legalizes("BiasAdd")
def _bias_add(op: TfOp):
    _nhwc(op)
    return [emit("add", op.operands, op.result_type, fused_activation_function="NONE")]


@legalizes("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")
def _batch_norm(op: TfOp):
    _nhwc(op)
    if op.attr("is_training", False):
        raise Unsupported("training-mode batch normalization")
    if any(list(r.uses) for r in op.results[1:]):
        raise Unsupported("batch statistics outputs are used")
    scale, offset, mean, var = (
        op.require_const(i, "scale/offset/mean/variance") for i in (1, 2, 3, 4)
    )
    multiplier = scale / np.sqrt(var + np.float32(op.attr("epsilon", 1e-3)))
    shift = offset - mean * multiplier
    x = op.operands[0]
    scaled = emit("mul", [x, like(x, multiplier)], x.type, fused_activation_function="NONE")
    y = emit("add", [scaled, like(x, shift)], op.result_type, fused_activation_function="NONE")
    return [y] + [y] * (len(op.results) - 1)  # the statistics outputs have no users


_UNARY = {
    "Relu": "relu",
    "Relu6": "relu6",
    "Elu": "elu",
    "Sigmoid": "logistic",
    "Tanh": "tanh",
    "LogSoftmax": "log_softmax",
}


@legalizes(*_UNARY)
def _activation(op: TfOp):
    x = op.operands[0]
    if op.type == "Relu" and str(element_of(x.type)) in ("i32", "i64"):
        return [emit("maximum", [x, like(x, 0)], op.result_type)]  # TFLite's RELU is float
    return [emit(_UNARY[op.type], op.operands, op.result_type)]


@legalizes("Softmax")
def _softmax(op: TfOp):
    return [emit("softmax", op.operands, op.result_type, beta=1.0)]


@legalizes("LeakyRelu")
def _leaky_relu(op: TfOp):
    return [emit("leaky_relu", op.operands, op.result_type, alpha=op.attr("alpha", 0.2))]


@legalizes("LRN")
def _local_response_normalization(op: TfOp):
    return [
        emit(
            "local_response_normalization",
            op.operands,
            op.result_type,
            radius=op.attr("depth_radius", 5),
            bias=op.attr("bias", 1.0),
            alpha=op.attr("alpha", 1.0),
            beta=op.attr("beta", 0.5),
        )
    ]


@legalizes("Gelu")
def _gelu(op: TfOp):
    return [emit("gelu", op.operands, op.result_type, approximate=op.attr("approximate", False))]


@legalizes("Selu")
def _selu(op: TfOp):
    # selu(x) = x > 0 ? scale * x : scale * alpha * (exp(x) - 1) = select(x > 0, scale*x, k*elu(x))
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    x = op.operands[0]
    t = x.type
    bool_t = with_shape(static_shape(t), ir.IntegerType.get_signless(1))
    positive = emit("greater", [x, like(x, np.zeros([]))], bool_t)
    linear = emit("mul", [x, like(x, np.array(scale))], t, fused_activation_function="NONE")
    elu = emit("elu", [x], t)
    negative = emit(
        "mul", [elu, like(x, np.array(scale * alpha))], t, fused_activation_function="NONE"
    )
    return [emit("select_v2", [positive, linear, negative], op.result_type)]


@legalizes("Softplus")
def _softplus(op: TfOp):
    # softplus(x) = log(1 + exp(x)), written stably as relu(x) + log(1 + exp(-|x|)).
    x = op.operands[0]
    t = x.type
    relu = emit("relu", [x], t)
    neg_abs = emit("neg", [emit("abs", [x], t)], t)
    log1p = emit(
        "log",
        [
            emit(
                "add",
                [emit("exp", [neg_abs], t), like(x, np.ones([]))],
                t,
                fused_activation_function="NONE",
            )
        ],
        t,
    )
    return [emit("add", [relu, log1p], op.result_type, fused_activation_function="NONE")]


def _pool(op: TfOp, name: str):
    _nhwc(op)
    ksize, strides = op.attr("ksize"), op.attr("strides")
    if ksize[0] != 1 or ksize[3] != 1:
        raise Unsupported("pooling across batch or channels")
    return [
        emit(
            name,
            [op.operands[0]],
            op.result_type,
            padding=op.attr("padding"),
            stride_h=strides[1],
            stride_w=strides[2],
            filter_height=ksize[1],
            filter_width=ksize[2],
            fused_activation_function="NONE",
        )
    ]


@legalizes("MaxPool")
def _max_pool(op: TfOp):
    return _pool(op, "max_pool_2d")


@legalizes("AvgPool")
def _avg_pool(op: TfOp):
    return _pool(op, "average_pool_2d")


@legalizes("ResizeBilinear", "ResizeNearestNeighbor")
def _resize(op: TfOp):
    name = "resize_bilinear" if op.type == "ResizeBilinear" else "resize_nearest_neighbor"
    size = op.const(1)
    size_value = i32(size) if size is not None else op.operands[1]
    return [
        emit(
            name,
            [op.operands[0], size_value],
            op.result_type,
            align_corners=op.attr("align_corners", False),
            half_pixel_centers=op.attr("half_pixel_centers", False),
        )
    ]
