"""What the host CPU tells programs about itself through CPUID, read without a compiler.

LiteRT's kernels pick their blocking from these answers at run time, so the interpreter's
LiteRT float order (kernels/litert_gemm.py) must read the same ones. CPUID runs from a few
bytes of x86-64 machine code in an executable page called through ctypes; where that is not
possible (another architecture, a kernel that refuses executable mappings) `cpuid` returns
None and callers fall back to what Linux reports in sysfs.
"""

from __future__ import annotations

import ctypes
import functools
import mmap
import platform
from collections.abc import Callable
from pathlib import Path

# A leaf's answer: (eax, ebx, ecx, edx).
Registers = tuple[int, int, int, int]
CpuidFn = Callable[[int, int], Registers]

# void cpuid(uint32 leaf, uint32 subleaf, uint32 out[4]), System V x86-64 calling convention:
# rbx is callee-saved, so it is kept across the instruction.
_CPUID_CODE = bytes(
    [
        0x53,  # push rbx
        0x89, 0xF8,  # mov eax, edi
        0x89, 0xF1,  # mov ecx, esi
        0x49, 0x89, 0xD0,  # mov r8, rdx
        0x0F, 0xA2,  # cpuid
        0x41, 0x89, 0x00,  # mov [r8], eax
        0x41, 0x89, 0x58, 0x04,  # mov [r8 + 4], ebx
        0x41, 0x89, 0x48, 0x08,  # mov [r8 + 8], ecx
        0x41, 0x89, 0x50, 0x0C,  # mov [r8 + 12], edx
        0x5B,  # pop rbx
        0xC3,  # ret
    ]
)  # fmt: skip

_VENDORS = {
    (0x756E6547, 0x49656E69, 0x6C65746E): "GenuineIntel",  # ebx, edx, ecx
    (0x68747541, 0x69746E65, 0x444D4163): "AuthenticAMD",
    (0x69444D41, 0x74656273, 0x21726574): "AMDisbetter!",
}


@functools.cache
def _native_cpuid() -> CpuidFn | None:
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return None
    try:
        page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    except (OSError, AttributeError, ValueError):
        return None
    page.write(_CPUID_CODE)
    address = ctypes.addressof(ctypes.c_char.from_buffer(page))
    call = ctypes.CFUNCTYPE(None, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_void_p)(address)

    def cpuid(leaf: int, subleaf: int = 0) -> Registers:
        out = (ctypes.c_uint32 * 4)()
        call(leaf, subleaf, ctypes.addressof(out))
        return out[0], out[1], out[2], out[3]

    cpuid.page = page  # the code lives as long as the function
    return cpuid


def cpuid(leaf: int, subleaf: int = 0) -> Registers | None:
    """The host's CPUID answer for (leaf, subleaf), or None where it cannot be asked."""
    native = _native_cpuid()
    return None if native is None else native(leaf, subleaf)


def vendor(query: CpuidFn) -> str:
    _, ebx, ecx, edx = query(0, 0)
    return _VENDORS.get((ebx, edx, ecx), "")


def _intel_l1_data_bytes(query: CpuidFn) -> int:
    """Leaf 4, the deterministic cache parameters: the level-1 data (or unified) cache."""
    l1 = 0
    for index in range(16):
        eax, ebx, ecx, _ = query(4, index)
        kind = eax & 0x0F
        if kind == 0:
            break
        if kind in (1, 3) and (eax >> 5) & 0x7 == 1:
            ways, partitions, line = ebx >> 22, (ebx >> 12) & 0x3FF, ebx & 0xFFF
            l1 = (ways + 1) * (partitions + 1) * (line + 1) * (ecx + 1)
    return l1


def eigen_l1_data_bytes(query: CpuidFn) -> int:
    """The L1 data cache size as Eigen's `queryCacheSizes` reads it, in bytes (0: unknown).

    Intel (and unknown vendors): leaf 4 when the highest standard leaf reaches it; AMD: leaf
    0x80000005 ECX[31:24] KiB, when the highest extended leaf reaches 0x80000006. Eigen's
    leaf-2 descriptor table for pre-2004 CPUs is left out: every x86-64 CPU has leaf 4.
    """
    highest = query(0, 0)[0]
    if vendor(query) in ("AuthenticAMD", "AMDisbetter!"):
        if query(0x80000000, 0)[0] < 0x80000006:
            return 0
        return (query(0x80000005, 0)[2] >> 24) * 1024
    return _intel_l1_data_bytes(query) if highest >= 4 else 0


def _sysfs_l1_data_bytes() -> int:
    """Linux's own reading of the caches, for hosts where CPUID cannot be run from here."""
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            size = (index / "size").read_text().strip()
        except OSError:
            continue
        if level == "1" and kind in ("Data", "Unified") and size.endswith("K"):
            return int(size[:-1]) * 1024
    return 0


@functools.cache
def host_eigen_l1_data_bytes() -> int:
    """This host's L1 data cache size as Eigen reads it (0 when nothing tells)."""
    native = _native_cpuid()
    return eigen_l1_data_bytes(native) if native is not None else _sysfs_l1_data_bytes()
