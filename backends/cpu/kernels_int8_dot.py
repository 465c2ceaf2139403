"""The int8 dot products of the GEMM-family kernels: how weights are packed and how one
reduction step multiplies a broadcast group of inputs by a panel of output-channel vectors.

Weights are packed per output-channel panel as groups of consecutive reduction steps,
interleaved per channel (`[Cout/NRV][G][K'/g][NRV][g]`, zero padded), so that one 32-bit lane
of a weight vector holds one channel's next `g` weights and one broadcast group of `g` inputs
feeds every lane. Two schemes:

- `PairDot` (g = 2): the pair is sign-extended to int16 and its two products are added per
  lane: LLVM selects `vpmaddwd` on x86 (`vpdpwssd` with AVX512-VNNI), plain vector code
  elsewhere (aarch64, SSE2).
- `QuadDot` (g = 4): `vpdpbusd`, four u8 x s8 products per lane added to an i32 accumulator
  (AVX512-VNNI on 512-bit vectors, AVX-VNNI on 256-bit), called as the LLVM intrinsic (LLVM
  does not form it from a GEMM loop). Its first operand is unsigned: inputs are fed as
  x + 128 (the sign bit flipped) and the kernel's initial accumulator subtracts 128 * sum(w)
  (`input_offset`). vpdpbusd does not saturate and sums are exact modulo 2^32, so the final
  accumulator, which fits in int32, is exact.

A padded tap of a conv reads the input zero point in every byte of the group (the packed
weights of a short last group are zero, so what those bytes hold adds nothing).
"""

from __future__ import annotations

