"""Ops the gpu target does not run, and why: read by benchmarks/op_coverage.py (its documented
exclusions) and listed in README's gpu section. An op here is refused as any op without a
shader lowering is (`--fallback runtime` runs it on the host), never miscomputed.
"""

from __future__ import annotations

_DYNAMIC = "its output shape depends on the values: a shader writes the static shape compiled in"
_STRINGS = "string tensors and hash tables: the arena holds float32 values"
_RESOURCE = "resource variables: state kept between invocations, outside the compiled graph"
_COMPLEX = "complex64 tensors: the arena holds real float32 values"
_RANDOM = "stateful: each invoke advances LiteRT's per-op Philox generator state"

EXCLUDED: dict[str, str] = {
    "where": _DYNAMIC,
    "unique": _DYNAMIC,
    "non_max_suppression_v4": _DYNAMIC,
    "non_max_suppression_v5": _DYNAMIC,
    "embedding_lookup_sparse": _DYNAMIC,
    "hashtable": _STRINGS,
    "hashtable_find": _STRINGS,
    "hashtable_import": _STRINGS,
    "hashtable_lookup": _STRINGS,
    "hashtable_size": _STRINGS,
    "skip_gram": _STRINGS,
    "lsh_projection": "farmhash fingerprints of the input's bytes: the arena holds values",
    "bitcast": "reinterprets bit patterns: the arena holds values (runtime/gpu_arena.py)",
    "var_handle": _RESOURCE,
    "read_variable": _RESOURCE,
    "assign_variable": _RESOURCE,
    "call_once": _RESOURCE,
    "rfft2d": _COMPLEX,
    "real": _COMPLEX,
    "imag": _COMPLEX,
    "complex_abs": _COMPLEX,
    "random_uniform": _RANDOM,
    "random_standard_normal": _RANDOM,
    "multinomial": _RANDOM,
    "densify": "applies to constant sparse weights only, densified at compile time",
}

# int8 models' storage ops count in the int8 column only (quantized.QUANTIZE_OPS)
STORAGE_OPS_REASON = "int8 storage conversion: counted in the gpu int8 column"
