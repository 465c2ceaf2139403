// RUN: not tfl-opt %s --split-input-file --verify-diagnostics 2>&1 | filecheck %s
// Each mismatch between expected and produced errors fails the run and is named with its
// line (written out: this FileCheck has no @LINE).

// CHECK: error: {{.*}}.mlir:8: expected error not produced: 'tfl.relu' op expects 1 operands, but got 2
func.func @expected_but_valid(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{'tfl.relu' op expects 1 operands, but got 2}}
  %0 = "tfl.relu"(%arg0) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// CHECK: error: {{.*}}.mlir:16: unexpected error: 'tfl.softmax' op requires attribute 'beta'
func.func @produced_but_not_expected(%arg0: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %0 = "tfl.softmax"(%arg0) : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// -----

// CHECK: error: {{.*}}.mlir:26: expected error not produced: 'tfl.add' op expects 3 operands
// CHECK: error: {{.*}}.mlir:26: unexpected error: 'tfl.add' op expects 2 operands, but got 1
func.func @other_message(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{'tfl.add' op expects 3 operands}}
  %0 = "tfl.add"(%arg0) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// CHECK: error: {{.*}}.mlir:37: expected error not produced: unknown operation 'tfl.not_an_op'
// CHECK: error: {{.*}}.mlir:36: unexpected error: unknown operation 'tfl.not_an_op'
func.func @other_line(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error@+2 {{unknown operation 'tfl.not_an_op'}}
  %0 = "tfl.not_an_op"(%arg0) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
