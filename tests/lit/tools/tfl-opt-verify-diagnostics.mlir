// RUN: tfl-opt %s --split-input-file --verify-diagnostics

func.func @wrong_operand_count(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{'tfl.add' op expects 2 operands, but got 1}}
  %0 = "tfl.add"(%arg0) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @missing_attribute(%arg0: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // expected-error@+1 {{'tfl.softmax' op requires attribute 'beta'}}
  %0 = "tfl.softmax"(%arg0) : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// -----

func.func @unknown_op(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{unknown operation 'tfl.not_an_op'}}
  %0 = "tfl.not_an_op"(%arg0) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @too_many_results(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{'tfl.relu' op expects 1 results, but got 2}}
  %0:2 = "tfl.relu"(%arg0) : (tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>)
  return %0#0 : tensor<2xf32>
}

// -----

// Valid IR gives no diagnostics.
func.func @valid(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  %0 = "tfl.relu"(%arg0) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
