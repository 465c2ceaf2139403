"""Small WHILE / IF / CALL models written with the project's flatbuffer writer (no TensorFlow),
for the targets that run control flow (tests/test_gpu_control_flow.py, test_mcu_subgraph_ops).
Each is checked against LiteRT, which runs WHILE and IF (CALL: the callee alone)."""

from __future__ import annotations

import numpy as np
from stablehlo_model_builder import GraphBuilder

ADD = ("AddOptions", {"fused_activation_function": "NONE"})
MUL = ("MulOptions", {"fused_activation_function": "NONE"})
SHAPE = (2, 3)


def _scale_and_shift(graph, x: int, scale: float, shift: float) -> int:
    """x * scale + shift, added to `graph`; returns the result tensor."""
    scaled, shifted = graph.tensor(SHAPE), graph.tensor(SHAPE)
    graph.op(
        "MUL", [x, graph.const(np.full(SHAPE, scale, np.float32), "FLOAT32")], [scaled], options=MUL
    )
    graph.op(
        "ADD",
        [scaled, graph.const(np.full(SHAPE, shift, np.float32), "FLOAT32")],
        [shifted],
        options=ADD,
    )
    return shifted


def _loop_over(main) -> None:
    """main: (i, x, y) -> WHILE(cond = subgraph 1, body = subgraph 2) of them."""
    ins = [main.tensor([], "INT32"), main.tensor(SHAPE), main.tensor(SHAPE)]
    outs = [main.tensor([], "INT32"), main.tensor(SHAPE), main.tensor(SHAPE)]
    options = ("WhileOptions", {"cond_subgraph_index": 1, "body_subgraph_index": 2})
    main.op("WHILE", ins, outs, options=options)
    main.io(ins, outs)


def while_model(limit: int = 5, swap: bool = False) -> bytes:
    """(i, x, y): while i < limit: i += 1; x, y = x * 1.5 + 0.25, y (or y, x with `swap`:
    carried values that trade places each iteration)."""
    m = GraphBuilder()
    main, cond, body = m.subgraph(), m.subgraph(), m.subgraph()
    i, x, y = cond.tensor([], "INT32"), cond.tensor(SHAPE), cond.tensor(SHAPE)
    c = cond.tensor([], "BOOL")
    cond.op("LESS", [i, cond.const(np.array(limit, np.int32), "INT32")], [c])
    cond.io([i, x, y], [c])
    i, x, y = body.tensor([], "INT32"), body.tensor(SHAPE), body.tensor(SHAPE)
    i2 = body.tensor([], "INT32")
    body.op("ADD", [i, body.const(np.array(1, np.int32), "INT32")], [i2], options=ADD)
    x2 = _scale_and_shift(body, x, 1.5, 0.25)
    body.io([i, x, y], [i2, y, x2] if swap else [i2, x2, y])
    _loop_over(main)
    return m.write()


def if_model() -> bytes:
    """(flag, x): x * 2 - 1 if flag else x * 0.5 + 3, then + x (a value from before the if)."""
    m = GraphBuilder()
    main, then, other = m.subgraph(), m.subgraph(), m.subgraph()
    for graph, (scale, shift) in ((then, (2.0, -1.0)), (other, (0.5, 3.0))):
        x = graph.tensor(SHAPE)
        graph.io([x], [_scale_and_shift(graph, x, scale, shift)])
    flag, x, picked, out = (
        main.tensor([], "BOOL"),
        main.tensor(SHAPE),
        main.tensor(SHAPE),
        main.tensor(SHAPE),
    )
    options = ("IfOptions", {"then_subgraph_index": 1, "else_subgraph_index": 2})
    main.op("IF", [flag, x], [picked], options=options)
    main.op("ADD", [picked, x], [out], options=ADD)
    main.io([flag, x], [out])
    return m.write()


def inputs_of(model_name: str, rng: np.random.Generator, flag: bool = True) -> list[np.ndarray]:
    """Inputs of "if" (flag, x) or of the loops (i = 1, x, y)."""
    x = rng.standard_normal(SHAPE).astype(np.float32)
    if model_name == "if":
        return [np.array(flag), x]
    return [np.array(1, np.int32), x, rng.standard_normal(SHAPE).astype(np.float32)]


def add_then_mul(graph) -> None:
    """(a, b) -> relu((a + b) * a) as the body of `graph`."""
    a, b, s, p = (graph.tensor((3, 4)) for _ in range(4))
    graph.op("ADD", [a, b], [s], options=ADD)
    graph.op("MUL", [s, a], [p], options=("MulOptions", {"fused_activation_function": "RELU"}))
    graph.io([a, b], [p])


def call_models(twice: bool = False) -> tuple[bytes, bytes]:
    """(main: CALL of add_then_mul on (x, y), and again on (that, x) when `twice`; the callee
    alone as a model, LiteRT's oracle, as LiteRT has no CALL kernel)."""
    model = GraphBuilder()
    main = model.subgraph()
    add_then_mul(model.subgraph())
    x, y, out = main.tensor((3, 4)), main.tensor((3, 4)), main.tensor((3, 4))
    main.op("CALL", [x, y], [out], options=("CallOptions", {"subgraph": 1}))
    if twice:
        first, out = out, main.tensor((3, 4))
        main.op("CALL", [first, x], [out], options=("CallOptions", {"subgraph": 1}))
    main.io([x, y], [out])
    callee_only = GraphBuilder()
    add_then_mul(callee_only.subgraph())
    return model.write(), callee_only.write()


def loop_with_branch_model(limit: int = 5) -> bytes:
    """(i, x, y): while i < limit: i += 1; x = (x * 2 - 1 if i < 3 else x * 0.5 + 3); y kept:
    a branch nested in a loop body, its condition computed in the body."""
    m = GraphBuilder()
    main, cond, body, then, other = (m.subgraph() for _ in range(5))
    i, x, y = cond.tensor([], "INT32"), cond.tensor(SHAPE), cond.tensor(SHAPE)
    c = cond.tensor([], "BOOL")
    cond.op("LESS", [i, cond.const(np.array(limit, np.int32), "INT32")], [c])
    cond.io([i, x, y], [c])
    for graph, (scale, shift) in ((then, (2.0, -1.0)), (other, (0.5, 3.0))):
        v = graph.tensor(SHAPE)
        graph.io([v], [_scale_and_shift(graph, v, scale, shift)])
    i, x, y = body.tensor([], "INT32"), body.tensor(SHAPE), body.tensor(SHAPE)
    i2, early, x2 = body.tensor([], "INT32"), body.tensor([], "BOOL"), body.tensor(SHAPE)
    body.op("ADD", [i, body.const(np.array(1, np.int32), "INT32")], [i2], options=ADD)
    body.op("LESS", [i2, body.const(np.array(3, np.int32), "INT32")], [early])
    options = ("IfOptions", {"then_subgraph_index": 3, "else_subgraph_index": 4})
    body.op("IF", [early, x], [x2], options=options)
    body.io([i, x, y], [i2, x2, y])
    _loop_over(main)
    return m.write()
