"""MLIR -> LLVM IR -> native object with llvmlite, and the shared library around it.

The kernels' MLIR (scf, vector, math, memref, arith) lowers with upstream passes only; math
functions become polynomial approximations, so the object needs no runtime library beyond the
C library. The weight blob is a second LLVM module (one `[N x i8]` constant), linked in before
code generation, so the MLIR text never carries megabytes of weights.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from mlir import ir
from mlir.dialects import llvm as llvm_dialect
from mlir.passmanager import PassManager
from tflc.errors import TflcError
from tflc.passes import ir_dump

LOWERING_PIPELINE = (
    "builtin.module(canonicalize,cse,math-expand-ops,convert-math-to-llvm,convert-math-to-libm,"
    "convert-scf-to-cf,convert-vector-to-llvm,"
    "expand-strided-metadata,lower-affine,finalize-memref-to-llvm,convert-arith-to-llvm,"
    "convert-func-to-llvm{use-bare-ptr-memref-call-conv=1},convert-cf-to-llvm,"
    "reconcile-unrealized-casts)"
)


@dataclass(frozen=True)
class TargetMachineSpec:
    triple: str
    cpu: str
    features: str

    @property
    def f32_lanes(self) -> int:
        f = self.features
        if "+avx512f" in f:
            return 16
        if "+avx" in f:
            return 8
        return 4

    @property
    def u8s8_dot(self) -> bool:
        """vpdpbusd at the kernels' vector width: AVX512-VNNI on 512-bit vectors, AVX-VNNI
        (or AVX512-VNNI with AVX512VL) on 256-bit ones."""
        f = set(self.features.split(","))
        if self.f32_lanes == 16:
            return "+avx512vnni" in f
        if self.f32_lanes == 8:
            return "+avxvnni" in f or {"+avx512vnni", "+avx512vl"} <= f
        return False

    @property
    def byte_permute(self) -> bool:
        """AVX512-VBMI: any byte shuffle of a 512-bit vector is one vpermb / vpermt2b."""
        return self.f32_lanes == 16 and "+avx512vbmi" in self.features.split(",")


@functools.cache
def _llvm():
    import llvmlite.binding as llvm

    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()
    return llvm


def target_spec(triple: str | None = None, cpu: str | None = None) -> TargetMachineSpec:
    """The host (features detected) unless `triple` / `cpu` override it."""
    llvm = _llvm()
    host = llvm.get_process_triple()
    if triple is None or triple == host:
        triple = host
        cpu = cpu or llvm.get_host_cpu_name()
        features = llvm.get_host_cpu_features().flatten() if cpu == llvm.get_host_cpu_name() else ""
    else:
        cpu = cpu or "generic"
        features = ""
    if not features:
        features = _features_of(triple, cpu)
    return TargetMachineSpec(triple, cpu, features)


_AVX2 = "+avx2,+avx,+fma"
_AVX512 = "+avx512f,+avx512bw,+avx512vl," + _AVX2
# The vector features of named x86 CPUs (for cross targets), as LLVM enables them.
_X86_FEATURES = {
    **dict.fromkeys(
        ["haswell", "broadwell", "skylake", "znver1", "znver2", "znver3", "x86-64-v3"], _AVX2
    ),
    **dict.fromkeys(["skylake-avx512", "x86-64-v4"], _AVX512),
    "cannonlake": "+avx512vbmi," + _AVX512,
    **dict.fromkeys(["cascadelake", "cooperlake"], "+avx512vnni," + _AVX512),
    **dict.fromkeys(
        ["icelake-client", "icelake-server", "tigerlake", "rocketlake", "znver4", "znver5"],
        "+avx512vnni,+avx512vbmi," + _AVX512,
    ),
    **dict.fromkeys(
        ["sapphirerapids", "emeraldrapids", "graniterapids", "graniterapids-d"],
        "+avx512vnni,+avxvnni,+avx512vbmi," + _AVX512,
    ),
    **dict.fromkeys(
        [
            "alderlake", "raptorlake", "meteorlake", "arrowlake", "arrowlake-s", "lunarlake",
            "pantherlake", "gracemont", "sierraforest", "grandridge", "clearwaterforest",
        ],
        "+avxvnni," + _AVX2,
    ),
}  # fmt: skip


def _features_of(triple: str, cpu: str) -> str:
    """Vector features implied by a named CPU (for cross targets), as LLVM would enable them."""
    if triple.startswith(("x86_64", "i686")):
        return _X86_FEATURES.get(cpu, "")
    if triple.startswith(("aarch64", "arm64")):
        return "+neon"
    return ""


def lower_to_llvm_ir(mlir_text: str) -> str:
    with ir.Context(), ir.Location.unknown():
        try:
            module = ir.Module.parse(mlir_text)
            ir_dump.write_stage("cpu-kernels", module)
            PassManager.parse(LOWERING_PIPELINE).run(module.operation)
            ir_dump.write_stage("cpu-llvm", module)
        except ir.MLIRError as e:
            raise TflcError(
                f"internal error lowering the cpu kernels: {e}", "cpu codegen"
            ) from None
        return str(llvm_dialect.translate_module_to_llvmir(module.operation))


_HEX = np.array([f"\\{b:02X}".encode() for b in range(256)])


def weights_ir(symbol: str, blob: bytes, size: int) -> str:
    data = blob + b"\0" * (size - len(blob))
    escaped = np.frombuffer(_HEX, dtype="S3")[np.frombuffer(data, np.uint8)].tobytes().decode()
    return f'@{symbol} = constant [{size} x i8] c"{escaped}", align 64\n'


def compile_object(
    llvm_ir: str, weights: str, spec: TargetMachineSpec, opt_level: int = 3
) -> bytes:
    llvm = _llvm()
    target = llvm.Target.from_triple(spec.triple)
    tm = target.create_target_machine(
        cpu=spec.cpu, features=spec.features, opt=opt_level, reloc="pic", codemodel="default"
    )
    mod = llvm.parse_assembly(llvm_ir)
    mod.triple = spec.triple
    mod.data_layout = str(tm.target_data)
    wmod = llvm.parse_assembly(weights)
    wmod.triple = spec.triple
    wmod.data_layout = str(tm.target_data)
    pto = llvm.create_pipeline_tuning_options(speed_level=opt_level)
    pto.loop_vectorization = True
    pto.slp_vectorization = True
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(mod, pb)
    mod.link_in(wmod)
    mod.verify()
    return tm.emit_object(mod)


def link_shared(obj: Path, out: Path) -> None:
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        raise TflcError("no C compiler driver (cc) found to link the shared library", "cpu codegen")
    proc = subprocess.run(
        [cc, "-shared", "-o", str(out), str(obj), "-lm"], capture_output=True, text=True
    )
    if proc.returncode:
        raise TflcError(f"linking {out.name} failed: {proc.stderr.strip()}", "cpu codegen")
