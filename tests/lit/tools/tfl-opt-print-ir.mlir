// IR printing as mlir-opt does it, on stderr, so stdout keeps only the final IR.
// RUN: tfl-opt %s --tfl-fold-duplicates --tfl-dce --mlir-print-ir-before=tfl-dce 2>&1 >/dev/null | filecheck %s --check-prefix=BEFORE
// RUN: tfl-opt %s --tfl-fold-duplicates --tfl-dce --mlir-print-ir-after=tfl-fold-duplicates 2>&1 >/dev/null | filecheck %s --check-prefix=AFTER
// RUN: tfl-opt %s --tfl-fold-duplicates '--func.func(cse)' --mlir-print-ir-after=cse,tfl-fold-duplicates 2>&1 >/dev/null | filecheck %s --check-prefix=NESTED
// RUN: tfl-opt %s -p 'tfl-fold-duplicates,tfl-dce' --mlir-print-ir-after-all 2>&1 >/dev/null | filecheck %s --check-prefix=ALL
// RUN: tfl-opt %s --tfl-dce --mlir-print-ir-before-all 2>&1 >/dev/null | filecheck %s --check-prefix=BEFORE-ALL
// RUN: tfl-opt %s --tfl-optimize --mlir-print-ir-after=tfl-dce 2>&1 >/dev/null | filecheck %s --check-prefix=INSIDE
// RUN: not tfl-opt %s --tfl-dce --mlir-print-ir-after=no-such-pass 2>&1 | filecheck %s --check-prefix=UNKNOWN

// Before tfl-dce: the duplicates are folded, the unused mul is still there.
// BEFORE-NOT: IR Dump Before TflFoldDuplicates
// BEFORE: // -----// IR Dump Before TflDce (tfl-dce) //----- //
// BEFORE: "tfl.pseudo_const"
// BEFORE-NOT: "tfl.pseudo_const"
// BEFORE: "tfl.add"
// BEFORE-NOT: "tfl.add"
// BEFORE: "tfl.mul"
// BEFORE-NOT: IR Dump

// AFTER: // -----// IR Dump After TflFoldDuplicates (tfl-fold-duplicates) //----- //
// AFTER: func.func @duplicates
// AFTER-NOT: IR Dump

// NESTED: IR Dump After TflFoldDuplicates (tfl-fold-duplicates)
// NESTED: IR Dump After CSE (cse)
// NESTED-NEXT: func.func @duplicates

// ALL: IR Dump After TflFoldDuplicates (tfl-fold-duplicates)
// ALL: "tfl.mul"
// ALL: IR Dump After TflDce (tfl-dce)
// ALL-NOT: "tfl.mul"

// BEFORE-ALL: IR Dump Before TflDce (tfl-dce)
// BEFORE-ALL-COUNT-2: "tfl.pseudo_const"

// The passes tfl-optimize runs print as the enclosing pipeline asked (its first round here).
// INSIDE: IR Dump After TflDce (tfl-dce)
// INSIDE-NOT: "tfl.mul"
// INSIDE-NOT: IR Dump After TflOptimize

// UNKNOWN: error: --mlir-print-ir-after: unknown pass 'no-such-pass'

func.func @duplicates(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "tfl.pseudo_const"() {value = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %1 = "tfl.pseudo_const"() {value = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %2 = "tfl.add"(%arg0, %0) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %3 = "tfl.add"(%arg0, %1) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %4 = "tfl.mul"(%2, %3) {fused_activation_function = "NONE"} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %2 : tensor<4xf32>
}
