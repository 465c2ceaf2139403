"""Data movement whose index map the interpreter's own kernel computes at compile time.

Each op here moves elements without arithmetic: output element `i` is input element
`index[i]`, or a zero fill. `index` is the op's interpreter kernel (runtime/kernels, the op's
one definition) run on the element positions themselves (runtime/kernels/gather_tables.py, as
the cpu target's gathers), numbered across the op's data operands (its other operands, axes, paddings, indices, must be constants); position 0 marks
the kernels' fill (padding, the zeros off a matrix diagonal; `dilate`'s and
`sparse_to_dense`'s fill operand). An affine map becomes index
arithmetic in the shader, any other a table of positions in the weights buffer (float32 holds
every position below 2**24 exactly). `split`, `split_v` and `unpack` run one dispatch per result
(`graph.MULTI_RESULT_OPS`).
"""

from __future__ import annotations

import numpy as np
from tflc.backends.gpu.graph import MULTI_RESULT_OPS, Node
from tflc.backends.gpu.kernel_ir import KernelBuilder
from tflc.backends.gpu.lowering import DATA_OPERANDS, REFUSALS, KernelContext, _strides, anchor
from tflc.errors import TflcError
from tflc.runtime.kernels.gather_tables import OperandRoles, gather_positions, operand_roles

# The data-movement ops (op_traits.DATA_MOVEMENT) the gpu runs here, their operand roles from
# the op table; and the scatters it treats as moves, whose constants make them ones.
_TABLE_MOVES = """transpose slice strided_slice tile gather gather_nd reverse_v2 reverse_sequence
    mirror_pad broadcast_to space_to_batch_nd batch_to_space_nd matrix_diag matrix_set_diag pack
    dilate""".split()
ROLES: dict[str, OperandRoles] = {
    **{op: operand_roles(op.upper()) for op in _TABLE_MOVES},
    **{
        f"{op}_part": OperandRoles((MULTI_RESULT_OPS[op],), None, (), False)
        for op in ("split", "split_v", "unpack")
    },
    "sparse_to_dense": OperandRoles((2,), 3, (0, 1), False),
    "scatter_nd": OperandRoles((1,), None, (0, 2), False),
}
# the operands a move reads at run time: its data and its fill value (the rest are constants)
DATA_OPERANDS.update(
    {
        op: None if r.variadic_data else (*r.data, *([r.fill] if r.fill is not None else []))
        for op, r in ROLES.items()
    }
)


def _refuse_scatter_sums(node: Node, graph) -> str | None:
    """SCATTER_ND adds the updates of repeated indices: no longer a move."""
    indices = np.asarray(graph.const(node.inputs[0]))
    rows = indices.reshape(-1, indices.shape[-1]) if indices.ndim else indices.reshape(1, 1)
    if len(np.unique(rows, axis=0)) < len(rows):
        return "scatter_nd with repeated indices (their updates add up)"
    return None


REFUSALS["scatter_nd"] = _refuse_scatter_sums
POSITION_LIMIT = 1 << 24


def positions(node: Node, ctx: KernelContext) -> tuple[np.ndarray, list[int]]:
    """(the output's source positions, 0 for a fill and p + 1 for element p of the data
    operands taken in order (runtime/kernels/gather_tables.py); the data operands)."""
    base_op = node.op.removesuffix("_part")
    roles = ROLES[node.op]
    data = [k for k in roles.data_positions(len(node.inputs)) if node.inputs[k] is not None]
    if sum(ctx.graph.tensors[node.inputs[k]].size for k in data) >= POSITION_LIMIT:
        raise TflcError(f"{base_op} over more than 2**24 elements", node.where)
    # every result of a several-result op (the part's own is `result`)
    outs = node.operation.results if node.operation is not None else []
    out_shapes = [tuple(r.type.shape) for r in outs] or [ctx.shape(node.outputs[0])]
    inputs = [None if t is None else ctx.graph.tensors[t] for t in node.inputs]
    try:
        results = gather_positions(
            base_op.upper(),
            [None if t is None else tuple(t.shape) for t in inputs],
            [
                None if t is None or k in data else ctx.graph.const(node.inputs[k])
                for k, t in enumerate(inputs)
            ],
            out_shapes,
            node.attrs,
            roles,
        )
    except (ValueError, IndexError) as e:
        raise TflcError(f"{base_op}: {e}", node.where) from None
    index = results[node.attrs.get("result", 0)]
    out_shape = ctx.shape(node.outputs[0])
    if index.size != int(np.prod(out_shape, dtype=np.int64)):
        raise TflcError(
            f"{base_op} gives {index.size} elements where the graph declares {list(out_shape)}",
            node.where,
        )
    return index.reshape(out_shape), [node.inputs[k] for k in data]


def _affine(index: np.ndarray) -> tuple[int, list[int]] | None:
    """`(base, strides)` with `index[c] == base + c . strides`, or None if not affine."""
    if index.size == 0:
        return None
    base = int(index.reshape(-1)[0])
    strides = []
    for d, size in enumerate(index.shape):
        if size == 1:
            strides.append(0)
            continue
        probe = [0] * index.ndim
        probe[d] = 1
        strides.append(int(index[tuple(probe)]) - base)
    grid = np.indices(index.shape).reshape(index.ndim, -1)
    expect = base + np.tensordot(np.asarray(strides), grid, axes=1).reshape(index.shape)
    return (base, strides) if np.array_equal(expect, index) else None


@anchor(*ROLES)
def move(b: KernelBuilder, node: Node, ctx: KernelContext, coords: list[str]) -> str:
    out_shape = ctx.shape(node.outputs[0])
    index, data = positions(node, ctx)
    if len(data) == 1 and index.size and index.min() > 0:
        affine = _affine(index - 1)
        if affine is not None:
            buffer, offset = ctx.addr(data[0])
            base, strides = affine
            return b.load(buffer, b.ravel(coords, strides, base + offset))
    table = ctx.weights.offset((node.outputs[0], "positions"), index.astype(np.float32))
    at = b.to_index(b.load("weights", b.ravel(coords, _strides(out_shape), table)))

    def pick(k: int, start: int) -> list[str]:
        """The element at position `at` among data operands k, k + 1, ... (from `start`)."""
        t = data[k]
        buffer, offset = ctx.addr(t)
        size = ctx.graph.tensors[t].size
        load = lambda: [b.load(buffer, b.add(at, offset - start))]  # noqa: E731
        if k == len(data) - 1:
            return load()
        return b.branch(b.cmp("slt", at, start + size), load, lambda: pick(k + 1, start + size))

    if index.size and index.min() == 0:
        fill = ROLES[node.op].fill
        value_of_fill = (
            (lambda: [ctx.load(b, node.inputs[fill], b.index(0))])
            if fill is not None
            else (lambda: [b.f32(0.0)])
        )
        (value,) = b.branch(b.cmp("sgt", at, 0), lambda: pick(0, 1), value_of_fill)
        return value
    (value,) = pick(0, 1)
    return value
