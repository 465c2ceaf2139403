"""Output shapes of builtin ops, inferred from their input shapes, constant inputs and options.

One shape function per op, compiler-free so that the runtime reader can run it: every entry
point (the flatbuffer reader behind `tflc.Interpreter` and the tfl importer, and the tfl
verifier on MLIR) checks each operator's declared output shapes against these, so a compiled
backend never sizes a buffer from a shape its op contradicts. An op without a function here, or
whose shape depends on a non-constant input, is not checked (`infer_output_shapes` -> None).
STRIDED_SLICE's shape is not inferred on purpose: LiteRT's masks on partial specs do not follow
numpy's or TensorFlow's indexing (a shrunk axis with fewer specs than the rank keeps its batch),
so only its kernel knows its shape; its function checks the specs its kernels index by.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from tflc.runtime.kernels.geometry import conv_axis
from tflc.runtime.op_traits import ELEMENTWISE_BINARY, ELEMENTWISE_UNARY

if TYPE_CHECKING:
    from tflc.runtime.tflite_model import Model

Shape = tuple[int, ...]


class ShapeError(ValueError):
    """The inputs or options cannot give any output shape (the message says why)."""


class MissingInput(LookupError):
    """A required input is absent: an arity problem, which the op table's check reports."""


@dataclass
class OpView:
    """What a shape function sees of one operator."""

    op: str
    inputs: list[Shape | None]  # None: an omitted optional input
    constants: list[np.ndarray | None] = field(default_factory=list)  # constant input values
    options: dict[str, Any] = field(default_factory=dict)

    def shape(self, i: int) -> Shape:
        if i >= len(self.inputs) or self.inputs[i] is None:
            raise MissingInput(i)
        return self.inputs[i]

    def const(self, i: int) -> np.ndarray | None:
        return self.constants[i] if i < len(self.constants) else None

    def option(self, name: str, default: Any = None) -> Any:
        return self.options.get(name, default)

    def positive(self, name: str, default: int = 1) -> int:
        value = int(self.options.get(name, default))
        if value < 1:
            raise ShapeError(f"{name} {value} must be at least 1")
        return value


ShapeFn = Callable[[OpView], "list[Shape] | None"]
SHAPE_FUNCTIONS: dict[str, ShapeFn] = {}


def shape_function(*ops: str) -> Callable[[ShapeFn], ShapeFn]:
    def register(fn: ShapeFn) -> ShapeFn:
        for op in ops:
            SHAPE_FUNCTIONS[op] = fn
        return fn

    return register


def infer_output_shapes(view: OpView) -> list[Shape] | None:
    """The op's output shapes, or None when this module cannot tell; raises ShapeError."""
    fn = SHAPE_FUNCTIONS.get(view.op)
    return None if fn is None else fn(view)


def _axis(axis: int, rank: int, what: str = "axis") -> int:
    if not -rank <= axis < max(rank, 1):
        raise ShapeError(f"{what} {axis} is outside rank {rank}")
    return axis % max(rank, 1)


def broadcast(*shapes: Shape) -> Shape:
    try:
        return tuple(int(d) for d in np.broadcast_shapes(*shapes))
    except ValueError:
        listed = " and ".join(str(list(s)) for s in shapes)
        raise ShapeError(f"input shapes {listed} do not broadcast") from None


# Same shape as input 0: the elementwise unary ops, and a few that work along an axis.
@shape_function(
    *ELEMENTWISE_UNARY,
    *"DENSIFY L2_NORMALIZATION LOCAL_RESPONSE_NORMALIZATION LOG_SOFTMAX ONES_LIKE SOFTMAX".split(),
    "ZEROS_LIKE",
)
def _same_as_input(v: OpView) -> list[Shape]:
    return [v.shape(0)]


@shape_function(*ELEMENTWISE_BINARY)
def _broadcasting_binary(v: OpView) -> list[Shape]:
    return [broadcast(v.shape(0), v.shape(1))]


@shape_function("SELECT_V2")
def _select_v2(v: OpView) -> list[Shape]:
    return [broadcast(v.shape(0), v.shape(1), v.shape(2))]


def _nhwc(v: OpView, i: int = 0) -> Shape:
    shape = v.shape(i)
    if len(shape) != 4:
        raise ShapeError(f"input {i} has rank {len(shape)}, expected 4 (NHWC)")
    return shape


def _window(v: OpView, size: Shape, kernel: tuple[int, int], dilated: bool) -> tuple[int, int]:
    padding = v.option("padding", "VALID")
    strides = v.positive("stride_h"), v.positive("stride_w")
    dilations = (
        (v.positive("dilation_h_factor"), v.positive("dilation_w_factor")) if dilated else (1, 1)
    )
    return tuple(
        conv_axis(padding, size[a], kernel[a], strides[a], dilations[a]).out for a in (0, 1)
    )


