"""Custom ops on the MCU target: a call to the user's C kernel registered for the custom code.

    tflc.compile(model, target="mcu", custom_kernels={"MyOp": "my_op.c"})

The generated model.c calls `void tflc_custom_MyOp(const tflc_custom_args *args)`
(kernels/tflc_custom.h) and the user's file is copied to kernels/custom_MyOp.c and built with
the model.
"""

from __future__ import annotations

from pathlib import Path

from tflc.backends.mcu.ops_common import float_literal
from tflc.backends.mcu.program import Param, Tensor
from tflc.backends.tflite.exporter import _bytes as custom_option_bytes
from tflc.errors import TflcError

CUSTOM_HEADER = "tflc_custom.h"
KERNEL_PREFIX = "custom:"
CUSTOM_DTYPES = {  # program dtypes -> enum tflc_custom_dtype
    "float32": "TFLC_CUSTOM_FLOAT32",
    "int32": "TFLC_CUSTOM_INT32",
    "int8": "TFLC_CUSTOM_INT8",
    "int64": "TFLC_CUSTOM_INT64",
    "uint8": "TFLC_CUSTOM_UINT8",
    "bool": "TFLC_CUSTOM_BOOL",
}


ABSENT = "{0, 0, 0, 0, 0.0f, 0}"  # an absent optional operand


def c_name(code: str) -> str:
    """The C function a custom code's kernel defines."""
    return "tflc_custom_" + "".join(c if c.isalnum() or c == "_" else "_" for c in code)


def source_name(code: str) -> str:
    """Where the user's kernel is copied in the generated project (under kernels/)."""
    return f"custom_{c_name(code).removeprefix('tflc_custom_')}.c"


def registered_kernels(option) -> dict[str, Path]:
    """The `custom_kernels` option ({custom code: C file}), each file checked to exist."""
    if option is None:
        return {}
    if not isinstance(option, dict):
        raise TflcError(
            f"expected a dict of custom code -> C file, got {type(option).__name__}",
            "custom_kernels",
        )
    kernels = {}
    for code, path in option.items():
        if not Path(path).is_file():
            raise TflcError(
                f"the C kernel '{path}' for custom op '{code}' is not a file", "custom_kernels"
            )
        kernels[str(code)] = Path(path)
    return kernels


def missing_kernel_hint(code: str) -> str:
    return (
        f"; register a C kernel defining `void {c_name(code)}(const tflc_custom_args *args)` "
        f"({CUSTOM_HEADER}) with custom_kernels={{'{code}': 'path/to/kernel.c'}} "
        f"(--custom-kernel {code}=path/to/kernel.c)"
    )


def _entry(lw, t: Tensor | None, name: str, writable: bool) -> tuple[str, list[Param]]:
    """One tflc_custom_input / _output initializer and its shape (a static const array)."""
    if t is None:
        return ABSENT, []
    if t.dtype not in CUSTOM_DTYPES or isinstance(t.scale, list):
        why = "per-axis quantized" if isinstance(t.scale, list) else t.dtype
        raise lw.fail(f"a {why} tensor cannot be passed to a custom op's C kernel")
    shape = lw.param(f"{name}_shape", "int32_t", list(t.shape))
    scale = float_literal(t.scale) if t.scale is not None else "0.0f"
    pointer = "void *" if writable else "const void *"
    text = (
        f"{{({pointer}){{t:{t.id}}}, {CUSTOM_DTYPES[t.dtype]}, {len(t.shape)}, "
        f"{{p:{shape.name}}}, {scale}, {int(t.zero_point or 0)}}}"
    )
    return text, [shape]


def lower_custom(lw, code: str) -> None:
    op = lw.op
    inputs = [lw.operand(i) for i in range(len(op.operands))]
    outputs = [lw.result(i) for i in range(len(op.results))]
    params: list[Param] = []
    ins, outs = [], []
    for i, t in enumerate(inputs):
        text, shape = _entry(lw, t, f"in{i}", False)
        ins.append(text)
        params += shape
    for i, t in enumerate(outputs):
        text, shape = _entry(lw, t, f"out{i}", True)
        outs.append(text)
        params += shape
    attr = op.attributes["custom_option"] if "custom_option" in op.attributes else None
    raw = custom_option_bytes(attr) if attr is not None else b""
    options = lw.param("options", "uint8_t", list(raw))
    call = "\n".join(
        [
            "{",
            f"    const tflc_custom_input tflc_in[] = {{{', '.join(ins or [ABSENT])}}};",
            f"    const tflc_custom_output tflc_out[] = {{{', '.join(outs or [ABSENT])}}};",
            f"    const tflc_custom_args tflc_args = {{{len(ins)}, tflc_in, {len(outs)}, "
            f"tflc_out, {{p:{options.name}}}, {len(raw)}}};",
            f"    {c_name(code)}(&tflc_args);",
            "  }",
        ]
    )
    present = [t for t in inputs if t is not None]
    lw.emit(KERNEL_PREFIX + code, call, present, outputs, params + [options])
