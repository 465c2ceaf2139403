// RUN: tfl-opt %s -p 'tfl-fold-transposes' | filecheck %s

// NHWC -> NCHW, relu, add a per-channel constant, back to NHWC: the transposes cancel and
// the constant is transposed into the NHWC layout.
// CHECK-LABEL: func.func @cancel_through_elementwise
func.func @cancel_through_elementwise(%arg0: tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32> {
  %to_nchw = "tfl.pseudo_const"() {value = dense<[0, 3, 1, 2]> : tensor<4xi32>} : () -> tensor<4xi32>
  %to_nhwc = "tfl.pseudo_const"() {value = dense<[0, 2, 3, 1]> : tensor<4xi32>} : () -> tensor<4xi32>
  %c = "tfl.pseudo_const"() {value = dense<[[[1.0]], [[2.0]], [[3.0]]]> : tensor<3x1x1xf32>} : () -> tensor<3x1x1xf32>
  // CHECK-NOT: tfl.transpose
  // CHECK: %[[R:.*]] = "tfl.relu"(%arg0) : (tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32>
  // CHECK: %[[C:.*]] = "tfl.pseudo_const"() {value = dense<{{\[\[\[\[}}1.000000e+00, 2.000000e+00, 3.000000e+00]]]]> : tensor<1x1x1x3xf32>}
  // CHECK: %[[A:.*]] = "tfl.add"(%[[R]], %[[C]]) {{.*}} : (tensor<1x4x4x3xf32>, tensor<1x1x1x3xf32>) -> tensor<1x4x4x3xf32>
  // CHECK-NOT: tfl.transpose
  // CHECK: return %[[A]]
  %0 = "tfl.transpose"(%arg0, %to_nchw) : (tensor<1x4x4x3xf32>, tensor<4xi32>) -> tensor<1x3x4x4xf32>
  %1 = "tfl.relu"(%0) : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  %2 = "tfl.add"(%1, %c) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<1x3x4x4xf32>, tensor<3x1x1xf32>) -> tensor<1x3x4x4xf32>
  %3 = "tfl.transpose"(%2, %to_nhwc) : (tensor<1x3x4x4xf32>, tensor<4xi32>) -> tensor<1x4x4x3xf32>
  return %3 : tensor<1x4x4x3xf32>
}

// Two operands transposed the same way: one transpose after the op.
// CHECK-LABEL: func.func @both_operands
func.func @both_operands(%arg0: tensor<2x3xf32>, %arg1: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %p = "tfl.pseudo_const"() {value = dense<[1, 0]> : tensor<2xi32>} : () -> tensor<2xi32>
  // CHECK: %[[M:.*]] = "tfl.mul"(%arg0, %arg1) {{.*}} -> tensor<2x3xf32>
  // CHECK: %[[T:.*]] = "tfl.transpose"(%[[M]], %{{.*}}) : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<3x2xf32>
  // CHECK: return %[[T]]
  %0 = "tfl.transpose"(%arg0, %p) : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<3x2xf32>
  %1 = "tfl.transpose"(%arg1, %p) : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<3x2xf32>
  %2 = "tfl.mul"(%0, %1) {fused_activation_function = "NONE"} : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  return %2 : tensor<3x2xf32>
}

// The transposed value has another user: moving it would add a transpose.
// CHECK-LABEL: func.func @negative_shared_transpose
func.func @negative_shared_transpose(%arg0: tensor<2x3xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %p = "tfl.pseudo_const"() {value = dense<[1, 0]> : tensor<2xi32>} : () -> tensor<2xi32>
  // CHECK: %[[T:.*]] = "tfl.transpose"(%arg0
  // CHECK: "tfl.relu"(%[[T]])
  %0 = "tfl.transpose"(%arg0, %p) : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<3x2xf32>
  %1 = "tfl.relu"(%0) : (tensor<3x2xf32>) -> tensor<3x2xf32>
  return %0, %1 : tensor<3x2xf32>, tensor<3x2xf32>
}

// Different permutations on the two operands.
// CHECK-LABEL: func.func @negative_different_perms
func.func @negative_different_perms(%arg0: tensor<2x2x2xf32>, %arg1: tensor<2x2x2xf32>) -> tensor<2x2x2xf32> {
  %p = "tfl.pseudo_const"() {value = dense<[1, 0, 2]> : tensor<3xi32>} : () -> tensor<3xi32>
  %q = "tfl.pseudo_const"() {value = dense<[0, 2, 1]> : tensor<3xi32>} : () -> tensor<3xi32>
  // CHECK: "tfl.transpose"(%arg0
  // CHECK: "tfl.transpose"(%arg1
  // CHECK: "tfl.add"
  %0 = "tfl.transpose"(%arg0, %p) : (tensor<2x2x2xf32>, tensor<3xi32>) -> tensor<2x2x2xf32>
  %1 = "tfl.transpose"(%arg1, %q) : (tensor<2x2x2xf32>, tensor<3xi32>) -> tensor<2x2x2xf32>
  %2 = "tfl.add"(%0, %1) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<2x2x2xf32>, tensor<2x2x2xf32>) -> tensor<2x2x2xf32>
  return %2 : tensor<2x2x2xf32>
}
