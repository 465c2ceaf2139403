// A failing upstream pass is named, though upstream passes run together in one PassManager.
// RUN: not tfl-opt %s --tfl-dce --cse --one-shot-bufferize --canonicalize 2>&1 | filecheck %s
// RUN: not tfl-opt %s -p 'cse,one-shot-bufferize' --mlir-print-ir-after=cse 2>&1 | filecheck %s --check-prefix=PRINTED
// RUN: not tfl-opt %s -p 'cse,one-shot-bufferize' --mlir-print-ir-after-all 2>&1 | filecheck %s --check-prefix=ALL

// CHECK: error: {{.*}}tfl-opt-upstream-failure.mlir: pass 'one-shot-bufferize' failed
// CHECK: op was not bufferized
// CHECK: note: reproduce with: tfl-opt {{.*}}.mlir -p tfl-dce,cse,one-shot-bufferize,canonicalize
// CHECK-NOT: Traceback

// PRINTED: IR Dump After CSE (cse)
// PRINTED-NOT: IR Dump
// PRINTED: error: {{.*}}: pass 'one-shot-bufferize' failed

// ALL: IR Dump After CSE (cse)
// ALL: IR Dump After OneShotBufferizePass Failed (one-shot-bufferize)
// ALL: error: {{.*}}: pass 'one-shot-bufferize' failed

func.func @not_bufferizable(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  %0 = "tfl.relu"(%arg0) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
