// RUN: tfl-opt %s -p 'tfl-quantize-dynamic-range' | filecheck %s

// 1536 weights: symmetric int8, one scale per output channel (0.5 / 127); float bias.
// CHECK-LABEL: func.func @conv
func.func @conv(%arg0: tensor<1x8x8x3xf32>) -> tensor<1x8x8x32xf32> {
  %w = "tfl.pseudo_const"() {value = dense<0.5> : tensor<32x4x4x3xf32>} : () -> tensor<32x4x4x3xf32>
  %b = "tfl.pseudo_const"() {value = dense<0.0> : tensor<32xf32>} : () -> tensor<32xf32>
  // CHECK: %[[Q:.*]] = "tfl.pseudo_qconst"() {qtype = tensor<32x4x4x3x!quant.uniform<i8:f32:0, {0.0039370078{{[0-9]*}},
  // CHECK-SAME: value = dense<127> : tensor<32x4x4x3xi8>
  // CHECK: "tfl.conv_2d"(%arg0, %[[Q]], %{{.*}})
  // CHECK-SAME: -> tensor<1x8x8x32xf32>
  %0 = "tfl.conv_2d"(%arg0, %w, %b) {dilation_h_factor = 1 : i32, dilation_w_factor = 1 : i32, fused_activation_function = "NONE", padding = "SAME", quantized_bias_type = "FLOAT32", stride_h = 1 : i32, stride_w = 1 : i32} : (tensor<1x8x8x3xf32>, tensor<32x4x4x3xf32>, tensor<32xf32>) -> tensor<1x8x8x32xf32>
  return %0 : tensor<1x8x8x32xf32>
}

// Fully connected layers also get asymmetric_quantize_inputs.
// CHECK-LABEL: func.func @fc
func.func @fc(%arg0: tensor<1x64xf32>) -> tensor<1x32xf32> {
  %w = "tfl.pseudo_const"() {value = dense<-2.0> : tensor<32x64xf32>} : () -> tensor<32x64xf32>
  %none = "tfl.no_value"() {value} : () -> none
  // CHECK: "tfl.pseudo_qconst"() {qtype = tensor<32x64x!quant.uniform<i8:f32:0,
  // CHECK-SAME: value = dense<-127> : tensor<32x64xi8>
  // CHECK: "tfl.fully_connected"
  // CHECK-SAME: asymmetric_quantize_inputs = true
  %0 = "tfl.fully_connected"(%arg0, %w, %none) {asymmetric_quantize_inputs = false, fused_activation_function = "NONE", keep_num_dims = false, quantized_bias_type = "FLOAT32", weights_format = "DEFAULT"} : (tensor<1x64xf32>, tensor<32x64xf32>, none) -> tensor<1x32xf32>
  return %0 : tensor<1x32xf32>
}

// Fewer than 1024 weights stay float, as in TensorFlow.
// CHECK-LABEL: func.func @negative_small
func.func @negative_small(%arg0: tensor<1x3xf32>) -> tensor<1x2xf32> {
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  %b = "tfl.pseudo_const"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  // CHECK-NOT: tfl.pseudo_qconst
  // CHECK: "tfl.fully_connected"
  // CHECK-SAME: asymmetric_quantize_inputs = false
  %0 = "tfl.fully_connected"(%arg0, %w, %b) {asymmetric_quantize_inputs = false, fused_activation_function = "NONE", keep_num_dims = false, quantized_bias_type = "FLOAT32", weights_format = "DEFAULT"} : (tensor<1x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}
