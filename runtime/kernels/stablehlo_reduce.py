"""Reductions with subgraph bodies: STABLEHLO_REDUCE, STABLEHLO_REDUCE_WINDOW, TFLite's own
REDUCE_WINDOW (function in its options), and STABLEHLO_SORT (comparator subgraph)."""

from __future__ import annotations

import functools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.node import Node
from tflc.runtime.kernels.stablehlo_common import body_function, int_list, reduce_with


@kernel("STABLEHLO_REDUCE")
def stablehlo_reduce(node: Node, x: np.ndarray, init: np.ndarray, *rest: np.ndarray):
    if rest:
        raise node.error("reducing several operands at once is not supported")
    fn = body_function(node, int(node.options["body_subgraph_index"]))
    return reduce_with(fn, x, tuple(int_list(node, "dimensions")), init)


def reduce_windows(fn, x, init, window, strides, base_dilation, window_dilation, padding):
    """The spec's reduce_window: pad (edges and base dilation holes filled with `init`), take
    dilated windows at the strides, fold each window with `fn` from `init`."""
    fill = np.asarray(init, dtype=x.dtype).reshape(())
    spread = [d + max(d - 1, 0) * (b - 1) for d, b in zip(x.shape, base_dilation, strict=True)]
    padded = np.full(spread, fill, dtype=x.dtype)
    padded[tuple(slice(None, None, b) for b in base_dilation)] = x
    padded = np.pad(padded, [(max(lo, 0), max(hi, 0)) for lo, hi in padding], constant_values=fill)
    padded = padded[
        tuple(
            slice(max(-lo, 0), padded.shape[k] - max(-hi, 0)) for k, (lo, hi) in enumerate(padding)
        )
    ]
    span = [(w - 1) * d + 1 for w, d in zip(window, window_dilation, strict=True)]
    views = sliding_window_view(padded, span)
    views = views[tuple(slice(None, None, s) for s in strides)]
    views = views[(Ellipsis,) + tuple(slice(None, None, d) for d in window_dilation)]
    axes = tuple(range(x.ndim, 2 * x.ndim))
    return np.ascontiguousarray(reduce_with(fn, views, axes, init))


@kernel("STABLEHLO_REDUCE_WINDOW")
def stablehlo_reduce_window(node: Node, x: np.ndarray, init: np.ndarray, *rest: np.ndarray):
    if rest:
        raise node.error("reducing several operands at once is not supported")
    rank = x.ndim
    window = int_list(node, "window_dimensions")
    strides = int_list(node, "window_strides") or [1] * rank
    base = int_list(node, "base_dilations") or [1] * rank
    dilation = int_list(node, "window_dilations") or [1] * rank
    flat_padding = int_list(node, "padding") or [0] * (2 * rank)
    padding = list(zip(flat_padding[0::2], flat_padding[1::2], strict=True))
    fn = body_function(node, int(node.options["body_subgraph_index"]))
    return reduce_windows(fn, x, init, window, strides, base, dilation, padding)


WINDOW_FUNCTIONS = {  # REDUCE_WINDOW's reduce_function -> its fold
    "ADD": np.add,
    "MUL": np.multiply,
    "MINIMUM": np.minimum,
    "MAXIMUM": np.maximum,
    "ALL": np.logical_and,
    "ANY": np.logical_or,
}


def _check_reduce_window(node: Node) -> str | None:
    function = node.options.get("reduce_function")
    if function not in WINDOW_FUNCTIONS:
        return f"reduce function {function} is not supported"
    return None


@kernel("REDUCE_WINDOW", check=_check_reduce_window)
def reduce_window(node: Node, x, init, window, strides, dilations):
    """TFLite's REDUCE_WINDOW: window shape, strides and dilations are input tensors; no
    padding or base dilation (a PAD before it does that)."""
    rank = x.ndim
    fn = WINDOW_FUNCTIONS[node.options["reduce_function"]]
    as_list = lambda t: [int(v) for v in np.asarray(t).reshape(-1)]  # noqa: E731
    return reduce_windows(
        fn,
        x,
        init,
        as_list(window),
        as_list(strides),
        [1] * rank,
        as_list(dilations),
        [(0, 0)] * rank,
    )


@kernel("STABLEHLO_SORT")
def stablehlo_sort(node: Node, *xs: np.ndarray):
    """Sorts every operand along `dimension` by the order the comparator subgraph defines on
    (lhs0, rhs0, lhs1, rhs1, ...); a stable sort (a valid result for unstable ones too)."""
    axis = int(node.options.get("dimension", 0)) % max(xs[0].ndim, 1)
    comparator = int(node.options["comparator_subgraph_index"])
    less = _simple_comparator(node, comparator, len(xs))
    moved = [np.moveaxis(x, axis, -1) for x in xs]
    rows = [m.reshape(-1, m.shape[-1]) for m in moved]
    order = np.empty(rows[0].shape, dtype=np.int64)
    for r in range(rows[0].shape[0]):
        if less is not None:
            key, descending = less
            values = rows[key][r]
            # ~v reverses the order of integers without overflow.
            order[r] = np.argsort(np.invert(values) if descending else values, kind="stable")
        else:
            order[r] = _sort_with_subgraph(node, comparator, [row[r] for row in rows])
    outs = []
    for m, row in zip(moved, rows, strict=True):
        sorted_rows = np.take_along_axis(row, order, axis=1).reshape(m.shape)
        outs.append(np.ascontiguousarray(np.moveaxis(sorted_rows, -1, axis)))
    return tuple(outs)


def _simple_comparator(node: Node, subgraph: int, count: int):
    """(operand, descending) when the comparator is one LT/GT compare of an operand's lhs and
    rhs on integers (floats go through the subgraph: NaN and -0 ordering)."""
    sg = node.model.subgraphs[subgraph]
    if len(sg.operators) != 1 or len(sg.inputs) != 2 * count:
        return None
    op = sg.operators[0]
    if node.model.operator_name(op) != "STABLEHLO_COMPARE" or op.outputs != sg.outputs:
        return None
    direction = str(op.options.get("comparison_direction", "")).rsplit("_", 1)[-1]
    if direction not in ("LT", "GT") or len(op.inputs) != 2:
        return None
    lhs, rhs = (sg.inputs.index(t) if t in sg.inputs else -1 for t in op.inputs)
    if lhs < 0 or lhs % 2 or rhs != lhs + 1:
        return None
    if sg.tensors[op.inputs[0]].type not in ("INT8", "INT16", "INT32", "INT64"):
        return None
    return lhs // 2, direction == "GT"


def _sort_with_subgraph(node: Node, subgraph: int, rows: list[np.ndarray]) -> np.ndarray:
    run = node.interpreter.run_subgraph

    def less(i: int, j: int) -> bool:
        args = []
        for row in rows:
            args += [row[i].reshape(()), row[j].reshape(())]
        return bool(np.asarray(run(subgraph, args)[0]).reshape(()))

    def compare(i: int, j: int) -> int:
        return -1 if less(i, j) else (1 if less(j, i) else 0)

    return np.array(sorted(range(len(rows[0])), key=functools.cmp_to_key(compare)), np.int64)
