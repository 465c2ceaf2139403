"""Building and running a generated MCU project: host binary, Cortex-M library, qemu firmware,
flash size, instruction counts, and TFLM's arena for the same model (for the report)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tflc.errors import TflcError

QEMU_MACHINE = "mps2-an386"


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


def ninja(directory: Path, *targets: str) -> None:
    exe = shutil.which("ninja")
    if exe is None:  # the `ninja` PyPI package installs a module even when no script is on PATH
        command = [sys.executable, "-m", "ninja"]
    else:
        command = [exe]
    result = subprocess.run(
        command + ["-C", str(directory), *targets], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise TflcError(
            f"building the generated C failed:\n{result.stdout}{result.stderr}", str(directory)
        )


def run_host(
    binary: Path, input_bytes: bytes, output_size: int, runs: int = 1, state: bytes | None = None
) -> bytes | tuple[bytes, bytes]:
    """Runs the host build; with `state` (the variables' bytes, b"" for zeros) it returns
    (outputs, the state after the runs)."""
    with tempfile.TemporaryDirectory(prefix="tflc-mcu-run-") as tmp:
        src, dst, kept = Path(tmp, "input.bin"), Path(tmp, "output.bin"), Path(tmp, "state.bin")
        src.write_bytes(input_bytes)
        command = [str(binary), str(src), str(dst), str(runs)]
        if state is not None:
            kept.write_bytes(state)
            command.append(str(kept))
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise TflcError(
                f"the host build exited with status {result.returncode}:\n{result.stderr}",
                str(binary),
            )
        data = dst.read_bytes()
        new_state = kept.read_bytes() if state is not None else None
    if len(data) != output_size:
        raise TflcError(f"expected {output_size} output bytes, got {len(data)}", str(binary))
    return data if state is None else (data, new_state)


def run_qemu(firmware: Path, input_bytes: bytes, timeout: float = 120.0) -> tuple[int, str]:
    """Runs the semihosting firmware under qemu; (exit status, console text)."""
    with tempfile.TemporaryDirectory(prefix="tflc-mcu-qemu-") as tmp:
        Path(tmp, "input.bin").write_bytes(input_bytes)
        result = subprocess.run(
            ["qemu-system-arm", "-M", QEMU_MACHINE, "-nographic", "-monitor", "none",
             "-semihosting-config", "enable=on,target=native", "-kernel", str(firmware.resolve())],
            cwd=tmp, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
    return result.returncode, result.stdout + result.stderr


def parse_firmware_output(text: str) -> bytes:
    match = re.search(r"output:\n(.*?)end\n", text, re.S)
    if not match:
        raise TflcError(f"no output block in the firmware's console:\n{text}")
    return bytes.fromhex("".join(match.group(1).split()))


def arm_size(library: Path) -> dict[str, int]:
    """`arm-none-eabi-size` totals over a library's objects: text (code + const data), data, bss."""
    result = subprocess.run(
        ["arm-none-eabi-size", "--totals", str(library)], capture_output=True, text=True, check=True
    )
    totals = result.stdout.strip().splitlines()[-1].split()
    return {"text": int(totals[0]), "data": int(totals[1]), "bss": int(totals[2])}


def arm_size_by_object(library: Path) -> dict[str, int]:
    """text + data per object file of the library."""
    result = subprocess.run(
        ["arm-none-eabi-size", str(library)], capture_output=True, text=True, check=True
    )
    sizes: dict[str, int] = {}
    for line in result.stdout.strip().splitlines()[1:]:
        parts = line.split()
        sizes[parts[5].split("(")[0] if "(" in parts[5] else parts[5]] = int(parts[0]) + int(
            parts[1]
        )
    return sizes


_TFLM_SCRIPT = """
import sys
import numpy as np
from tflite_micro.python.tflite_micro import runtime
interpreter = runtime.Interpreter.from_file(sys.argv[1], arena_size=int(sys.argv[2]))
for i in range(int(sys.argv[3])):
    d = interpreter.get_input_details(i)
    interpreter.set_input(np.zeros(d["shape"], dtype=d["dtype"]), i)
interpreter.invoke()
interpreter.print_allocations()
"""


def tflm_arena_bytes(tflite_path: Path, input_count: int, timeout: float = 600) -> int | None:
    """The arena TFLM's RecordingMicroAllocator reports for the model, or None if unavailable
    (or if TFLM's run on zero inputs outlasts `timeout` seconds: a loop that never ends there).

    Runs in a subprocess: the allocator prints from C++ to the process's stderr.
    """
    try:
        import importlib.util

        if importlib.util.find_spec("tflite_micro") is None:
            return None
    except (ImportError, ValueError):
        return None
    size = max(os.path.getsize(tflite_path) * 4, 1 << 20)
    try:
        result = subprocess.run(
            [sys.executable, "-c", _TFLM_SCRIPT, str(tflite_path), str(size), str(input_count)],
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return None
    match = re.search(r"Arena allocation total (\d+) bytes", result.stdout + result.stderr)
    return int(match.group(1)) if match else None


def callgrind_instructions(command: list[str], function: str, cwd: Path | None = None) -> int:
    """Instructions executed inside `function` (and its callees), counted by callgrind."""
    with tempfile.TemporaryDirectory(prefix="tflc-callgrind-") as tmp:
        out = Path(tmp, "callgrind.out")
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             f"--toggle-collect={function}", *command],
            cwd=cwd, capture_output=True, text=True, check=True,
        )  # fmt: skip
        for line in out.read_text().splitlines():
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise TflcError("callgrind wrote no summary")