@shape_function("CONV_2D")
def _conv_2d(v: OpView) -> list[Shape]:
    n, h, w, c = _nhwc(v)
    filt = v.shape(1)
    if len(filt) != 4:
        raise ShapeError(f"filter has rank {len(filt)}, expected 4")
    if filt[3] < 1 or c % filt[3]:
        raise ShapeError(f"filter depth {filt[3]} does not divide input depth {c}")
    oh, ow = _window(v, (h, w), (filt[1], filt[2]), dilated=True)
    return [(n, oh, ow, filt[0])]


@shape_function("DEPTHWISE_CONV_2D")
def _depthwise_conv_2d(v: OpView) -> list[Shape]:
    n, h, w, c = _nhwc(v)
    filt = v.shape(1)
    if len(filt) != 4 or filt[0] != 1:
        raise ShapeError(f"filter shape {list(filt)} is not [1, height, width, channels]")
    if c < 1 or filt[3] % c:
        raise ShapeError(f"filter channels {filt[3]} are not a multiple of input depth {c}")
    oh, ow = _window(v, (h, w), (filt[1], filt[2]), dilated=True)
    return [(n, oh, ow, filt[3])]


@shape_function("AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D")
def _pool_2d(v: OpView) -> list[Shape]:
    n, h, w, c = _nhwc(v)
    kernel = v.positive("filter_height"), v.positive("filter_width")
    oh, ow = _window(v, (h, w), kernel, dilated=False)
    return [(n, oh, ow, c)]


@shape_function("TRANSPOSE_CONV")
def _transpose_conv(v: OpView) -> list[Shape] | None:
    out = _const_ints(v, 0)
    return None if out is None else [tuple(out)]


