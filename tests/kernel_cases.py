"""All kernel case tables, one list: what test_kernels_vs_litert runs and test_kernel_coverage
counts."""

from __future__ import annotations

from kernel_cases_int8 import CASES as INT8_CASES
from kernel_cases_stablehlo import CASES as STABLEHLO_CASES
from kernel_cases_tflite import CASES as TFLITE_CASES

ALL_CASES = [*TFLITE_CASES, *INT8_CASES, *STABLEHLO_CASES]
