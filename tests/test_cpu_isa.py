"""The cpu target picks instructions for the CPU it compiles for: objects cross-compiled for
x86 CPUs this host may not be, disassembled. int8 GEMMs and convs take four u8 x s8 products
per lane with `vpdpbusd` where the CPU has it (AVX512-VNNI on Zen 4 and Sapphire Rapids with
512-bit vectors, AVX-VNNI on Alder Lake with 256-bit ones), and pairs of int16 products with
`vpmaddwd` + add on AVX2 without VNNI; float kernels use 512-bit FMAs on AVX-512 CPUs and
256-bit ones on AVX2. (That the paths this host runs are bit-exact with LiteRT is
tests/test_cpu_int8.py's job.)
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from corpus import tf_model_path
from tflc.compiler import compile as tflc_compile

pytestmark = pytest.mark.skipif(shutil.which("objdump") is None, reason="needs binutils' objdump")

X86 = "x86_64-unknown-linux-gnu"


@cache
def _instructions(model: str, mode: str, cpu: str, tmp: Path) -> tuple[Counter, str]:
    out = tmp / f"{model}-{mode}-{cpu}"
    tflc_compile(str(tf_model_path(model, mode)), target="cpu", triple=X86, cpu=cpu).save(out)
    (obj,) = out.glob("*.o")
    text = subprocess.run(["objdump", "-d", str(obj)], capture_output=True, text=True).stdout
    mnemonics = Counter(
        m.group(1) for m in re.finditer(r"^\s+[0-9a-f]+:\s+(?:[0-9a-f]{2} )+\s*(\w+)", text, re.M)
    )
    return mnemonics, text


@pytest.fixture(scope="module")
def tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("isa")


@pytest.mark.parametrize("cpu", ["znver4", "sapphirerapids"])
def test_int8_gemm_uses_vnni_on_cpus_that_have_it(cpu, tmp):
    mnemonics, text = _instructions("cnn", "int8", cpu, tmp)
    dots = re.findall(r"\tvpdpbusd\s+(\S+)", text)
    assert dots and all("zmm" in d for d in dots), mnemonics.most_common(20)
    # a 3x3 depthwise's lone ninth tap is an int16 pair product, fused by VNNI too
    assert mnemonics["vpdpwssd"] > 0, mnemonics.most_common(20)


def test_int8_gemm_uses_avx_vnni_on_256_bit_cpus(tmp):
    mnemonics, text = _instructions("cnn", "int8", "alderlake", tmp)
    dots = re.findall(r"\t\{vex\} vpdpbusd\s+(\S+)", text)  # AVX-VNNI's VEX encoding
    assert dots and all("ymm" in d for d in dots), mnemonics.most_common(20)
    assert "zmm" not in text


def test_int8_gemm_uses_pair_products_on_avx2(tmp):
    mnemonics, text = _instructions("cnn", "int8", "haswell", tmp)
    assert mnemonics["vpmaddwd"] > 0, mnemonics.most_common(20)
    assert mnemonics["vpdpwssd"] == 0 and "vpdpbusd" not in text, mnemonics.most_common(20)
    assert "zmm" not in text


@pytest.mark.parametrize("cpu,register", [("skylake-avx512", "zmm"), ("haswell", "ymm")])
def test_float_kernels_use_the_widest_fma(cpu, register, tmp):
    _, text = _instructions("cnn", "float32", cpu, tmp)
    fmas = re.findall(r"\tvfmadd\w+ps\s+(\S+)", text)
    assert fmas and sum(register in f for f in fmas) > len(fmas) // 2, fmas[:10]
