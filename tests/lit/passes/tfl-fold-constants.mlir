// RUN: tfl-opt %s -p 'tfl-fold-constants' | filecheck %s

// CHECK-LABEL: func.func @arith_chain
func.func @arith_chain() -> tensor<2xf32> {
  %a = "tfl.pseudo_const"() {value = dense<[2.0, -1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %b = "tfl.pseudo_const"() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  // CHECK: %[[C:.*]] = "tfl.pseudo_const"() {value = dense<[-1.600000e+01, -1.000000e+00]> : tensor<2xf32>}
  // CHECK-NOT: tfl.add
  // CHECK-NOT: tfl.mul
  // CHECK: return %[[C]]
  %0 = "tfl.add"(%a, %b) {fused_activation_function = "RELU", pot_scale_int16 = true} : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  %1 = "tfl.mul"(%0, %0) {fused_activation_function = "NONE"} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %2 = "tfl.neg"(%1) : (tensor<2xf32>) -> tensor<2xf32>
  return %2 : tensor<2xf32>
}

// tfl.shape of a static tensor folds even though the tensor is not constant.
// CHECK-LABEL: func.func @shape_concat_reshape
func.func @shape_concat_reshape(%arg0: tensor<2x3xf32>) -> tensor<3xi32> {
  %m = "tfl.pseudo_const"() {value = dense<[-1]> : tensor<1xi32>} : () -> tensor<1xi32>
  // CHECK: %[[C:.*]] = "tfl.pseudo_const"() {value = dense<[2, 3, -1]> : tensor<3xi32>}
  // CHECK: return %[[C]]
  %0 = "tfl.shape"(%arg0) {out_type = "INT32"} : (tensor<2x3xf32>) -> tensor<2xi32>
  %1 = "tfl.concatenation"(%0, %m) {axis = 0 : i32, fused_activation_function = "NONE"} : (tensor<2xi32>, tensor<1xi32>) -> tensor<3xi32>
  return %1 : tensor<3xi32>
}

// CHECK-LABEL: func.func @transpose_weights
func.func @transpose_weights() -> tensor<3x2xf32> {
  %w = "tfl.pseudo_const"() {value = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  %p = "tfl.pseudo_const"() {value = dense<[1, 0]> : tensor<2xi32>} : () -> tensor<2xi32>
  // CHECK: "tfl.pseudo_const"() {value = dense<{{\[\[}}1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>}
  // CHECK-NOT: tfl.transpose
  %0 = "tfl.transpose"(%w, %p) : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// Non-constant inputs stay.
// CHECK-LABEL: func.func @negative_not_constant
func.func @negative_not_constant(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  %b = "tfl.pseudo_const"() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  // CHECK: "tfl.add"(%arg0
  %0 = "tfl.add"(%arg0, %b) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// Broadcasting a scalar to 4096 elements would grow the model: not folded.
// CHECK-LABEL: func.func @negative_too_large
func.func @negative_too_large() -> tensor<64x64xf32> {
  %a = "tfl.pseudo_const"() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %s = "tfl.pseudo_const"() {value = dense<[64, 64]> : tensor<2xi32>} : () -> tensor<2xi32>
  // CHECK: "tfl.fill"
  %0 = "tfl.fill"(%s, %a) : (tensor<2xi32>, tensor<f32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// float16 weights keep their dequantize.
// CHECK-LABEL: func.func @negative_dequantize
func.func @negative_dequantize() -> tensor<2xf32> {
  %a = "tfl.pseudo_const"() {value = dense<[1.0, 2.0]> : tensor<2xf16>} : () -> tensor<2xf16>
  // CHECK: "tfl.dequantize"
  %0 = "tfl.dequantize"(%a) : (tensor<2xf16>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
