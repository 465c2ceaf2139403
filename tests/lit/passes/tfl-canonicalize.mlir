// RUN: tfl-opt %s -p 'tfl-canonicalize' | filecheck %s

// CHECK-LABEL: func.func @identities
func.func @identities(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %s = "tfl.pseudo_const"() {value = dense<[2, 3]> : tensor<2xi32>} : () -> tensor<2xi32>
  %p = "tfl.pseudo_const"() {value = dense<[0, 1]> : tensor<2xi32>} : () -> tensor<2xi32>
  %z = "tfl.pseudo_const"() {value = dense<0> : tensor<2x2xi32>} : () -> tensor<2x2xi32>
  %one = "tfl.pseudo_const"() {value = dense<1.0> : tensor<3xf32>} : () -> tensor<3xf32>
  %zero = "tfl.pseudo_const"() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  // CHECK-NOT: tfl.reshape
  // CHECK-NOT: tfl.transpose
  // CHECK-NOT: tfl.pad
  // CHECK-NOT: tfl.mul
  // CHECK-NOT: tfl.add
  // CHECK-NOT: tfl.cast
  // CHECK: return %arg0
  %0 = "tfl.reshape"(%arg0, %s) {new_shape = array<i32>} : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<2x3xf32>
  %1 = "tfl.transpose"(%0, %p) : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<2x3xf32>
  %2 = "tfl.pad"(%1, %z) : (tensor<2x3xf32>, tensor<2x2xi32>) -> tensor<2x3xf32>
  %3 = "tfl.mul"(%one, %2) {fused_activation_function = "NONE"} : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %4 = "tfl.add"(%3, %zero) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %5 = "tfl.cast"(%4) {in_data_type = "FLOAT32", out_data_type = "FLOAT32"} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %5 : tensor<2x3xf32>
}

// x + 0 with a fused RELU is not the identity.
// CHECK-LABEL: func.func @negative_activation
func.func @negative_activation(%arg0: tensor<3xf32>) -> tensor<3xf32> {
  %zero = "tfl.pseudo_const"() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  // CHECK: "tfl.add"
  %0 = "tfl.add"(%arg0, %zero) {fused_activation_function = "RELU", pot_scale_int16 = true} : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// 0 - x is not x; x * 1 that broadcasts x to a larger shape is not the identity.
// CHECK-LABEL: func.func @negative_sub_broadcast
func.func @negative_sub_broadcast(%arg0: tensor<3xf32>) -> (tensor<3xf32>, tensor<2x3xf32>) {
  %zero = "tfl.pseudo_const"() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %one = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  // CHECK: "tfl.sub"
  // CHECK: "tfl.mul"
  %0 = "tfl.sub"(%zero, %arg0) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<f32>, tensor<3xf32>) -> tensor<3xf32>
  %1 = "tfl.mul"(%arg0, %one) {fused_activation_function = "NONE"} : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0, %1 : tensor<3xf32>, tensor<2x3xf32>
}

// A real transpose and a real reshape stay.
// CHECK-LABEL: func.func @negative_real_shape_ops
func.func @negative_real_shape_ops(%arg0: tensor<2x2xf32>) -> tensor<4xf32> {
  %p = "tfl.pseudo_const"() {value = dense<[1, 0]> : tensor<2xi32>} : () -> tensor<2xi32>
  %s = "tfl.pseudo_const"() {value = dense<[4]> : tensor<1xi32>} : () -> tensor<1xi32>
  // CHECK: "tfl.transpose"
  // CHECK: "tfl.reshape"
  %0 = "tfl.transpose"(%arg0, %p) : (tensor<2x2xf32>, tensor<2xi32>) -> tensor<2x2xf32>
  %1 = "tfl.reshape"(%0, %s) {new_shape = array<i32>} : (tensor<2x2xf32>, tensor<1xi32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// A reshape that only prepends 1-dims before a broadcasting add is dropped.
// CHECK-LABEL: func.func @rank_padding_reshape
func.func @rank_padding_reshape(%arg0: tensor<1x16x32xf32>, %arg1: tensor<16x32xf32>) -> tensor<1x16x32xf32> {
  %s = "tfl.pseudo_const"() {value = dense<[1, 16, 32]> : tensor<3xi32>} : () -> tensor<3xi32>
  // CHECK-NOT: tfl.reshape
  // CHECK: "tfl.add"(%arg0, %arg1) {{.*}} : (tensor<1x16x32xf32>, tensor<16x32xf32>) -> tensor<1x16x32xf32>
  %0 = "tfl.reshape"(%arg1, %s) {new_shape = array<i32>} : (tensor<16x32xf32>, tensor<3xi32>) -> tensor<1x16x32xf32>
  %1 = "tfl.add"(%arg0, %0) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<1x16x32xf32>, tensor<1x16x32xf32>) -> tensor<1x16x32xf32>
  return %1 : tensor<1x16x32xf32>
}
