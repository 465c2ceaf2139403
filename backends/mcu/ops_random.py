"""Lowerings of RANDOM_UNIFORM and RANDOM_STANDARD_NORMAL (kernels/random_f32.c): LiteRT's
Philox stream bit for bit on the host (the C library's logf / sinf / cosf, as LiteRT calls them;
a Cortex-M's libm may round those a ulp apart). The key and the counter's start come from the
interpreter's `PhiloxStream`; the blocks drawn so far are the op's state, two words in the
static state buffer (memory_planner.py), so the next run continues the stream as LiteRT's next
invoke does. Seeds (0, 0), which ask LiteRT for a nondeterministic stream, are refused: the
generated code has no entropy source. MULTINOMIAL is excluded (op_lowerings.EXCLUDED)."""

from __future__ import annotations

from tflc.backends.mcu.lowering import Lowering
from tflc.backends.mcu.ops_common import struct
from tflc.backends.mcu.program import Tensor
from tflc.runtime.kernels.quant_math import wrap32
from tflc.runtime.kernels.random import PhiloxStream


def _random(lw: Lowering, normal: bool) -> None:
    shape, y = lw.operand(0), lw.result()
    if y.dtype != "float32":
        raise lw.fail(f"{lw.op.name} of {y.dtype} has no MCU kernel (float32 only)")
    if shape.data is None:
        raise lw.fail("the output shape must be a constant: the static arena needs every shape")
    seeds = [
        wrap32(int(lw.attr(name))) if name in lw.op.attributes else 0 for name in ("seed", "seed2")
    ]
    if seeds == [0, 0]:
        raise lw.fail(
            "seeds (0, 0) ask for a nondeterministic stream; the generated code has no entropy "
            "source (give the op a seed)"
        )
    stream = PhiloxStream(*seeds)
    tid = len(lw.tensors)  # the blocks drawn so far (low, high): state kept between runs
    drawn = Tensor(tid, f"t{tid}", (2,), "int64", variable=True, origin=f"state of {lw.op.name}")
    lw.tensors[tid] = drawn
    fields = [struct([f"{k}u" for k in stream.key]), f"{stream.high}ull", y.size, int(normal)]
    params = lw.param("params", "tflc_random_params", struct(fields))
    lw.emit(
        "random_f32",
        f"tflc_random_f32(&{{p:{params.name}}}, (uint64_t *){{t:{drawn.id}}}, {{t:{y.id}}})",
        [drawn],
        [y, drawn],
        [params],
    )


HANDLERS = {
    "tfl.random_uniform": lambda lw: _random(lw, normal=False),
    "tfl.random_standard_normal": lambda lw: _random(lw, normal=True),
}
