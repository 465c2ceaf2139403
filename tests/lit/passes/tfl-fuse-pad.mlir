// RUN: tfl-opt %s -p 'tfl-fuse-pad' | filecheck %s

// ZeroPadding2D(((0, 1), (0, 1))) + Conv2D(3, strides=2, padding="valid"), as in MobileNetV2.
// CHECK-LABEL: func.func @conv_stride2
func.func @conv_stride2(%arg0: tensor<1x8x8x3xf32>) -> tensor<1x4x4x2xf32> {
  %p = "tfl.pseudo_const"() {value = dense<[[0, 0], [0, 1], [0, 1], [0, 0]]> : tensor<4x2xi32>} : () -> tensor<4x2xi32>
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2x3x3x3xf32>} : () -> tensor<2x3x3x3xf32>
  %b = "tfl.pseudo_const"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  // CHECK-NOT: tfl.pad
  // CHECK: "tfl.conv_2d"(%arg0,
  // CHECK-SAME: padding = "SAME"
  %0 = "tfl.pad"(%arg0, %p) : (tensor<1x8x8x3xf32>, tensor<4x2xi32>) -> tensor<1x9x9x3xf32>
  %1 = "tfl.conv_2d"(%0, %w, %b) {dilation_h_factor = 1 : i32, dilation_w_factor = 1 : i32, fused_activation_function = "NONE", padding = "VALID", quantized_bias_type = "FLOAT32", stride_h = 2 : i32, stride_w = 2 : i32} : (tensor<1x9x9x3xf32>, tensor<2x3x3x3xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  return %1 : tensor<1x4x4x2xf32>
}

// CHECK-LABEL: func.func @depthwise_stride1
func.func @depthwise_stride1(%arg0: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %p = "tfl.pseudo_const"() {value = dense<[[0, 0], [1, 1], [1, 1], [0, 0]]> : tensor<4x2xi32>} : () -> tensor<4x2xi32>
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<1x3x3x2xf32>} : () -> tensor<1x3x3x2xf32>
  %b = "tfl.pseudo_const"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  // CHECK-NOT: tfl.pad
  // CHECK: "tfl.depthwise_conv_2d"(%arg0,
  // CHECK-SAME: padding = "SAME"
  %0 = "tfl.pad"(%arg0, %p) : (tensor<1x4x4x2xf32>, tensor<4x2xi32>) -> tensor<1x6x6x2xf32>
  %1 = "tfl.depthwise_conv_2d"(%0, %w, %b) {depth_multiplier = 1 : i32, dilation_h_factor = 1 : i32, dilation_w_factor = 1 : i32, fused_activation_function = "NONE", padding = "VALID", stride_h = 1 : i32, stride_w = 1 : i32} : (tensor<1x6x6x2xf32>, tensor<1x3x3x2xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  return %1 : tensor<1x4x4x2xf32>
}

// CHECK-LABEL: func.func @max_pool_neg_inf
func.func @max_pool_neg_inf(%arg0: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %p = "tfl.pseudo_const"() {value = dense<[[0, 0], [1, 1], [1, 1], [0, 0]]> : tensor<4x2xi32>} : () -> tensor<4x2xi32>
  %v = "tfl.pseudo_const"() {value = dense<0xFF800000> : tensor<f32>} : () -> tensor<f32>
  // CHECK-NOT: tfl.padv2
  // CHECK: "tfl.max_pool_2d"(%arg0)
  // CHECK-SAME: padding = "SAME"
  %0 = "tfl.padv2"(%arg0, %p, %v) : (tensor<1x4x4x2xf32>, tensor<4x2xi32>, tensor<f32>) -> tensor<1x6x6x2xf32>
  %1 = "tfl.max_pool_2d"(%0) {filter_height = 3 : i32, filter_width = 3 : i32, fused_activation_function = "NONE", padding = "VALID", stride_h = 1 : i32, stride_w = 1 : i32} : (tensor<1x6x6x2xf32>) -> tensor<1x4x4x2xf32>
  return %1 : tensor<1x4x4x2xf32>
}

// SAME with stride 2 on 8 pads (0, 1), not (1, 1).
// CHECK-LABEL: func.func @negative_not_same
func.func @negative_not_same(%arg0: tensor<1x8x8x3xf32>) -> tensor<1x4x4x2xf32> {
  %p = "tfl.pseudo_const"() {value = dense<[[0, 0], [1, 1], [1, 1], [0, 0]]> : tensor<4x2xi32>} : () -> tensor<4x2xi32>
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2x3x3x3xf32>} : () -> tensor<2x3x3x3xf32>
  %b = "tfl.pseudo_const"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  // CHECK: "tfl.pad"
  // CHECK: "tfl.conv_2d"
  // CHECK-SAME: padding = "VALID"
  %0 = "tfl.pad"(%arg0, %p) : (tensor<1x8x8x3xf32>, tensor<4x2xi32>) -> tensor<1x10x10x3xf32>
  %1 = "tfl.conv_2d"(%0, %w, %b) {dilation_h_factor = 1 : i32, dilation_w_factor = 1 : i32, fused_activation_function = "NONE", padding = "VALID", quantized_bias_type = "FLOAT32", stride_h = 2 : i32, stride_w = 2 : i32} : (tensor<1x10x10x3xf32>, tensor<2x3x3x3xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  return %1 : tensor<1x4x4x2xf32>
}

// Zero padding before max pooling is not SAME max pooling.
// CHECK-LABEL: func.func @negative_max_pool_zero_pad
func.func @negative_max_pool_zero_pad(%arg0: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %p = "tfl.pseudo_const"() {value = dense<[[0, 0], [1, 1], [1, 1], [0, 0]]> : tensor<4x2xi32>} : () -> tensor<4x2xi32>
  // CHECK: "tfl.pad"
  // CHECK: "tfl.max_pool_2d"
  // CHECK-SAME: padding = "VALID"
  %0 = "tfl.pad"(%arg0, %p) : (tensor<1x4x4x2xf32>, tensor<4x2xi32>) -> tensor<1x6x6x2xf32>
  %1 = "tfl.max_pool_2d"(%0) {filter_height = 3 : i32, filter_width = 3 : i32, fused_activation_function = "NONE", padding = "VALID", stride_h = 1 : i32, stride_w = 1 : i32} : (tensor<1x6x6x2xf32>) -> tensor<1x4x4x2xf32>
  return %1 : tensor<1x4x4x2xf32>
}

// Padding the channels is not spatial padding.
// CHECK-LABEL: func.func @negative_channel_pad
func.func @negative_channel_pad(%arg0: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %p = "tfl.pseudo_const"() {value = dense<[[0, 0], [1, 1], [1, 1], [0, 1]]> : tensor<4x2xi32>} : () -> tensor<4x2xi32>
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2x3x3x3xf32>} : () -> tensor<2x3x3x3xf32>
  %b = "tfl.pseudo_const"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  // CHECK: "tfl.pad"
  // CHECK: "tfl.conv_2d"
  %0 = "tfl.pad"(%arg0, %p) : (tensor<1x4x4x2xf32>, tensor<4x2xi32>) -> tensor<1x6x6x3xf32>
  %1 = "tfl.conv_2d"(%0, %w, %b) {dilation_h_factor = 1 : i32, dilation_w_factor = 1 : i32, fused_activation_function = "NONE", padding = "VALID", quantized_bias_type = "FLOAT32", stride_h = 1 : i32, stride_w = 1 : i32} : (tensor<1x6x6x3xf32>, tensor<2x3x3x3xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  return %1 : tensor<1x4x4x2xf32>
}