import numpy as np
from tflc.backends.cpu import kernels_int8_common as q
from tflc.backends.cpu.emitter import Function


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def pack_groups(w_kn: np.ndarray, nrv: int, group: int, k_groups: int = 1) -> np.ndarray:
    """[K, N] int8 weights -> `[N/nrv][G][K'/group][nrv][group]` where the reduction splits
    into `k_groups` equal parts (conv taps), each padded with zeros to a multiple of `group`."""
    k, n = w_kn.shape
    kg = k // k_groups
    kg_pad = _ceil_div(kg, group) * group
    nb = _ceil_div(n, nrv)
    padded = np.zeros((k_groups, kg_pad, nb * nrv), np.int8)
    padded[:, :kg, :n] = w_kn.reshape(k_groups, kg, n)
    # [G][K'/g][g][NB][nrv] -> [NB][G][K'/g][nrv][g]
    p = padded.reshape(k_groups, kg_pad // group, group, nb, nrv).transpose(3, 0, 1, 4, 2)
    return np.ascontiguousarray(p).reshape(-1)


class PairDot:
    """Pairs of int8 through int16 pair products (vpmaddwd / vpdpwssd on x86)."""

    group = 2
    input_offset = 0  # inputs are used as they are
    raw_type = "i16"

    def load(self, fn: Function, x, index: str, count: int) -> str:
        """`count` (1 or 2) consecutive inputs at `index` as the raw 16 bits of a pair (a
        single input gets a zero high byte)."""
        if count == 1:
            return fn.op(f"arith.extui {fn.load(x[0], x[1], index)} : i8 to i16")
        p8 = fn.op(f"vector.load {x[0]}[{index}] : {x[1]}, vector<2xi8>")
        p16 = fn.op(f"vector.bitcast {p8} : vector<2xi8> to vector<1xi16>")
        return fn.op(f"vector.extract {p16}[0] : i16 from vector<1xi16>")

    def padding(self, fn: Function, x_zp: int) -> str:
        byte = x_zp & 0xFF
        bits = byte << 8 | byte
        return fn._const(str(bits - (1 << 16) if bits >= 1 << 15 else bits), "i16")

    def step(self, fn: Function, w, w_index: str, nvec: int, lanes: int, raws, accs):
        """accs[m][j] += pairwise dot(pair m, weights j): sext, mul, add even and odd lanes."""
        v16, v32w = q.vec(2 * lanes, "i16"), q.vec(2 * lanes, "i32")
        v8 = q.vec(2 * lanes, "i8")
        even = ", ".join(str(2 * i) for i in range(lanes))
        odd = ", ".join(str(2 * i + 1) for i in range(lanes))
        ws = []
        for j in range(nvec):
            wv = fn.op(f"vector.load {w[0]}[{fn.add(w_index, 2 * j * lanes)}] : {w[1]}, {v8}")
            ws.append(q.ext(fn, q.ext(fn, wv, v8, v16), v16, v32w))
        out = list(accs)
        for m, raw in enumerate(raws):
            # broadcast the raw pair (vpbroadcastw), then sign-extend its bytes (vpmovsxbw)
            b = fn.op(f"vector.broadcast {raw} : i16 to {q.vec(lanes, 'i16')}")
            b8 = fn.op(f"vector.bitcast {b} : {q.vec(lanes, 'i16')} to {v8}")
            xv = q.ext(fn, q.ext(fn, b8, v8, v16), v16, v32w)
            for j in range(nvec):
                prod = fn.op(f"arith.muli {xv}, {ws[j]} : {v32w}")
                e = fn.op(f"vector.shuffle {prod}, {prod} [{even}] : {v32w}, {v32w}")
                o = fn.op(f"vector.shuffle {prod}, {prod} [{odd}] : {v32w}, {v32w}")
                s = fn.op(f"arith.addi {e}, {o} : {q.vec(lanes, 'i32')}")
                out[m * nvec + j] = fn.op(
                    f"arith.addi {out[m * nvec + j]}, {s} : {q.vec(lanes, 'i32')}"
                )
        return out


# The intrinsic per vector width (i32 lanes); its operands are <N x i32>, <4N x i8>, <4N x i8>
# in LLVM 22, and AVX-VNNI CPUs encode the 256-bit one with VEX.
VPDPBUSD = {16: "llvm.x86.avx512.vpdpbusd.512", 8: "llvm.x86.avx512.vpdpbusd.256"}
SIGN_BITS = -0x7F7F7F80  # 0x80808080 as an i32: flips each byte's sign bit (x + 128 as u8)


class QuadDot:
    """Groups of four int8 through vpdpbusd (u8 inputs x s8 weights)."""

    group = 4
    input_offset = 128  # inputs enter as x + 128
    raw_type = "i32"

    def __init__(self, lanes: int):
        self.intrinsic = VPDPBUSD[lanes]

    def load(self, fn: Function, x, index: str, count: int) -> str:
        """`count` (1 to 4) consecutive inputs at `index` as the raw 32 bits of a group (past
        `count`, zero bytes: nothing is read beyond them)."""
        v4 = q.vec(4, "i8")
        if count == 4:
            g = fn.op(f"vector.load {x[0]}[{index}] : {x[1]}, {v4}")
        else:
            z = fn._const("dense<0>", v4)
            g = fn.op(
                f"vector.maskedload {x[0]}[{index}], {fn.mask(count, 4)}, {z} : {x[1]}, "
                f"vector<4xi1>, {v4} into {v4}"
            )
        g32 = fn.op(f"vector.bitcast {g} : {v4} to vector<1xi32>")
        return fn.op(f"vector.extract {g32}[0] : i32 from vector<1xi32>")

    def padding(self, fn: Function, x_zp: int) -> str:
        byte = x_zp & 0xFF
        bits = byte * 0x01010101
        return fn._const(str(bits - (1 << 32) if bits >= 1 << 31 else bits), "i32")

    def step(self, fn: Function, w, w_index: str, nvec: int, lanes: int, raws, accs):
        """accs[m][j] += sum over the group of (input + 128) * weight, per lane."""
        v32, v8 = q.vec(lanes, "i32"), q.vec(4 * lanes, "i8")
        ws = [
            fn.op(f"vector.load {w[0]}[{fn.add(w_index, 4 * j * lanes)}] : {w[1]}, {v8}")
            for j in range(nvec)
        ]
        flip = fn._const(f"dense<{SIGN_BITS}>", v32)
        out = list(accs)
        for m, raw in enumerate(raws):
            b = fn.op(f"vector.broadcast {raw} : i32 to {v32}")
            u8 = fn.op(f"vector.bitcast {q.binop(fn, 'xori', b, flip, v32)} : {v32} to {v8}")
            for j in range(nvec):
                out[m * nvec + j] = fn.op(
                    f'llvm.call_intrinsic "{self.intrinsic}"({out[m * nvec + j]}, {u8}, {ws[j]})'
                    f" : ({v32}, {v8}, {v8}) -> {v32}"
                )
        return out


def dot_for(lanes: int, u8s8: bool) -> PairDot | QuadDot:
    """QuadDot where the target has vpdpbusd at this vector width, else PairDot."""
    return QuadDot(lanes) if u8s8 and lanes in VPDPBUSD else PairDot()