@shape_function("FULLY_CONNECTED")
def _fully_connected(v: OpView) -> list[Shape] | None:
    x, weights = v.shape(0), v.shape(1)
    if len(weights) != 2:
        raise ShapeError(f"weights have rank {len(weights)}, expected 2")
    units, depth = weights
    if depth < 1 or not x:
        raise ShapeError(f"weights depth {depth} and input rank {len(x)} must be positive")
    if v.option("keep_num_dims", False):
        if x[-1] != depth:
            raise ShapeError(f"input depth {x[-1]} does not match weights depth {depth}")
        return [(*x[:-1], units)]
    size = int(np.prod(x))
    if size % depth:
        raise ShapeError(f"input of {size} elements is not a whole number of rows of {depth}")
    return [(size // depth, units)]


@shape_function("BATCH_MATMUL")
def _batch_matmul(v: OpView) -> list[Shape]:
    a, b = v.shape(0), v.shape(1)
    if len(a) < 2 or len(b) < 2:
        raise ShapeError(f"operands of rank {len(a)} and {len(b)}: both need rank 2 or more")
    m, ka = (a[-1], a[-2]) if v.option("adj_x", False) else (a[-2], a[-1])
    kb, n = (b[-1], b[-2]) if v.option("adj_y", False) else (b[-2], b[-1])
    if ka != kb:
        raise ShapeError(f"inner dimensions {ka} and {kb} differ")
    return [(*broadcast(a[:-2], b[:-2]), m, n)]


def _element_count(shape: Shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


@shape_function("RESHAPE")
def _reshape(v: OpView) -> list[Shape] | None:
    target = _const_ints(v, 1) if len(v.inputs) > 1 and v.inputs[1] is not None else None
    if target is None:
        target = v.option("new_shape")
        if not target or len(v.inputs) > 1 and v.inputs[1] is not None:
            return None  # the shape is computed at run time
    dims = [int(d) for d in np.ravel(target)]
    size = _element_count(v.shape(0))
    if dims.count(-1) > 1 or any(d < -1 for d in dims):
        raise ShapeError(f"new shape {dims} is not a shape")
    if -1 in dims:
        known = _element_count(tuple(d for d in dims if d != -1))
        if known == 0 or size % known:
            raise ShapeError(f"{size} elements do not fill new shape {dims}")
        dims[dims.index(-1)] = size // known
    if _element_count(tuple(dims)) != size:
        raise ShapeError(f"new shape {dims} does not hold the input's {size} elements")
    return [tuple(dims)]


@shape_function("CONCATENATION")
def _concatenation(v: OpView) -> list[Shape]:
    shapes = [v.shape(i) for i in range(len(v.inputs))]
    rank = len(shapes[0])
    axis = _axis(int(v.option("axis", 0)), rank)
    for s in shapes[1:]:
        if len(s) != rank or any(s[d] != shapes[0][d] for d in range(rank) if d != axis):
            raise ShapeError(f"input shapes {[list(x) for x in shapes]} differ off axis {axis}")
    total = sum(s[axis] for s in shapes)
    return [(*shapes[0][:axis], total, *shapes[0][axis + 1 :])]


def _const_ints(v: OpView, i: int) -> list[int] | None:
    value = v.const(i)
    if value is None:
        return None
    if np.asarray(value).dtype.kind not in "iu":  # a float NaN or a string has no int()
        raise ShapeError(f"input {i} holds {np.asarray(value).dtype} values, not integers")
    return [int(x) for x in np.ravel(value)]


@shape_function("STRIDED_SLICE")
def _strided_slice(v: OpView) -> None:
    # begin, end and strides: integers, one per sliced axis (TFLite's Prepare checks the same)
    specs = [_const_ints(v, i) for i in (1, 2, 3)]
    shapes = [v.shape(i) for i in (1, 2, 3)]
    if any(len(s) != 1 for s in shapes) or len({s[0] for s in shapes}) != 1:
        raise ShapeError(
            f"begin, end and strides of shapes {[list(s) for s in shapes]} are not vectors of "
            "one length"
        )
    count = shapes[0][0]
    if (
        not v.option("new_axis_mask", 0)
        and not v.option("ellipsis_mask", 0)
        and count > len(v.shape(0))
    ):
        raise ShapeError(f"{count} slice specs for rank {len(v.shape(0))}")
    if specs[2] is not None and 0 in specs[2]:
        raise ShapeError(f"strides {specs[2]} hold a zero")
    return None


@shape_function("TRANSPOSE")
def _transpose(v: OpView) -> list[Shape] | None:
    perm = _const_ints(v, 1)
    if perm is None:
        return None
    x = v.shape(0)
    if sorted(perm) != list(range(len(x))):
        raise ShapeError(f"permutation {perm} does not permute rank {len(x)}")
    return [tuple(x[p] for p in perm)]


@shape_function("MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "REDUCE_ANY")
def _reduce(v: OpView) -> list[Shape] | None:
    axes = _const_ints(v, 1)
    if axes is None:
        return None
    x = v.shape(0)
    reduced = {_axis(a, len(x)) for a in axes}
    if v.option("keep_dims", False):
        return [tuple(1 if d in reduced else n for d, n in enumerate(x))]
    return [tuple(n for d, n in enumerate(x) if d not in reduced)]


@shape_function("PAD", "PADV2", "MIRROR_PAD")
def _pad(v: OpView) -> list[Shape] | None:
    paddings = _const_ints(v, 1)
    if paddings is None:
        return None
    x = v.shape(0)
    if len(paddings) % 2:
        raise ShapeError(f"paddings {paddings} are not (before, after) pairs")
    pads = np.asarray(paddings).reshape(-1, 2) if paddings else np.zeros((0, 2))
    if len(pads) != len(x) or (pads < 0).any():
        raise ShapeError(f"paddings {pads.tolist()} do not pad rank {len(x)}")
    return [tuple(int(n + lo + hi) for n, (lo, hi) in zip(x, pads, strict=True))]


@shape_function("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR")
def _resize(v: OpView) -> list[Shape] | None:
    size = _const_ints(v, 1)
    if size is None:
        return None
    n, _, _, c = _nhwc(v)
    if len(size) != 2 or min(size) < 1:
        raise ShapeError(f"size {size} is not [height, width]")
    return [(n, size[0], size[1], c)]


@shape_function("SQUEEZE")
def _squeeze(v: OpView) -> list[Shape]:
    x = v.shape(0)
    dims = {_axis(int(a), len(x)) for a in v.option("squeeze_dims", []) or []}
    dims = dims or {d for d, n in enumerate(x) if n == 1}
    if any(x[d] != 1 for d in dims):
        raise ShapeError(f"cannot squeeze dimensions {sorted(dims)} of {list(x)}")
    return [tuple(n for d, n in enumerate(x) if d not in dims)]


@shape_function("EXPAND_DIMS")
def _expand_dims(v: OpView) -> list[Shape] | None:
    axis = _const_ints(v, 1)
    if axis is None:
        return None
    x = v.shape(0)
    a = _axis(axis[0], len(x) + 1)
    return [(*x[:a], 1, *x[a:])]


@shape_function("DEPTH_TO_SPACE", "SPACE_TO_DEPTH")
def _depth_space(v: OpView) -> list[Shape]:
    n, h, w, c = _nhwc(v)
    b = v.positive("block_size")
    if v.op == "DEPTH_TO_SPACE":
        if c % (b * b):
            raise ShapeError(f"depth {c} is not a multiple of block_size^2 = {b * b}")
        return [(n, h * b, w * b, c // (b * b))]
    if h % b or w % b:
        raise ShapeError(f"height {h} and width {w} are not multiples of block_size {b}")
    return [(n, h // b, w // b, c * b * b)]


@shape_function("GATHER")
def _gather(v: OpView) -> list[Shape]:
    params, indices = v.shape(0), v.shape(1)
    axis = _axis(int(v.option("axis", 0)), len(params))
    batch = int(v.option("batch_dims", 0)) % max(len(indices), 1) if indices else 0
    return [(*params[:axis], *indices[batch:], *params[axis + 1 :])]


@shape_function("PACK")
def _pack(v: OpView) -> list[Shape]:
    shapes = [v.shape(i) for i in range(len(v.inputs))]
    if any(s != shapes[0] for s in shapes):
        raise ShapeError(f"input shapes {[list(s) for s in shapes]} differ")
    axis = _axis(int(v.option("axis", 0)), len(shapes[0]) + 1)
    return [(*shapes[0][:axis], len(shapes), *shapes[0][axis:])]


@shape_function("UNPACK")
def _unpack(v: OpView) -> list[Shape]:
    x = v.shape(0)
    axis = _axis(int(v.option("axis", 0)), len(x))
    count = int(v.option("num", x[axis]))
    if count != x[axis]:
        raise ShapeError(f"num {count} differs from dimension {axis} of size {x[axis]}")
    return [(*x[:axis], *x[axis + 1 :])] * count


@shape_function("SPLIT")
def _split(v: OpView) -> list[Shape] | None:
    axis = _const_ints(v, 0)
    if axis is None:
        return None
    x = v.shape(1)
    a = _axis(axis[0], len(x))
    parts = v.positive("num_splits")
    if x[a] % parts:
        raise ShapeError(f"dimension {a} of size {x[a]} does not split into {parts}")
    return [(*x[:a], x[a] // parts, *x[a + 1 :])] * parts


@shape_function("ARG_MAX", "ARG_MIN")
def _arg_reduce(v: OpView) -> list[Shape] | None:
    axis = _const_ints(v, 1)
    if axis is None:
        return None
    x = v.shape(0)
    a = _axis(axis[0], len(x))
    return [(*x[:a], *x[a + 1 :])]


@shape_function("TILE")
def _tile(v: OpView) -> list[Shape] | None:
    multiples = _const_ints(v, 1)
    if multiples is None:
        return None
    x = v.shape(0)
    if len(multiples) != len(x) or min(multiples, default=0) < 0:
        raise ShapeError(f"multiples {multiples} do not tile rank {len(x)}")
    return [tuple(n * m for n, m in zip(x, multiples, strict=True))]


@shape_function("SHAPE")
def _shape(v: OpView) -> list[Shape]:
    return [(len(v.shape(0)),)]


def shape_mismatch(declared: Shape, inferred: Shape, has_rank: bool = True) -> bool:
    """Whether a declared shape contradicts an inferred one. A rank-0 declaration without
    `has_rank` means "unknown rank" in older files; -1 declares an unknown dimension."""
    if not declared and not has_rank and inferred:
        return False
    if len(declared) != len(inferred):
        return True
    return any(d != i and d != -1 for d, i in zip(declared, inferred, strict=True))


def check_operator_shapes(model: Model, subgraph: int, index: int) -> str | None:
    """What is wrong with one operator's declared output shapes, or None: the op cannot give
    an output from its inputs and options, or it gives one the file does not declare."""
    graph = model.subgraphs[subgraph]
    op = graph.operators[index]
    tensors = [graph.tensors[i] if i >= 0 else None for i in op.inputs]
    if any(t is not None and -1 in (t.shape_signature or ()) for t in tensors):
        return None  # an unknown dimension's `shape` is a placeholder 1: known at run time
    view = OpView(
        model.operator_name(op),
        [tuple(t.shape) if t is not None else None for t in tensors],
        [model.constant(t) if t is not None and not t.is_variable else None for t in tensors],
        op.builtin_options[1] if op.builtin_options else {},
    )
    declared = [(tuple(graph.tensors[i].shape), graph.tensors[i].has_rank) for i in op.outputs]
    names = [f"output tensor {i} '{graph.tensors[i].name}'" for i in op.outputs]
    return declared_shapes_problem(view, declared, names, "its inputs and options")


def declared_shapes_problem(
    view: OpView,
    declared: list[tuple[Shape | None, bool]],
    names: list[str],
    sources: str,
) -> str | None:
    """Infers `view`'s output shapes and compares them with the declared ones ((shape or None
    when unknown, has_rank) per output, named by `names`); what is wrong, or None."""
    try:
        inferred = infer_output_shapes(view)
    except ShapeError as e:
        return str(e)
    except MissingInput:
        return None
    for shape, (stated, has_rank), name in zip(inferred or [], declared, names, strict=False):
        if stated is not None and shape_mismatch(stated, shape, has_rank):
            return f"{name} is declared {list(stated)}, but {sources} give {list(shape)}"
    return None
