// RUN: tfl-opt %s -p 'tfl-dce' --split-input-file | filecheck %s

// An unused chain is removed producer after consumer.
// CHECK-LABEL: func.func @unused_chain
// CHECK-NOT: tfl.
// CHECK: return %arg0
func.func @unused_chain(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  %0 = "tfl.relu"(%arg0) : (tensor<2xf32>) -> tensor<2xf32>
  %1 = "tfl.tanh"(%0) : (tensor<2xf32>) -> tensor<2xf32>
  return %arg0 : tensor<2xf32>
}

// -----

// Used ops and their constants stay.
// CHECK-LABEL: func.func @used
// CHECK: tfl.pseudo_const
// CHECK: tfl.add
// CHECK: return
func.func @used(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  %c = "tfl.pseudo_const"() {value = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %0 = "tfl.add"(%arg0, %c) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Ops with side effects stay even when their results are unused.
// CHECK-LABEL: func.func @side_effects
// CHECK: tfl.custom
func.func @side_effects(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  %0 = "tfl.custom"(%arg0) {custom_code = "MyOp", custom_option = dense<[]> : tensor<0xui8>} : (tensor<2xf32>) -> tensor<2xf32>
  return %arg0 : tensor<2xf32>
}
