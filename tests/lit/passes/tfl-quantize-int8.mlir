// RUN: tfl-opt %s --split-input-file -p 'tfl-quantize-int8' | filecheck %s

// Ranges come from calibration (tflc.range / tflc.arg_ranges). Float I/O: quantize at the
// input, dequantize at the output; int32 bias at input scale * weight scale; softmax output
// fixed at 1/256 @ -128; reshape keeps its input's parameters.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%arg0: tensor<1x4xf32>) -> tensor<1x2xf32>
func.func @main(%arg0: tensor<1x4xf32>) -> tensor<1x2xf32> attributes {tflc.arg_ranges = [array<f32: -1.0, 1.0>]} {
  %w = "tfl.pseudo_const"() {value = dense<[[1.0, 0.5, -1.0, 0.0], [0.25, 0.25, 0.25, -0.5]]> : tensor<2x4xf32>} : () -> tensor<2x4xf32>
  %b = "tfl.pseudo_const"() {value = dense<[0.5, -0.5]> : tensor<2xf32>} : () -> tensor<2xf32>
  %s = "tfl.pseudo_const"() {value = dense<[1, 2]> : tensor<2xi32>} : () -> tensor<2xi32>
  // CHECK: %[[X:.*]] = "tfl.quantize"(%arg0) : (tensor<1x4xf32>) -> tensor<1x4x!quant.uniform<i8:f32, 0.0078431377{{[0-9]*}}>>
  // CHECK: %[[W:.*]] = "tfl.pseudo_qconst"() {qtype = tensor<2x4x!quant.uniform<i8:f32:0, {0.0078740157{{[0-9]*}},0.0039370078{{[0-9]*}}}>>, value = dense<{{\[\[}}127, 64, -127, 0], [64, 64, 64, -127]]> : tensor<2x4xi8>}
  // CHECK: %[[B:.*]] = "tfl.pseudo_qconst"() {qtype = tensor<2x!quant.uniform<i32:f32:0, {6.17{{[0-9]*}}E-5,3.08{{[0-9]*}}E-5}>>, value = dense<[8096, -16192]> : tensor<2xi32>}
  // CHECK: %[[F:.*]] = "tfl.fully_connected"(%[[X]], %[[W]], %[[B]])
  // CHECK-SAME: -> tensor<1x2x!quant.uniform<i8:f32, 0.015686275{{[0-9]*}}>>
  // CHECK: %[[R:.*]] = "tfl.reshape"(%[[F]], %{{.*}}) {{.*}} -> tensor<1x2x!quant.uniform<i8:f32, 0.015686275{{[0-9]*}}>>
  // CHECK: %[[S:.*]] = "tfl.softmax"(%[[R]]) {{.*}} -> tensor<1x2x!quant.uniform<i8:f32, 3.906250e-03:-128>>
  // CHECK: %[[D:.*]] = "tfl.dequantize"(%[[S]]) : {{.*}} -> tensor<1x2xf32>
  // CHECK: return %[[D]]
  // CHECK-NOT: tflc.range
  %0 = "tfl.fully_connected"(%arg0, %w, %b) {asymmetric_quantize_inputs = false, fused_activation_function = "NONE", keep_num_dims = false, quantized_bias_type = "FLOAT32", weights_format = "DEFAULT", tflc.range = array<f32: -2.0, 2.0>} : (tensor<1x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %1 = "tfl.reshape"(%0, %s) {new_shape = array<i32>, tflc.range = array<f32: -3.0, 3.0>} : (tensor<1x2xf32>, tensor<2xi32>) -> tensor<1x2xf32>
  %2 = "tfl.softmax"(%1) {beta = 1.000000e+00 : f32, tflc.range = array<f32: 0.0, 1.0>} : (tensor<1x2xf32>) -> tensor<1x2xf32>
  return %2 : tensor<1x2xf32>
}

// -----

// floor_div has no int8 kernel: it stays float, reading the float input directly.
// CHECK-LABEL: func.func @main
func.func @main(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> tensor<4xf32> attributes {tflc.arg_ranges = [array<f32: -1.0, 1.0>, array<f32: 1.0, 2.0>]} {
  // CHECK: %[[A:.*]] = "tfl.quantize"(%arg0)
  // CHECK: %[[B:.*]] = "tfl.quantize"(%arg1)
  // CHECK: %[[S:.*]] = "tfl.add"(%[[A]], %[[B]]) {{.*}} -> tensor<4x!quant.uniform<i8:f32
  // CHECK: %[[F:.*]] = "tfl.dequantize"(%[[S]])
  // CHECK: %[[D:.*]] = "tfl.floor_div"(%[[F]], %arg1) {{.*}} -> tensor<4xf32>
  // CHECK: return %[[D]]
  %0 = "tfl.add"(%arg0, %arg1) {fused_activation_function = "NONE", pot_scale_int16 = true, tflc.range = array<f32: 0.0, 3.0>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = "tfl.floor_div"(%0, %arg1) {tflc.range = array<f32: 0.0, 3.0>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// Sparse weights (densify of a sparse constant) are densified here and quantized per channel
// like dense ones: [[0.5, 0, -1], [0, 0.25, 0]] (the densify is left to tfl-dce). The logistic
// between floor (no int8 kernel) and the float output stays float: int8 there would only add
// a round trip.
// CHECK-LABEL: func.func @main
func.func @main(%arg0: tensor<1x1x1x3xf32>) -> tensor<1x1x1x2xf32> attributes {tflc.arg_ranges = [array<f32: -1.0, 1.0>]} {
  %w = "tfl.pseudo_sparse_const"() {block_map = array<i32>, dim_metadata = [{dense_size = 2 : i32, format = 0 : i32}, {dense_size = 1 : i32, format = 0 : i32}, {dense_size = 1 : i32, format = 0 : i32}, {dense_size = 0 : i32, format = 1 : i32, indices = array<i32: 0, 2, 1>, indices_type = "Uint8Vector", segments = array<i32: 0, 2, 3>, segments_type = "Uint8Vector"}], traversal_order = array<i32: 0, 1, 2, 3>, value = dense<[0.5, -1.0, 0.25]> : tensor<3xf32>} : () -> tensor<2x1x1x3xf32>
  %d = "tfl.densify"(%w) : (tensor<2x1x1x3xf32>) -> tensor<2x1x1x3xf32>
  %none = "tfl.no_value"() {value} : () -> none
  // CHECK: %[[W:.*]] = "tfl.pseudo_qconst"() {qtype = tensor<2x1x1x3x!quant.uniform<i8:f32:0, {{.*}}>>, value = dense<{{\[\[\[\[}}64, 0, -127]]], {{\[\[\[}}0, 127, 0]]]]> : tensor<2x1x1x3xi8>}
  // CHECK: %[[C:.*]] = "tfl.conv_2d"(%{{.*}}, %[[W]], %{{.*}}) {{.*}} -> tensor<1x1x1x2x!quant.uniform<i8:f32
  // CHECK: %[[F:.*]] = "tfl.dequantize"(%[[C]])
  // CHECK: %[[L:.*]] = "tfl.floor"(%[[F]]) : (tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32>
  // CHECK: %[[S:.*]] = "tfl.logistic"(%[[L]]) : (tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32>
  // CHECK: return %[[S]]
  %0 = "tfl.conv_2d"(%arg0, %d, %none) {dilation_h_factor = 1 : i32, dilation_w_factor = 1 : i32, fused_activation_function = "NONE", padding = "VALID", quantized_bias_type = "FLOAT32", stride_h = 1 : i32, stride_w = 1 : i32, tflc.range = array<f32: -2.0, 2.0>} : (tensor<1x1x1x3xf32>, tensor<2x1x1x3xf32>, none) -> tensor<1x1x1x2xf32>
  %1 = "tfl.floor"(%0) {tflc.range = array<f32: -2.0, 2.0>} : (tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32>
  %2 = "tfl.logistic"(%1) {tflc.range = array<f32: 0.0, 1.0>} : (tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32>
  return %2 : tensor<1x1x1x2xf32>
}

// -----

// A concatenation's operands share its parameters. The add feeds only the concatenation and
// takes any output parameters, so it outputs at the shared ones (no requantize after it, as
// TensorFlow's converter does); the second operand, a graph input, is requantized.
// CHECK-LABEL: func.func @main
func.func @main(%arg0: tensor<2xf32>, %arg1: tensor<2xf32>) -> tensor<4xf32> attributes {tflc.arg_ranges = [array<f32: -1.0, 1.0>, array<f32: -4.0, 4.0>]} {
  // CHECK: %[[A:.*]] = "tfl.quantize"(%arg0) : (tensor<2xf32>) -> tensor<2x!quant.uniform<i8:f32, 0.0078431377{{[0-9]*}}>>
  // CHECK: %[[B:.*]] = "tfl.quantize"(%arg1) : (tensor<2xf32>) -> tensor<2x!quant.uniform<i8:f32, 0.03137255{{[0-9]*}}>>
  // CHECK: %[[S:.*]] = "tfl.add"(%[[A]], %[[A]]) {{.*}} -> tensor<2x!quant.uniform<i8:f32, 0.031434066{{[0-9]*}}>>
  // CHECK-NEXT: %[[C:.*]] = "tfl.quantize"(%[[B]]) {{.*}} -> tensor<2x!quant.uniform<i8:f32, 0.031434066{{[0-9]*}}>>
  // CHECK-NEXT: "tfl.concatenation"(%[[S]], %[[C]])
  %0 = "tfl.add"(%arg0, %arg0) {fused_activation_function = "NONE", pot_scale_int16 = true, tflc.range = array<f32: -2.0, 2.0>} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %1 = "tfl.concatenation"(%0, %arg1) {axis = 0 : i32, fused_activation_function = "NONE", tflc.range = array<f32: -4.0, 4.0>} : (tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}
