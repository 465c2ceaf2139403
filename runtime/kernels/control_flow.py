"""Control flow (IF, WHILE, CALL, CALL_ONCE) and resource variables (VAR_HANDLE, READ_VARIABLE,
ASSIGN_VARIABLE). Branch and loop bodies are subgraphs run by the interpreter."""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.node import Node

MAX_WHILE_ITERATIONS = 10_000_000  # a runaway loop is reported, not hung on forever


@kernel("IF")
def if_(node: Node, cond: np.ndarray, *inputs: np.ndarray):
    if np.asarray(cond).size != 1:
        raise node.error(f"condition must hold one element, got shape {list(cond.shape)}")
    branch = "then_subgraph_index" if bool(np.asarray(cond).reshape(())) else "else_subgraph_index"
    outputs = node.interpreter.run_subgraph(node.options[branch], list(inputs))
    return tuple(outputs)


@kernel("WHILE")
def while_(node: Node, *inputs: np.ndarray):
    cond_index = node.options["cond_subgraph_index"]
    body_index = node.options["body_subgraph_index"]
    values = list(inputs)
    for _ in range(MAX_WHILE_ITERATIONS):
        (cond,) = node.interpreter.run_subgraph(cond_index, values)
        if not bool(np.asarray(cond).reshape(())):
            return tuple(values)
        values = node.interpreter.run_subgraph(body_index, values)
    raise node.error(f"loop did not finish within {MAX_WHILE_ITERATIONS} iterations")


@kernel("CALL")
def call(node: Node, *inputs: np.ndarray):
    return tuple(node.interpreter.run_subgraph(node.options["subgraph"], list(inputs)))


@kernel("CALL_ONCE")
def call_once(node: Node):
    key = ("call_once", node.options["init_subgraph_index"])
    if key not in node.interpreter.resources:
        node.interpreter.resources[key] = True
        node.interpreter.run_subgraph(node.options["init_subgraph_index"], [])
    return ()


class ResourceHandle:
    """The value of a RESOURCE tensor: names a variable in the interpreter."""

    def __init__(self, key: tuple[str, str]):
        self.key = key

    def __repr__(self) -> str:
        return f"ResourceHandle{self.key}"


@kernel("VAR_HANDLE")
def var_handle(node: Node):
    return ResourceHandle(
        ("var", f"{node.options.get('container', '')}/{node.options.get('shared_name', '')}")
    )


@kernel("READ_VARIABLE")
def read_variable(node: Node, handle: ResourceHandle):
    value = node.interpreter.resources.get(getattr(handle, "key", None))
    if value is None:
        raise node.error(f"variable {handle} is read before it is assigned")
    return value


@kernel("ASSIGN_VARIABLE")
def assign_variable(node: Node, handle: ResourceHandle, value: np.ndarray):
    node.interpreter.resources[handle.key] = np.array(value, copy=True)
    return ()
