// RUN: tfl-opt %s -p 'tfl-optimize' | filecheck %s

// Explicit SAME pad, conv, batch norm as mul + add, relu6: one conv, as TensorFlow emits it.
// CHECK-LABEL: func.func @conv_batch_norm_relu6
func.func @conv_batch_norm_relu6(%arg0: tensor<1x8x8x3xf32>) -> tensor<1x4x4x2xf32> {
  %p = "tfl.pseudo_const"() {value = dense<[[0, 0], [0, 1], [0, 1], [0, 0]]> : tensor<4x2xi32>} : () -> tensor<4x2xi32>
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2x3x3x3xf32>} : () -> tensor<2x3x3x3xf32>
  %b = "tfl.pseudo_const"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %s = "tfl.pseudo_const"() {value = dense<[2.0, 0.5]> : tensor<2xf32>} : () -> tensor<2xf32>
  %t = "tfl.pseudo_const"() {value = dense<[1.0, -1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  // CHECK-DAG: %[[W:.*]] = "tfl.pseudo_const"() {value = dense<{{.*}}> : tensor<2x3x3x3xf32>}
  // CHECK-DAG: %[[B:.*]] = "tfl.pseudo_const"() {value = dense<[1.000000e+00, -1.000000e+00]> : tensor<2xf32>}
  // CHECK: %[[C:.*]] = "tfl.conv_2d"(%arg0, %[[W]], %[[B]])
  // CHECK-SAME: fused_activation_function = "RELU6"
  // CHECK-SAME: padding = "SAME"
  // CHECK-NEXT: return %[[C]]
  %0 = "tfl.pad"(%arg0, %p) : (tensor<1x8x8x3xf32>, tensor<4x2xi32>) -> tensor<1x9x9x3xf32>
  %1 = "tfl.conv_2d"(%0, %w, %b) {dilation_h_factor = 1 : i32, dilation_w_factor = 1 : i32, fused_activation_function = "NONE", padding = "VALID", quantized_bias_type = "FLOAT32", stride_h = 2 : i32, stride_w = 2 : i32} : (tensor<1x9x9x3xf32>, tensor<2x3x3x3xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  %2 = "tfl.mul"(%1, %s) {fused_activation_function = "NONE"} : (tensor<1x4x4x2xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  %3 = "tfl.add"(%2, %t) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<1x4x4x2xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  %4 = "tfl.relu6"(%3) : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  return %4 : tensor<1x4x4x2xf32>
}

// Nothing to do on an already optimal function.
// CHECK-LABEL: func.func @negative_nothing_to_fuse
func.func @negative_nothing_to_fuse(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK-NEXT: "tfl.tanh"(%arg0)
  // CHECK-NEXT: return
  %0 = "tfl.tanh"(%arg0) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
