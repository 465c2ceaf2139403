"""The host-CPU reading that picks LiteRT's float GEMM blocking (runtime/host_cpu.py).

LiteRT's Eigen sizes its depth blocks from the L1 data cache it reads through CPUID, so the
interpreter's LiteRT float order differs between hosts. These tests drive the same selection
code with the CPUID answers of the hosts the suite lands on, so a host this machine is not is
still covered: an Intel Xeon with a 48 KiB L1d (Ice Lake / Sapphire Rapids, where depths 688,
700 and 960 were measured in one block against LiteRT 2.3) and AMD Zen with 32 KiB (680 measured
here in one block, 688 in two).
"""

from __future__ import annotations

import platform
from pathlib import Path

import pytest
from tflc.runtime import host_cpu
from tflc.runtime.kernels.litert_gemm import depth_blocks, host_max_depth_block, max_depth_block

INTEL = (0x756E6547, 0x6C65746E, 0x49656E69)  # ebx, ecx, edx of leaf 0
AMD = (0x68747541, 0x444D4163, 0x69746E65)


def leaf4(kind: int, level: int, ways: int, line: int, sets: int) -> tuple[int, int, int, int]:
    return kind | level << 5, (ways - 1) << 22 | (line - 1), sets - 1, 0


def fake_cpuid(vendor, leaves):
    def query(leaf: int, subleaf: int = 0):
        if leaf == 0:
            return (0x20, vendor[0], vendor[1], vendor[2])
        return leaves.get((leaf, subleaf), (0, 0, 0, 0))

    return query


SAPPHIRE_RAPIDS = fake_cpuid(
    INTEL,
    {
        (4, 0): leaf4(1, 1, 12, 64, 64),  # 48 KiB L1 data
        (4, 1): leaf4(2, 1, 8, 64, 64),  # 32 KiB L1 instructions: not a data cache
        (4, 2): leaf4(3, 2, 16, 64, 2048),  # 2 MiB L2
        (4, 3): leaf4(3, 3, 15, 64, 57344),
    },
)
SKYLAKE_X = fake_cpuid(INTEL, {(4, 0): leaf4(1, 1, 8, 64, 64), (4, 1): leaf4(3, 2, 16, 64, 1024)})
ZEN4 = fake_cpuid(
    AMD, {(0x80000000, 0): (0x80000028, 0, 0, 0), (0x80000005, 0): (0, 0, 0x20080140, 0)}
)
# An AMD CPU whose extended leaves stop short of 0x80000006: Eigen then knows no size.
OLD_AMD = fake_cpuid(AMD, {(0x80000000, 0): (0x80000004, 0, 0, 0)})


@pytest.mark.parametrize(
    "query,l1,kc",
    [(SAPPHIRE_RAPIDS, 48 * 1024, 1016), (SKYLAKE_X, 32 * 1024, 680), (ZEN4, 32 * 1024, 680),
     (OLD_AMD, 0, 680)],
    ids=["sapphire-rapids", "skylake-x", "zen4", "amd-without-leaf"],
)  # fmt: skip
def test_depth_block_follows_the_l1_eigen_reads(query, l1, kc):
    assert host_cpu.eigen_l1_data_bytes(query) == l1
    assert max_depth_block(l1) == kc


@pytest.mark.parametrize(
    "depth,limit,blocks",
    [
        (680, 680, [680]),
        (688, 680, [352, 336]),  # the last block as large as the same number of blocks allows
        (960, 680, [488, 472]),
        (960, 1016, [960]),  # the depths that failed on the Xeon are one block there
        (700, 1016, [700]),
        (2100, 1016, [704, 704, 692]),
        (1360, 680, [680, 680]),
    ],
)
def test_depth_blocks(depth, limit, blocks):
    assert depth_blocks(depth, limit) == blocks
    assert sum(blocks) == depth


@pytest.mark.skipif(platform.machine() != "x86_64", reason="CPUID is an x86-64 instruction")
def test_native_cpuid_reads_this_host():
    """The machine code that runs CPUID answers what the kernel read at boot."""
    vendor_line = next(
        line
        for line in Path("/proc/cpuinfo").read_text().splitlines()
        if line.startswith("vendor_id")
    )
    assert host_cpu.cpuid(0) is not None
    assert host_cpu.vendor(host_cpu.cpuid) == vendor_line.split(":")[1].strip()
    assert host_max_depth_block() == max_depth_block(host_cpu.host_eigen_l1_data_bytes())
