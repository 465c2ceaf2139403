"""The public Python API: load, save and print tfl modules."""

from __future__ import annotations

from pathlib import Path

from mlir import ir
from tflc.dialects import tfl
from tflc.dialects.tfl_verifier import verify
from tflc.errors import TflcError

DEFAULT_ELIDE_LIMIT = 16


def load(
    source: str | Path | bytes, context: ir.Context | None = None, static_shapes: bool = False
) -> ir.Module:
    """A tfl module from a .tflite file or bytes, or from MLIR text (a `.mlir` path).

    `static_shapes` types every tensor with the file's concrete `shape` (unknown dims as 1, what
    TFLite allocates by default) instead of its `shape_signature`, for backends that need them.
    """
    if isinstance(source, str | Path) and str(source).endswith(".mlir"):
        return parse(read_mlir_text(str(source)), str(source), context)
    from tflc.dialects.tflite_importer import import_flatbuffer

    return import_flatbuffer(source, context, static_shapes)


def read_mlir_text(source: str, hint: str = "") -> str:
    """The text of an MLIR file ('-': stdin); a file that cannot be read or is not UTF-8 is a
    `TflcError` naming the first bad byte, and `hint` (what the file may be instead)."""
    import sys

    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as e:
        raise TflcError(f"cannot read file: {e.strerror}", source) from None
    where = "<stdin>" if source == "-" else source
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        what = f"not UTF-8 text: byte 0x{data[e.start]:02x} at line {line}, column {column}"
        raise TflcError(what + (f" ({hint})" if hint else ""), where) from None


def parse(text: str, source: str = "<string>", context: ir.Context | None = None) -> ir.Module:
    """A verified module from MLIR text (a `builtin.module` op view; locations name `source`)."""
    context = context or tfl.make_context()
    with context, ir.Location.unknown():
        try:
            module = _parse_module(text, source)
        except ir.MLIRError as e:
            diags = e.error_diagnostics
            if diags:
                from tflc.dialects.tfl_verifier import describe_location

                raise TflcError(
                    diags[0].message, describe_location(diags[0].location) or source
                ) from None
            raise TflcError(str(e), source) from None
        verify(module, source)
    return module


def _parse_module(text: str, source: str):
    """Parses with file locations naming `source`; top-level ops outside a module get one."""
    try:
        op = ir.Operation.parse(text, source_name=source)
    except ir.MLIRError as e:
        if "single top-level operation" not in str(e):
            raise
        # Several top-level ops: open the module on line 1 so every line number stays true.
        op = ir.Operation.parse("module {" + text + "\n}", source_name=source)
    if op.name == "builtin.module":
        return op.opview
    module = ir.Module.create()
    module.body.append(op)
    return module.operation.opview


def to_flatbuffer(module: ir.Module, source: str = "<module>") -> bytes:
    """The .tflite bytes of a tfl module, verified first. Defined in backends/tflite/exporter.py,
    which the layers below the API (passes, backends) call directly."""
    from tflc.backends.tflite.exporter import export_flatbuffer

    return export_flatbuffer(module, source)


def save(module: ir.Module, path: str | Path) -> None:
    """Writes a tfl module as a .tflite flatbuffer. Nothing is written if export fails, and an
    existing file is replaced whole or not at all (written aside, then renamed)."""
    data = to_flatbuffer(module, str(path))
    _write_atomically(Path(path), data)


def _write_atomically(path: Path, data: bytes) -> None:
    """`path` holds `data` or, if writing fails, what it held before. A symlink is written
    through (its target is replaced, not the link)."""
    import os
    import tempfile

    path = path.resolve() if path.is_symlink() else path
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as e:
        raise TflcError(f"cannot write: {e.strerror}", str(path)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise TflcError(f"cannot write: {e.strerror}", str(path)) from None


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def to_text(
    module: ir.Module, elide_larger_than: int | None = DEFAULT_ELIDE_LIMIT, debug_info: bool = True
) -> str:
    """MLIR text; constants over `elide_larger_than` elements print as `dense_resource<__elided__>`."""
    return module.operation.get_asm(
        large_elements_limit=elide_larger_than,
        enable_debug_info=debug_info,
        assume_verified=True,
    )
