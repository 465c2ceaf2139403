// RUN: not tfl-opt %s -p 'tfl-dce,no-such-pass' --split-input-file 2>&1 | filecheck %s --check-prefix=PASS
// RUN: not tfl-opt %s -p 'tfl-dce' --split-input-file 2>&1 | filecheck %s --check-prefix=VERIFY
// RUN: tfl-opt --list-passes | filecheck %s --check-prefix=LIST

// PASS: error: {{.*}}tfl-opt-errors.mlir: unknown pass or bad pipeline element 'no-such-pass'
// PASS: note: reproduce with: tfl-opt {{.*}}.mlir -p tfl-dce,no-such-pass
// PASS-NOT: Traceback

// VERIFY: error: {{.*}}tfl-opt-errors.mlir:22:8: 'tfl.relu' op expects 1 operands, but got 0
// VERIFY-NOT: Traceback

// LIST: tflc passes:
// LIST: tfl-dce

func.func @ok(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  return %arg0 : tensor<2xf32>
}

// -----

func.func @bad() -> tensor<2xf32> {
  %0 = "tfl.relu"() : () -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
