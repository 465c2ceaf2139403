// RUN: tfl-opt %s -p 'tfl-fuse-bias-add' | filecheck %s

// CHECK-LABEL: func.func @conv_add
func.func @conv_add(%arg0: tensor<1x8x8x3xf32>) -> tensor<1x8x8x2xf32> {
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2x3x3x3xf32>} : () -> tensor<2x3x3x3xf32>
  %b = "tfl.pseudo_const"() {value = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %c = "tfl.pseudo_const"() {value = dense<[[[[0.5, -2.0]]]]> : tensor<1x1x1x2xf32>} : () -> tensor<1x1x1x2xf32>
  // CHECK: %[[BIAS:.*]] = "tfl.pseudo_const"() {value = dense<[1.500000e+00, 0.000000e+00]> : tensor<2xf32>}
  // CHECK: "tfl.conv_2d"(%arg0, %{{.*}}, %[[BIAS]])
  // CHECK-SAME: fused_activation_function = "RELU"
  // CHECK-NOT: tfl.add
  %0 = "tfl.conv_2d"(%arg0, %w, %b) {dilation_h_factor = 1 : i32, dilation_w_factor = 1 : i32, fused_activation_function = "NONE", padding = "SAME", quantized_bias_type = "FLOAT32", stride_h = 1 : i32, stride_w = 1 : i32} : (tensor<1x8x8x3xf32>, tensor<2x3x3x3xf32>, tensor<2xf32>) -> tensor<1x8x8x2xf32>
  %1 = "tfl.add"(%c, %0) {fused_activation_function = "RELU", pot_scale_int16 = true} : (tensor<1x1x1x2xf32>, tensor<1x8x8x2xf32>) -> tensor<1x8x8x2xf32>
  return %1 : tensor<1x8x8x2xf32>
}

// A fully connected layer without bias gets one.
// CHECK-LABEL: func.func @fc_sub_no_bias
func.func @fc_sub_no_bias(%arg0: tensor<1x3xf32>) -> tensor<1x2xf32> {
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  %none = "tfl.no_value"() {value} : () -> none
  %c = "tfl.pseudo_const"() {value = dense<3.0> : tensor<f32>} : () -> tensor<f32>
  // CHECK: %[[BIAS:.*]] = "tfl.pseudo_const"() {value = dense<-3.000000e+00> : tensor<2xf32>}
  // CHECK: "tfl.fully_connected"(%arg0, %{{.*}}, %[[BIAS]])
  // CHECK-NOT: tfl.sub
  %0 = "tfl.fully_connected"(%arg0, %w, %none) {asymmetric_quantize_inputs = false, fused_activation_function = "NONE", keep_num_dims = false, quantized_bias_type = "FLOAT32", weights_format = "DEFAULT"} : (tensor<1x3xf32>, tensor<2x3xf32>, none) -> tensor<1x2xf32>
  %1 = "tfl.sub"(%0, %c) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<1x2xf32>, tensor<f32>) -> tensor<1x2xf32>
  return %1 : tensor<1x2xf32>
}

// c - conv is not a bias add.
// CHECK-LABEL: func.func @negative_const_minus_conv
func.func @negative_const_minus_conv(%arg0: tensor<1x3xf32>) -> tensor<1x2xf32> {
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  %b = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %c = "tfl.pseudo_const"() {value = dense<3.0> : tensor<f32>} : () -> tensor<f32>
  // CHECK: "tfl.fully_connected"
  // CHECK: "tfl.sub"
  %0 = "tfl.fully_connected"(%arg0, %w, %b) {asymmetric_quantize_inputs = false, fused_activation_function = "NONE", keep_num_dims = false, quantized_bias_type = "FLOAT32", weights_format = "DEFAULT"} : (tensor<1x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %1 = "tfl.sub"(%c, %0) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<f32>, tensor<1x2xf32>) -> tensor<1x2xf32>
  return %1 : tensor<1x2xf32>
}

// The constant varies along a spatial axis, not only the channels.
// CHECK-LABEL: func.func @negative_not_per_channel
func.func @negative_not_per_channel(%arg0: tensor<1x2x2x3xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2x1x1x3xf32>} : () -> tensor<2x1x1x3xf32>
  %b = "tfl.pseudo_const"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %c = "tfl.pseudo_const"() {value = dense<[[[1.0, 2.0]], [[3.0, 4.0]]]> : tensor<2x1x2xf32>} : () -> tensor<2x1x2xf32>
  // CHECK: "tfl.conv_2d"
  // CHECK: "tfl.add"
  %0 = "tfl.conv_2d"(%arg0, %w, %b) {dilation_h_factor = 1 : i32, dilation_w_factor = 1 : i32, fused_activation_function = "NONE", padding = "VALID", quantized_bias_type = "FLOAT32", stride_h = 1 : i32, stride_w = 1 : i32} : (tensor<1x2x2x3xf32>, tensor<2x1x1x3xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %1 = "tfl.add"(%0, %c) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<1x2x2x2xf32>, tensor<2x1x2xf32>) -> tensor<1x2x2x2xf32>
  return %1 : tensor<1x2x2x2xf32>
}

// The conv already applies an activation: the add cannot move before it.
// CHECK-LABEL: func.func @negative_activation
func.func @negative_activation(%arg0: tensor<1x3xf32>) -> tensor<1x2xf32> {
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  %b = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %c = "tfl.pseudo_const"() {value = dense<3.0> : tensor<2xf32>} : () -> tensor<2xf32>
  // CHECK: "tfl.fully_connected"
  // CHECK: "tfl.add"
  %0 = "tfl.fully_connected"(%arg0, %w, %b) {asymmetric_quantize_inputs = false, fused_activation_function = "RELU", keep_num_dims = false, quantized_bias_type = "FLOAT32", weights_format = "DEFAULT"} : (tensor<1x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %1 = "tfl.add"(%0, %c) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %1 : tensor<1x2xf32>
}

// Through a reshape that keeps the channel axis (a 2-d fully connected layer on 3-d data).
// CHECK-LABEL: func.func @fc_reshape_add
func.func @fc_reshape_add(%arg0: tensor<16x4xf32>) -> tensor<1x16x2xf32> {
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2x4xf32>} : () -> tensor<2x4xf32>
  %none = "tfl.no_value"() {value} : () -> none
  %s = "tfl.pseudo_const"() {value = dense<[1, 16, 2]> : tensor<3xi32>} : () -> tensor<3xi32>
  %c = "tfl.pseudo_const"() {value = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  // CHECK: %[[F:.*]] = "tfl.fully_connected"(%arg0, %{{[0-9]+}}, %{{[0-9]+}}) {{.*}} (tensor<16x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<16x2xf32>
  // CHECK: %[[R:.*]] = "tfl.reshape"(%[[F]]
  // CHECK-NEXT: return %[[R]]
  %0 = "tfl.fully_connected"(%arg0, %w, %none) {asymmetric_quantize_inputs = false, fused_activation_function = "NONE", keep_num_dims = false, quantized_bias_type = "FLOAT32", weights_format = "DEFAULT"} : (tensor<16x4xf32>, tensor<2x4xf32>, none) -> tensor<16x2xf32>
  %1 = "tfl.reshape"(%0, %s) {new_shape = array<i32>} : (tensor<16x2xf32>, tensor<3xi32>) -> tensor<1x16x2xf32>
  %2 = "tfl.add"(%1, %c) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<1x16x2xf32>, tensor<2xf32>) -> tensor<1x16x2xf32>
  return %2 : tensor<1x16x2xf32>
}
