// RUN: tfl-opt %s -p 'tfl-quantize-float16' | filecheck %s

// CHECK-LABEL: func.func @weights_and_bias
func.func @weights_and_bias(%arg0: tensor<1x3xf32>) -> tensor<1x2xf32> {
  %w = "tfl.pseudo_const"() {value = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>} : () -> tensor<2x3xf32>
  %b = "tfl.pseudo_const"() {value = dense<[0.5, 0.25]> : tensor<2xf32>} : () -> tensor<2xf32>
  // CHECK: %[[W16:.*]] = "tfl.pseudo_const"() {value = dense<{{.*}}> : tensor<2x3xf16>}
  // CHECK-NEXT: %[[W:.*]] = "tfl.dequantize"(%[[W16]]) : (tensor<2x3xf16>) -> tensor<2x3xf32>
  // CHECK: %[[B16:.*]] = "tfl.pseudo_const"() {value = dense<[5.000000e-01, 2.500000e-01]> : tensor<2xf16>}
  // CHECK-NEXT: %[[B:.*]] = "tfl.dequantize"(%[[B16]])
  // CHECK: "tfl.fully_connected"(%arg0, %[[W]], %[[B]])
  %0 = "tfl.fully_connected"(%arg0, %w, %b) {asymmetric_quantize_inputs = false, fused_activation_function = "NONE", keep_num_dims = false, quantized_bias_type = "FLOAT32", weights_format = "DEFAULT"} : (tensor<1x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}

// Integer constants stay; a value beyond float16's range stays float32.
// CHECK-LABEL: func.func @negative_int_and_huge
func.func @negative_int_and_huge(%arg0: tensor<2x2xf32>) -> tensor<2xf32> {
  %axis = "tfl.pseudo_const"() {value = dense<[1]> : tensor<1xi32>} : () -> tensor<1xi32>
  %big = "tfl.pseudo_const"() {value = dense<1.0e+06> : tensor<2xf32>} : () -> tensor<2xf32>
  // CHECK: "tfl.pseudo_const"() {value = dense<1> : tensor<1xi32>}
  // CHECK: "tfl.pseudo_const"() {value = dense<1.000000e+06> : tensor<2xf32>}
  // CHECK-NOT: tfl.dequantize
  %0 = "tfl.sum"(%arg0, %axis) {keep_dims = false} : (tensor<2x2xf32>, tensor<1xi32>) -> tensor<2xf32>
  %1 = "tfl.mul"(%0, %big) {fused_activation_function = "NONE"} : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %1 : tensor<2xf32>
}
