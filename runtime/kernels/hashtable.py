"""The resource hash tables: HASHTABLE, HASHTABLE_IMPORT, HASHTABLE_FIND, HASHTABLE_SIZE.

HASHTABLE yields a handle to the table `table_id` of the interpreter (made on first use, shared
by every subgraph, kept for the interpreter's life as LiteRT keeps it); TFLite's tables map int64
to string or string to int64 (strings are bytes in object arrays). A table is static: the first
import fills it, later imports are ignored, as LiteRT does.
"""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.control_flow import ResourceHandle
from tflc.runtime.kernels.node import Node

_KEY_VALUE_TYPES = {("INT64", "STRING"), ("STRING", "INT64")}


class StaticHashTable:
    def __init__(self, key_type: str, value_type: str):
        self.key_type = key_type
        self.value_type = value_type
        self.entries: dict = {}
        self.imported = False


def _check_hashtable(node: Node) -> str | None:
    types = (node.options.get("key_dtype"), node.options.get("value_dtype"))
    if types not in _KEY_VALUE_TYPES:
        return f"hash tables map INT64 to STRING or STRING to INT64, not {types[0]} to {types[1]}"
    return None


def _plain(value) -> object:
    """A dict key for one element: bytes for strings, int for integers."""
    if isinstance(value, bytes | np.bytes_):
        return bytes(value)
    if isinstance(value, str):
        return value.encode()
    return int(value)


def _table(node: Node, handle) -> StaticHashTable:
    table = node.interpreter.resources.get(getattr(handle, "key", None))
    if not isinstance(table, StaticHashTable):
        raise node.error(f"{handle} does not name a hash table")
    return table


@kernel("HASHTABLE", check=_check_hashtable)
def hashtable(node: Node):
    key = ("hashtable", int(node.options.get("table_id", 0)))
    resources = node.interpreter.resources
    if key not in resources:
        resources[key] = StaticHashTable(node.options["key_dtype"], node.options["value_dtype"])
    return ResourceHandle(key)


@kernel("HASHTABLE_IMPORT")
def hashtable_import(node: Node, handle, keys: np.ndarray, values: np.ndarray):
    table = _table(node, handle)
    if keys.size != values.size:
        raise node.error(f"{keys.size} keys but {values.size} values")
    if not table.imported:
        table.imported = True
        for k, v in zip(keys.ravel(), values.ravel(), strict=True):
            table.entries.setdefault(_plain(k), _plain(v))
    return ()


@kernel("HASHTABLE_FIND")
def hashtable_find(node: Node, handle, keys: np.ndarray, default: np.ndarray):
    table = _table(node, handle)
    fallback = _plain(np.asarray(default).ravel()[0])
    found = [table.entries.get(_plain(k), fallback) for k in np.asarray(keys).ravel()]
    if table.value_type == "STRING":
        out = np.empty(len(found), dtype=object)
        out[:] = found
        return out.reshape(np.shape(keys))
    return np.array(found, dtype=np.int64).reshape(np.shape(keys))


@kernel("HASHTABLE_SIZE")
def hashtable_size(node: Node, handle):
    return np.array([len(_table(node, handle).entries)], dtype=np.int64)
