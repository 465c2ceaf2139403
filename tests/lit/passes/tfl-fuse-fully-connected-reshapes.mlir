// RUN: tfl-opt %s -p 'tfl-fuse-fully-connected-reshapes' | filecheck %s

// Dense on [1, 16, 32] as a flatten, a 2-d fully connected layer and an unflatten.
// CHECK-LABEL: func.func @dense_3d
func.func @dense_3d(%arg0: tensor<1x16x32xf32>) -> tensor<1x16x8xf32> {
  %flat = "tfl.pseudo_const"() {value = dense<[16, 32]> : tensor<2xi32>} : () -> tensor<2xi32>
  %unflat = "tfl.pseudo_const"() {value = dense<[1, 16, 8]> : tensor<3xi32>} : () -> tensor<3xi32>
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<8x32xf32>} : () -> tensor<8x32xf32>
  %none = "tfl.no_value"() {value} : () -> none
  // CHECK: %[[F:.*]] = "tfl.fully_connected"(%arg0, %{{[0-9]+}}, %{{[0-9]+}})
  // CHECK-SAME: keep_num_dims = true
  // CHECK-SAME: (tensor<1x16x32xf32>, tensor<8x32xf32>, none) -> tensor<1x16x8xf32>
  // CHECK-NEXT: return %[[F]]
  %0 = "tfl.reshape"(%arg0, %flat) {new_shape = array<i32>} : (tensor<1x16x32xf32>, tensor<2xi32>) -> tensor<16x32xf32>
  %1 = "tfl.fully_connected"(%0, %w, %none) {asymmetric_quantize_inputs = false, fused_activation_function = "NONE", keep_num_dims = false, quantized_bias_type = "FLOAT32", weights_format = "DEFAULT"} : (tensor<16x32xf32>, tensor<8x32xf32>, none) -> tensor<16x8xf32>
  %2 = "tfl.reshape"(%1, %unflat) {new_shape = array<i32>} : (tensor<16x8xf32>, tensor<3xi32>) -> tensor<1x16x8xf32>
  return %2 : tensor<1x16x8xf32>
}

// The second reshape regroups rows differently: not a keep_num_dims layer.
// CHECK-LABEL: func.func @negative_regrouped
func.func @negative_regrouped(%arg0: tensor<1x16x32xf32>) -> tensor<2x8x8xf32> {
  %flat = "tfl.pseudo_const"() {value = dense<[16, 32]> : tensor<2xi32>} : () -> tensor<2xi32>
  %unflat = "tfl.pseudo_const"() {value = dense<[2, 8, 8]> : tensor<3xi32>} : () -> tensor<3xi32>
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<8x32xf32>} : () -> tensor<8x32xf32>
  %none = "tfl.no_value"() {value} : () -> none
  // CHECK: "tfl.reshape"
  // CHECK: "tfl.fully_connected"
  // CHECK-SAME: keep_num_dims = false
  // CHECK: "tfl.reshape"
  %0 = "tfl.reshape"(%arg0, %flat) {new_shape = array<i32>} : (tensor<1x16x32xf32>, tensor<2xi32>) -> tensor<16x32xf32>
  %1 = "tfl.fully_connected"(%0, %w, %none) {asymmetric_quantize_inputs = false, fused_activation_function = "NONE", keep_num_dims = false, quantized_bias_type = "FLOAT32", weights_format = "DEFAULT"} : (tensor<16x32xf32>, tensor<8x32xf32>, none) -> tensor<16x8xf32>
  %2 = "tfl.reshape"(%1, %unflat) {new_shape = array<i32>} : (tensor<16x8xf32>, tensor<3xi32>) -> tensor<2x8x8xf32>
  return %2 : tensor<2x8x8xf32>
}
