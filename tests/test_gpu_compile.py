"""GPU backend, compile side only (no Vulkan device needed): the MLIR kernels, the WGSL printer,
the error for ops with no shader lowering, determinism, the buffer plan, the manifest."""

from __future__ import annotations

import corpus
import pytest
from test_gpu_support import HOST_OP, host_op_model


def _compile(path, **options):
    from tflc.compiler import compile

    return compile(str(path), target="gpu", **options)


def test_kernels_are_gpu_dialect_printed_as_wgsl():
    from mlir import ir, passmanager
    from tflc.backends.gpu.kernel_ir import KernelBuilder, gpu_module_text
    from tflc.backends.gpu.wgsl_printer import print_wgsl

    b = KernelBuilder("k", 64)
    i = b.linear_id()
    with b.guard(b.cmp("slt", i, 100)):
        x = b.load("arena", i)
        (s,) = b.loop(0, 64, [b.f32(0.0)], lambda k, acc: [b.fadd(acc, b.fmul(x, b.to_f32(k)))])
        (r,) = b.branch(b.fcmp("ogt", s, b.f32(1.0)), lambda: [b.math("exp", b.f32(0.0))],
                        lambda: [s])  # fmt: skip
        b.store(r, b.add(i, 100))
    with ir.Context():
        module = ir.Module.parse(gpu_module_text([b.finish()]))
        passmanager.PassManager.parse("builtin.module(canonicalize,cse)").run(module.operation)
        func = module.body.operations[0].regions[0].blocks[0].operations[0]
        assert func.operation.name == "gpu.func"
        wgsl = print_wgsl(func)
    assert "@compute @workgroup_size(64)" in wgsl
    assert "exp(" not in wgsl  # folded by MLIR: exp(0) == 1
    assert "for (var" in wgsl and "select(" in wgsl


def test_unsupported_ops_are_listed():
    from tflc.compiler import compile
    from tflc.errors import TflcError

    with pytest.raises(TflcError) as e:
        compile(host_op_model(), target="gpu")
    assert HOST_OP in str(e.value) and "--fallback runtime" in str(e.value)


def test_cli_reports_unsupported_ops_as_an_error(tmp_path, capsys):
    from tflc.tools.tflc_cli import main

    path = tmp_path / "host_op.tflite"
    path.write_bytes(host_op_model())
    assert main(["compile", str(path), "--target", "gpu", "-o", str(tmp_path / "out")]) == 1
    assert HOST_OP in capsys.readouterr().err


def test_unknown_option_is_an_error():
    from tflc.errors import TflcError

    with pytest.raises(TflcError, match="unknown gpu option"):
        _compile(corpus.tf_model_path("mlp", "float32"), fallbak="cpu")


def test_compilation_is_deterministic():
    path = corpus.tf_model_path("cnn", "float32")
    a, b = _compile(path).artifacts, _compile(path).artifacts
    assert a.manifest == b.manifest and a.shaders == b.shaders and a.weights == b.weights


def test_save_writes_manifest_shaders_weights_and_kernels(tmp_path):
    import json

    cm = _compile(corpus.tf_model_path("cnn", "float32"))
    cm.save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    dispatches = [s for s in manifest["steps"] if s["kind"] == "dispatch"]
    assert len(dispatches) == cm.report["dispatch_count"] < cm.report["fused_ops"]
    for step in dispatches:
        assert (tmp_path / step["shader"]).exists()
        assert step["grid"][0] * step["workgroup_size"][0] > 0
    assert (tmp_path / "weights.bin").stat().st_size == manifest["weights"]["bytes"]
    assert "gpu.func" in (tmp_path / "kernels.mlir").read_text()


def test_buffer_plan_reuses_storage_without_overlap():
    cm = _compile(corpus.tf_model_path("cnn", "float32"))
    plan = cm.artifacts.manifest["buffer_plan"]
    assert plan["arena_bytes"] < plan["unplanned_bytes"]
    tensors = plan["tensors"]
    for i, a in enumerate(tensors):
        for b in tensors[i + 1 :]:
            lives_overlap = not (a["live"][1] < b["live"][0] or b["live"][1] < a["live"][0])
            bytes_overlap = a["offset"] < b["offset"] + b["floats"] and b["offset"] < (
                a["offset"] + a["floats"]
            )
            assert not (lives_overlap and bytes_overlap), (a, b)
