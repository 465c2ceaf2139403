// RUN: tfl-opt %s -p 'tfl-fuse-activation' | filecheck %s

// CHECK-LABEL: func.func @conv_relu6
func.func @conv_relu6(%arg0: tensor<1x8x8x3xf32>) -> tensor<1x8x8x4xf32> {
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<4x3x3x3xf32>} : () -> tensor<4x3x3x3xf32>
  %b = "tfl.pseudo_const"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  // CHECK: "tfl.conv_2d"
  // CHECK-SAME: fused_activation_function = "RELU6"
  // CHECK-NOT: tfl.relu6
  %0 = "tfl.conv_2d"(%arg0, %w, %b) {dilation_h_factor = 1 : i32, dilation_w_factor = 1 : i32, fused_activation_function = "NONE", padding = "SAME", quantized_bias_type = "FLOAT32", stride_h = 1 : i32, stride_w = 1 : i32} : (tensor<1x8x8x3xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x8x8x4xf32>
  %1 = "tfl.relu6"(%0) : (tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  return %1 : tensor<1x8x8x4xf32>
}

// CHECK-LABEL: func.func @add_relu_n1_to_1
func.func @add_relu_n1_to_1(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: "tfl.add"
  // CHECK-SAME: fused_activation_function = "RELU_N1_TO_1"
  // CHECK-NEXT: return
  %0 = "tfl.add"(%arg0, %arg1) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = "tfl.relu_n1_to_1"(%0) : (tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// CHECK-LABEL: func.func @max_pool_relu
func.func @max_pool_relu(%arg0: tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32> {
  // CHECK: "tfl.max_pool_2d"
  // CHECK-SAME: fused_activation_function = "RELU"
  // CHECK-NOT: tfl.relu
  %0 = "tfl.max_pool_2d"(%arg0) {filter_height = 2 : i32, filter_width = 2 : i32, fused_activation_function = "NONE", padding = "VALID", stride_h = 2 : i32, stride_w = 2 : i32} : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  %1 = "tfl.relu"(%0) : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  return %1 : tensor<1x2x2x2xf32>
}

// The add result has a second user: fusing would change what that user sees.
// CHECK-LABEL: func.func @negative_two_uses
func.func @negative_two_uses(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  // CHECK: "tfl.add"
  // CHECK-SAME: fused_activation_function = "NONE"
  // CHECK: "tfl.relu"
  %0 = "tfl.add"(%arg0, %arg1) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = "tfl.relu"(%0) : (tensor<4xf32>) -> tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// An activation is already fused.
// CHECK-LABEL: func.func @negative_already_fused
func.func @negative_already_fused(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: "tfl.mul"
  // CHECK-SAME: fused_activation_function = "RELU6"
  // CHECK: "tfl.relu"
  %0 = "tfl.mul"(%arg0, %arg1) {fused_activation_function = "RELU6"} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = "tfl.relu"(%0) : (tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// tanh is not fused: LiteRT ignores or rejects a fused TANH.
// CHECK-LABEL: func.func @negative_tanh
func.func @negative_tanh(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: "tfl.add"
  // CHECK-SAME: fused_activation_function = "NONE"
  // CHECK: "tfl.tanh"
  %0 = "tfl.add"(%arg0, %arg1) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = "tfl.tanh"(%0) : (tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// Producers without a fused activation option are left alone.
// CHECK-LABEL: func.func @negative_no_option
func.func @negative_no_option(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: "tfl.neg"
  // CHECK: "tfl.relu"
  %0 = "tfl.neg"(%arg0) : (tensor<4xf32>) -> tensor<4xf32>
  %1 = "tfl.relu"(%0) : (tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}
