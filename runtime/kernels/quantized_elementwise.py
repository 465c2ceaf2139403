"""Quantized binary ops (ADD, SUB, MUL, ...), bit-exact with LiteRT's builtin kernels.

LiteRT runs most elements of an int8 ADD/MUL through a NEON-style vector loop (SQRDMULH, ties
upward) and the leftover elements of each contiguous run through the scalar reference code
(ties away from zero). The two can differ by one, so `lane_kinds` works out, for every output
element, which loop LiteRT computes it in, following its broadcast decomposition
(ProcessBroadcastShapes / BinaryBroadcastFiveFold).
"""

from __future__ import annotations

import numpy as np
from tflc.runtime.kernels.node import Node, scale_zp
from tflc.runtime.kernels.quant_math import (
    activation_range_quantized,
    count_leading_sign_bits,
    multiply_by_quantized_multiplier,
    quantize_multiplier,
    reciprocal_int,
    rounding_divide_by_pot,
    rounding_divide_by_pot_x86,
    srdhm,
    srdhm_neon,
)

REF, VEC, SCALAR_VEC = 0, 1, 2


def lane_kinds(shape1, shape2, out_shape, elem_width: int, scalar_width: int) -> np.ndarray:
    """For each output element (flat), which of LiteRT's loops computes it: REF, VEC (the
    elementwise vector loop) or SCALAR_VEC (the scalar-broadcast vector loop)."""
    n = int(np.prod(out_shape, dtype=np.int64))
    dims = max(len(shape1), len(shape2))
    s1 = (1,) * (dims - len(shape1)) + tuple(shape1)
    s2 = (1,) * (dims - len(shape2)) + tuple(shape2)
    pos = np.arange(n)
    if s1 == s2:
        return np.where(pos < n // elem_width * elem_width, VEC, REF)
    category = None
    for i in range(dims - 1, -1, -1):
        if s1[i] == s2[i]:
            continue
        if s1[i] == 1:
            category = "first"
        elif s2[i] == 1:
            category = "second"
        else:
            return np.full(n, REF)
        break
    a, b = (s2, s1) if category == "second" else (s1, s2)
    y = [1, 1, 1, 1, 1]
    i = dims - 1
    for slot, test in ((4, "eq"), (3, "a1"), (2, "eq"), (1, "b1"), (0, "eq")):
        while i >= 0 and (
            (test == "eq" and a[i] == b[i])
            or (test == "a1" and a[i] == 1)
            or (test == "b1" and b[i] == 1)
        ):
            y[slot] *= b[i] if slot in (4, 3, 0) else a[i]
            i -= 1
    if i >= 0:
        return np.full(n, REF)
    if y[4] > 1:
        p = pos % y[4]
        return np.where(p < y[4] // elem_width * elem_width, VEC, REF)
    p = pos % y[3]
    return np.where(p < y[3] // scalar_width * scalar_width, SCALAR_VEC, REF)


def _out_range(node: Node) -> tuple[int, int]:
    t = node.output()
    return activation_range_quantized(
        node.options.get("fused_activation_function", "NONE"), *scale_zp(t), t.type
    )


def _add_params(node: Node) -> dict:
    p = node.cache.get("add")
    if p is None:
        s1, z1 = scale_zp(node.input(0))
        s2, z2 = scale_zp(node.input(1))
        so, zo = scale_zp(node.output())
        left_shift = 15 if node.output().type == "INT16" else 20
        twice_max = 2.0 * float(np.float32(max(s1, s2)))
        m1, sh1 = quantize_multiplier(s1 / twice_max)
        m2, sh2 = quantize_multiplier(s2 / twice_max)
        mo, sho = quantize_multiplier(twice_max / ((1 << left_shift) * so))
        p = node.cache["add"] = dict(
            z1=z1, z2=z2, zo=zo, left=left_shift, m1=m1, s1=sh1, m2=m2, s2=sh2, mo=mo, so=sho
        )
    return p


def quantized_add_sub(node: Node, a: np.ndarray, b: np.ndarray, subtract: bool) -> np.ndarray:
    p = _add_params(node)
    out_shape = np.broadcast_shapes(a.shape, b.shape)
    x1 = np.broadcast_to(a.astype(np.int64) - p["z1"], out_shape).reshape(-1)
    x2 = np.broadcast_to(b.astype(np.int64) - p["z2"], out_shape).reshape(-1)
    kinds = None if subtract else _add_lane_kinds(node, a.shape, b.shape, out_shape)
    if kinds is None:
        out = _add_reference(p, x1, x2, -1 if subtract else 1)
    elif isinstance(kinds, int):  # the first `kinds` elements take the vector loop
        out = np.empty(x1.size, np.int64)
        out[:kinds] = _add_vector(p, x1[:kinds], x2[:kinds], VEC, node.output().type)
        out[kinds:] = _add_reference(p, x1[kinds:], x2[kinds:], 1)
    else:
        out = np.where(
            kinds == REF,
            _add_reference(p, x1, x2, 1),
            _add_vector(p, x1, x2, kinds, node.output().type),
        )
    lo, hi = _out_range(node)
    return np.clip(out + p["zo"], lo, hi).astype(node.out_dtype()).reshape(out_shape)


def _add_lane_kinds(node: Node, shape1, shape2, out_shape):
    """Which of LiteRT's ADD loops computes each element: None (all reference), an int n
    (the first n by the vector loop, the rest by the reference), or a per-element array."""
    key = ("add_kinds", shape1, shape2)
    if key not in node.cache:
        out_type = node.output().type
        kinds = None
        if out_type in ("INT8", "UINT8"):
            kinds = lane_kinds(shape1, shape2, out_shape, 16 if out_type == "INT8" else 8, 8)
        elif out_type == "INT16" and shape1 == shape2:
            # Only the non-broadcast int16 add has a vector loop (AddElementwiseInt16).
            kinds = lane_kinds(shape1, shape2, out_shape, 16, 16)
        if kinds is not None:
            n_vec = int(np.count_nonzero(kinds == VEC))
            if not kinds.any():
                kinds = None
            elif n_vec == np.count_nonzero(kinds) and np.all(kinds[:n_vec] == VEC):
                kinds = n_vec
        node.cache[key] = kinds
    return node.cache[key]


def _add_reference(p: dict, x1: np.ndarray, x2: np.ndarray, sign: int) -> np.ndarray:
    """The reference loop (every element of SUB and of broadcasts LiteRT cannot fold)."""
    r1 = multiply_by_quantized_multiplier(x1 << p["left"], p["m1"], p["s1"])
    r2 = multiply_by_quantized_multiplier(x2 << p["left"], p["m2"], p["s2"])
    r1 += sign * r2
    return multiply_by_quantized_multiplier(r1, p["mo"], p["so"])


def _add_vector(p: dict, x1: np.ndarray, x2: np.ndarray, kinds, out_type: str):
    """LiteRT's NEON add loops (AddElementwiseInt8/Int16, AddScalarBroadcast, uint8
    AddElementwise); `kinds` is VEC, SCALAR_VEC, or an array of both."""
    if out_type in ("INT8", "INT16"):
        # Elementwise: the input shift is folded into the left shift before SQRDMULH.
        e1 = srdhm_neon(x1 << (p["left"] + p["s1"]), p["m1"])
        e2 = srdhm_neon(x2 << (p["left"] + p["s2"]), p["m2"])
    else:
        e1 = srdhm_neon(x1 << p["left"], p["m1"]) >> -p["s1"]
        e2 = srdhm_neon(x2 << p["left"], p["m2"]) >> -p["s2"]
    if isinstance(kinds, int) and kinds == VEC:
        total = e1 + e2
    else:
        # Scalar broadcast: shift left, SQRDMULH, then a truncating shift right.
        b1 = srdhm_neon(x1 << p["left"], p["m1"]) >> -p["s1"]
        b2 = srdhm_neon(x2 << p["left"], p["m2"]) >> -p["s2"]
        total = np.where(kinds == VEC, e1 + e2, b1 + b2)
    out = rounding_divide_by_pot(srdhm_neon(total, p["mo"]), -p["so"])
    if out_type == "INT16":
        return out  # narrowed with saturation after the offset is added
    return ((out + 32768) % 65536) - 32768  # vmovn_s32 narrows to int16 by truncation


def _mul_params(node: Node) -> dict:
    p = node.cache.get("mul")
    if p is None:
        s1, z1 = scale_zp(node.input(0))
        s2, z2 = scale_zp(node.input(1))
        so, zo = scale_zp(node.output())
        # mul.cc computes the multiplier in float: scale1 * scale2 / scale_out.
        m, sh = quantize_multiplier(
            float(np.float32(np.float32(s1) * np.float32(s2)) / np.float32(so))
        )
        p = node.cache["mul"] = dict(z1=z1, z2=z2, zo=zo, m=m, s=sh)
    return p


def quantized_mul(node: Node, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    p = _mul_params(node)
    out_shape = np.broadcast_shapes(a.shape, b.shape)
    x1 = np.broadcast_to(a.astype(np.int64) - p["z1"], out_shape).reshape(-1)
    x2 = np.broadcast_to(b.astype(np.int64) - p["z2"], out_shape).reshape(-1)
    prod = x1 * x2
    out = multiply_by_quantized_multiplier(prod, p["m"], p["s"])
    if node.output().type == "INT8":
        kinds = lane_kinds(a.shape, b.shape, out_shape, 16, 16)
        if kinds.any():
            left = max(int(p["s"]), 0)
            vec = rounding_divide_by_pot(srdhm_neon(prod << left, p["m"]), max(-int(p["s"]), 0))
            vec = ((vec + 32768) % 65536) - 32768
            out = np.where(kinds == REF, out, vec)
    lo, hi = _out_range(node)
    return np.clip(out + p["zo"], lo, hi).astype(node.out_dtype()).reshape(out_shape)


def div_params(node: Node) -> dict:
    """DIV's Prepare: zero points, and the output multiplier and shift (the mcu reads them)."""
    p = node.cache.get("div")
    if p is None:
        s1, z1 = scale_zp(node.input(0))
        s2, z2 = scale_zp(node.input(1))
        so, zo = scale_zp(node.output())
        # div.cc: float scale1 / (float scale2 * float scale_out), widened to double.
        real = float(np.float32(s1) / np.float32(np.float32(s2) * np.float32(so)))
        m, sh = quantize_multiplier(real)
        p = node.cache["div"] = dict(z1=z1, z2=z2, zo=zo, m=int(m), s=int(sh), recip={})
    return p


def _reciprocals(p: dict, divisors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GetReciprocal of each positive divisor, cached per value (an int8 / int16 divisor
    takes few distinct values)."""
    table = p["recip"]
    values, inverse = np.unique(divisors, return_inverse=True)
    for v in values.tolist():
        if v not in table:
            table[v] = reciprocal_int(v)
    pairs = np.array([table[v] for v in values.tolist()], dtype=np.int64).reshape(-1, 2)
    return pairs[inverse, 0].reshape(divisors.shape), pairs[inverse, 1].reshape(divisors.shape)


def quantized_div(node: Node, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """DIV int8/uint8/int16 (reference_ops DivElementwise, which LiteRT's optimized kernel
    uses too): a fixed-point reciprocal of the divisor, the dividend shifted to full headroom,
    one requantization."""
    p = div_params(node)
    out_shape = np.broadcast_shapes(a.shape, b.shape)
    x1 = np.broadcast_to(a.astype(np.int64) - p["z1"], out_shape)
    x2 = np.broadcast_to(b.astype(np.int64) - p["z2"], out_shape)
    if np.any(x2 == 0):  # div.cc's CheckNonZero: an error in LiteRT too
        raise node.error("division by zero (a divisor equal to its zero point)")
    x1 = np.where(x2 < 0, -x1, x1)  # the reciprocal must be a positive multiplier
    inverse, recip_shift = _reciprocals(p, np.abs(x2))
    headroom = count_leading_sign_bits(x1)
    unscaled = srdhm(x1 << headroom, inverse)
    total_shift = p["s"] - recip_shift - headroom
    out = rounding_divide_by_pot_x86(srdhm(unscaled, p["m"]), -total_shift)
    lo, hi = _out_range(node)
    return np.clip(out + p["zo"], lo, hi).astype(node.out_dtype())


def quantized_squared_difference(node: Node, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """SQUARED_DIFFERENCE int8 (squared_difference.cc, reference arithmetic)."""
    s1, z1 = scale_zp(node.input(0))
    s2, z2 = scale_zp(node.input(1))
    so, zo = scale_zp(node.output())
    left_shift = 7
    twice_max = 2.0 * float(np.float32(max(s1, s2)))
    m1, sh1 = quantize_multiplier(s1 / twice_max)
    m2, sh2 = quantize_multiplier(s2 / twice_max)
    mo, sho = quantize_multiplier(twice_max * twice_max / ((1 << (2 * left_shift)) * so))
    x1 = multiply_by_quantized_multiplier((a.astype(np.int64) - z1) << left_shift, m1, sh1)
    x2 = multiply_by_quantized_multiplier((b.astype(np.int64) - z2) << left_shift, m2, sh2)
    d = x1 - x2
    out = multiply_by_quantized_multiplier(d * d, mo, sho)
    lo, hi = _out_range(node)
    return np.clip(out + zo, lo, hi).astype(node.out_dtype())


def quantized_comparison_inputs(node: Node, a: np.ndarray, b: np.ndarray):
    """Rescales both quantized inputs to a common fixed-point scale (comparisons.cc)."""
    s1, z1 = scale_zp(node.input(0))
    s2, z2 = scale_zp(node.input(1))
    left_shift = 8
    m1, sh1 = quantize_multiplier(s1)
    m2, sh2 = quantize_multiplier(s2)
    x1 = multiply_by_quantized_multiplier((a.astype(np.int64) - z1) << left_shift, m1, sh1)
    x2 = multiply_by_quantized_multiplier((b.astype(np.int64) - z2) << left_shift, m2, sh2)
    return x1, x2
