// RUN: tfl-opt %s -p 'tfl-quantize-fake-quant' | filecheck %s

// Activation fake_quants become ranges; a weight fake_quant is applied to the constant
// (narrow range: 1/127 steps, 1.5 clamped to 1).
// CHECK-LABEL: func.func @main
// CHECK-SAME: tflc.arg_ranges = [array<f32: -1.000000e+00, 1.000000e+00>]
func.func @main(%arg0: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %w = "tfl.pseudo_const"() {value = dense<[[0.3, -0.26, 1.5, 0.0], [0.1, 0.2, -0.7, 0.05]]> : tensor<2x4xf32>} : () -> tensor<2x4xf32>
  %none = "tfl.no_value"() {value} : () -> none
  // CHECK-NOT: tfl.fake_quant
  // CHECK: %[[W:.*]] = "tfl.pseudo_const"() {value = dense<{{\[\[}}0.299212575, -0.259842515, 1.000000e+00, 0.000000e+00], [0.102362156, 0.196850419, -0.700787425, 0.047244072]]> : tensor<2x4xf32>}
  // CHECK: "tfl.fully_connected"(%arg0, %[[W]], %{{[0-9]+}})
  // CHECK-SAME: tflc.range = array<f32: -2.000000e+00, 2.000000e+00>
  %0 = "tfl.fake_quant"(%arg0) {max = 1.0 : f32, min = -1.0 : f32, narrow_range = false, num_bits = 8 : i32} : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %1 = "tfl.fake_quant"(%w) {max = 1.0 : f32, min = -1.0 : f32, narrow_range = true, num_bits = 8 : i32} : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %2 = "tfl.fully_connected"(%0, %1, %none) {asymmetric_quantize_inputs = false, fused_activation_function = "NONE", keep_num_dims = false, quantized_bias_type = "FLOAT32", weights_format = "DEFAULT"} : (tensor<1x4xf32>, tensor<2x4xf32>, none) -> tensor<1x2xf32>
  %3 = "tfl.fake_quant"(%2) {max = 2.0 : f32, min = -2.0 : f32, narrow_range = false, num_bits = 8 : i32} : (tensor<1x2xf32>) -> tensor<1x2xf32>
  return %3 : tensor<1x2xf32>
}
