// RUN: tfl-opt %s -p 'tfl-fuse-mul-into-weights' | filecheck %s

// CHECK-LABEL: func.func @depthwise_mul
func.func @depthwise_mul(%arg0: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<1x1x1x2xf32>} : () -> tensor<1x1x1x2xf32>
  %b = "tfl.pseudo_const"() {value = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %c = "tfl.pseudo_const"() {value = dense<[2.0, 3.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  // CHECK-DAG: %[[W:.*]] = "tfl.pseudo_const"() {value = dense<{{\[\[\[\[}}2.000000e+00, 3.000000e+00]]]]> : tensor<1x1x1x2xf32>}
  // CHECK-DAG: %[[B:.*]] = "tfl.pseudo_const"() {value = dense<[2.000000e+00, 6.000000e+00]> : tensor<2xf32>}
  // CHECK: "tfl.depthwise_conv_2d"(%arg0, %[[W]], %[[B]])
  // CHECK-SAME: fused_activation_function = "RELU6"
  // CHECK-NOT: tfl.mul
  %0 = "tfl.depthwise_conv_2d"(%arg0, %w, %b) {depth_multiplier = 1 : i32, dilation_h_factor = 1 : i32, dilation_w_factor = 1 : i32, fused_activation_function = "NONE", padding = "SAME", stride_h = 1 : i32, stride_w = 1 : i32} : (tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  %1 = "tfl.mul"(%0, %c) {fused_activation_function = "RELU6"} : (tensor<1x4x4x2xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  return %1 : tensor<1x4x4x2xf32>
}

// CHECK-LABEL: func.func @fc_div
func.func @fc_div(%arg0: tensor<1x3xf32>) -> tensor<1x2xf32> {
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  %b = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %c = "tfl.pseudo_const"() {value = dense<[2.0, 4.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  // CHECK-DAG: %[[W:.*]] = "tfl.pseudo_const"() {value = dense<{{\[\[}}5.000000e-01, 5.000000e-01, 5.000000e-01], [2.500000e-01, 2.500000e-01, 2.500000e-01]]> : tensor<2x3xf32>}
  // CHECK-DAG: %[[B:.*]] = "tfl.pseudo_const"() {value = dense<[5.000000e-01, 2.500000e-01]> : tensor<2xf32>}
  // CHECK: "tfl.fully_connected"(%arg0, %[[W]], %[[B]])
  // CHECK-NOT: tfl.div
  %0 = "tfl.fully_connected"(%arg0, %w, %b) {asymmetric_quantize_inputs = false, fused_activation_function = "NONE", keep_num_dims = false, quantized_bias_type = "FLOAT32", weights_format = "DEFAULT"} : (tensor<1x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %1 = "tfl.div"(%0, %c) {fused_activation_function = "NONE"} : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %1 : tensor<1x2xf32>
}

// Division of a constant by the conv is not a scale of the weights.
// CHECK-LABEL: func.func @negative_const_div_fc
func.func @negative_const_div_fc(%arg0: tensor<1x3xf32>) -> tensor<1x2xf32> {
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  %b = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %c = "tfl.pseudo_const"() {value = dense<[2.0, 4.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  // CHECK: "tfl.fully_connected"
  // CHECK: "tfl.div"
  %0 = "tfl.fully_connected"(%arg0, %w, %b) {asymmetric_quantize_inputs = false, fused_activation_function = "NONE", keep_num_dims = false, quantized_bias_type = "FLOAT32", weights_format = "DEFAULT"} : (tensor<1x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %1 = "tfl.div"(%c, %0) {fused_activation_function = "NONE"} : (tensor<2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32>
  return %1 : tensor<1x2xf32>
}

// Weights that are not constant cannot be scaled.
// CHECK-LABEL: func.func @negative_dynamic_weights
func.func @negative_dynamic_weights(%arg0: tensor<1x3xf32>, %w: tensor<2x3xf32>) -> tensor<1x2xf32> {
  %b = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %c = "tfl.pseudo_const"() {value = dense<[2.0, 4.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  // CHECK: "tfl.fully_connected"
  // CHECK: "tfl.mul"
  %0 = "tfl.fully_connected"(%arg0, %w, %b) {asymmetric_quantize_inputs = false, fused_activation_function = "NONE", keep_num_dims = false, quantized_bias_type = "FLOAT32", weights_format = "DEFAULT"} : (tensor<1x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %1 = "tfl.mul"(%0, %c) {fused_activation_function = "NONE"} : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %1 : tensor<1x2xf32>
}

// The conv result has another user.
// CHECK-LABEL: func.func @negative_two_uses
func.func @negative_two_uses(%arg0: tensor<1x3xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>) {
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  %b = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %c = "tfl.pseudo_const"() {value = dense<[2.0, 4.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  // CHECK: "tfl.fully_connected"
  // CHECK: "tfl.mul"
  %0 = "tfl.fully_connected"(%arg0, %w, %b) {asymmetric_quantize_inputs = false, fused_activation_function = "NONE", keep_num_dims = false, quantized_bias_type = "FLOAT32", weights_format = "DEFAULT"} : (tensor<1x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %1 = "tfl.mul"(%0, %c) {fused_activation_function = "NONE"} : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %0, %1 : tensor<1x2xf32>, tensor<1x2xf32>
}
