// Passes given as flags run in the order given, as with -p (and as mlir-opt takes them).
// RUN: tfl-opt %s --tfl-fold-duplicates --tfl-dce --canonicalize | filecheck %s
// RUN: tfl-opt %s -p 'tfl-fold-duplicates,tfl-dce,canonicalize' | filecheck %s
// RUN: tfl-opt %s --tfl-fold-duplicates --tfl-dce --canonicalize='max-iterations=2' | filecheck %s

// --mlir-timing: MLIR's per-pass report on stderr, one line per pass in pipeline order.
// RUN: tfl-opt %s --tfl-fold-duplicates --tfl-dce '--func.func(cse)' --mlir-timing 2>&1 >/dev/null | filecheck %s --check-prefix=TIMING
// RUN: tfl-opt %s --tfl-dce --tfl-fold-duplicates --mlir-timing 2>&1 >/dev/null | filecheck %s --check-prefix=TIMING-SWAPPED

// RUN: not tfl-opt %s --tfl-dce --no-such-pass 2>&1 | filecheck %s --check-prefix=UNKNOWN
// RUN: not tfl-opt %s --tfl-dce -p tfl-dce 2>&1 | filecheck %s --check-prefix=BOTH

// CHECK-LABEL: func.func @duplicates
// CHECK-NEXT: %[[C:.*]] = "tfl.pseudo_const"
// CHECK-NEXT: "tfl.add"(%arg0, %[[C]])
// CHECK-NEXT: return

// TIMING: Execution time report
// TIMING: TflFoldDuplicates
// TIMING-NEXT: TflDce
// TIMING-NEXT: 'func.func' Pipeline
// TIMING-NEXT: CSE
// TIMING: Total

// TIMING-SWAPPED: TflDce
// TIMING-SWAPPED-NEXT: TflFoldDuplicates

// UNKNOWN: error: tfl-opt: unknown option or pass '--no-such-pass'
// UNKNOWN-NOT: Traceback
// BOTH: error: tfl-opt: give the passes either as flags or with -p, not both

func.func @duplicates(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "tfl.pseudo_const"() {value = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %1 = "tfl.pseudo_const"() {value = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %2 = "tfl.add"(%arg0, %0) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %3 = "tfl.add"(%arg0, %1) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %2 : tensor<4xf32>
}
