"""Text ops on STRING tensors (object arrays of bytes): SKIP_GRAM."""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernels import kernel
from tflc.runtime.kernels.node import Node

_SPACE = b" \t\n\v\f\r"


def _words(sentence: bytes) -> list[bytes]:
    """Split at C whitespace; like LiteRT, the first byte never counts as a separator."""
    words, start = [], 0
    for i in range(1, len(sentence)):
        if sentence[i] in _SPACE:
            if i > start and sentence[start] not in _SPACE:
                words.append(sentence[start:i])
            start = i + 1
    if len(sentence) > start:
        words.append(sentence[start:])
    return words


@kernel("SKIP_GRAM")
def skip_gram(node: Node, text: np.ndarray):
    """The n-grams of the first string's words that skip at most `max_skip_size` words between
    neighbours, in LiteRT's depth-first order (with `include_all_ngrams`, shorter ones too)."""
    o = node.options
    n = int(o.get("ngram_size", 0))
    skip = int(o.get("max_skip_size", 0))
    include_all = bool(o.get("include_all_ngrams", False))
    first = np.asarray(text).ravel()[0] if np.asarray(text).size else b""
    words = _words(first.encode() if isinstance(first, str) else bytes(first))
    grams: list[bytes] = []
    if n > 0 and len(words) >= n:
        # stack[d] is the word at depth d; depth `depth` is the one being filled next.
        stack = [0] * n
        depth = 1
        while depth >= 0:
            can_step = depth < n and stack[depth] + 1 < len(words)
            if can_step and depth > 0:
                can_step = stack[depth] - stack[depth - 1] <= skip
            if can_step:
                stack[depth] += 1
                depth += 1
                if depth < n:
                    stack[depth] = stack[depth - 1]
            else:
                if (depth > 0) if include_all else (depth == n):
                    grams.append(b" ".join(words[stack[i]] for i in range(depth)))
                depth -= 1
    out = np.empty(len(grams), dtype=object)
    out[:] = grams
    return out
