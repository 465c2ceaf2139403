// RUN: tfl-opt %s -p 'tfl-fold-reshapes' | filecheck %s

// CHECK-LABEL: func.func @reshape_squeeze_expand
func.func @reshape_squeeze_expand(%arg0: tensor<1x6xf32>) -> tensor<2x1x3xf32> {
  %s = "tfl.pseudo_const"() {value = dense<[1, 2, 3]> : tensor<3xi32>} : () -> tensor<3xi32>
  %d = "tfl.pseudo_const"() {value = dense<1> : tensor<i32>} : () -> tensor<i32>
  // CHECK: %[[S:.*]] = "tfl.pseudo_const"() {value = dense<[2, 1, 3]> : tensor<3xi32>}
  // CHECK-NEXT: %[[R:.*]] = "tfl.reshape"(%arg0, %[[S]])
  // CHECK-NOT: tfl.squeeze
  // CHECK-NOT: tfl.expand_dims
  // CHECK: return %[[R]]
  %0 = "tfl.reshape"(%arg0, %s) {new_shape = array<i32>} : (tensor<1x6xf32>, tensor<3xi32>) -> tensor<1x2x3xf32>
  %1 = "tfl.squeeze"(%0) {squeeze_dims = array<i32: 0>} : (tensor<1x2x3xf32>) -> tensor<2x3xf32>
  %2 = "tfl.expand_dims"(%1, %d) : (tensor<2x3xf32>, tensor<i32>) -> tensor<2x1x3xf32>
  return %2 : tensor<2x1x3xf32>
}

// A chain back to the input shape disappears.
// CHECK-LABEL: func.func @round_trip
func.func @round_trip(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %d = "tfl.pseudo_const"() {value = dense<0> : tensor<i32>} : () -> tensor<i32>
  // CHECK-NOT: tfl.expand_dims
  // CHECK-NOT: tfl.squeeze
  // CHECK: return %arg0
  %0 = "tfl.expand_dims"(%arg0, %d) : (tensor<2x3xf32>, tensor<i32>) -> tensor<1x2x3xf32>
  %1 = "tfl.squeeze"(%0) {squeeze_dims = array<i32: 0>} : (tensor<1x2x3xf32>) -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @transpose_pair
func.func @transpose_pair(%arg0: tensor<1x2x3x4xf32>) -> tensor<1x4x2x3xf32> {
  %p0 = "tfl.pseudo_const"() {value = dense<[0, 2, 3, 1]> : tensor<4xi32>} : () -> tensor<4xi32>
  %p1 = "tfl.pseudo_const"() {value = dense<[0, 3, 1, 2]> : tensor<4xi32>} : () -> tensor<4xi32>
  %p2 = "tfl.pseudo_const"() {value = dense<[0, 3, 1, 2]> : tensor<4xi32>} : () -> tensor<4xi32>
  // The first two cancel; the third transposes the input.
  // CHECK: %[[T:.*]] = "tfl.transpose"(%arg0, %{{.*}}) : (tensor<1x2x3x4xf32>, tensor<4xi32>) -> tensor<1x4x2x3xf32>
  // CHECK-NEXT: return %[[T]]
  %0 = "tfl.transpose"(%arg0, %p0) : (tensor<1x2x3x4xf32>, tensor<4xi32>) -> tensor<1x3x4x2xf32>
  %1 = "tfl.transpose"(%0, %p1) : (tensor<1x3x4x2xf32>, tensor<4xi32>) -> tensor<1x2x3x4xf32>
  %2 = "tfl.transpose"(%1, %p2) : (tensor<1x2x3x4xf32>, tensor<4xi32>) -> tensor<1x4x2x3xf32>
  return %2 : tensor<1x4x2x3xf32>
}

// A dynamic result shape cannot be written as a constant.
// CHECK-LABEL: func.func @negative_dynamic
func.func @negative_dynamic(%arg0: tensor<?x6xf32>, %s: tensor<3xi32>) -> tensor<?x3xf32> {
  // CHECK: "tfl.reshape"
  // CHECK: "tfl.squeeze"
  %0 = "tfl.reshape"(%arg0, %s) {new_shape = array<i32>} : (tensor<?x6xf32>, tensor<3xi32>) -> tensor<?x1x3xf32>
  %1 = "tfl.squeeze"(%0) {squeeze_dims = array<i32: 1>} : (tensor<?x1x3xf32>) -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// The inner reshape keeps its other user.
// CHECK-LABEL: func.func @negative_shared_inner
func.func @negative_shared_inner(%arg0: tensor<1x6xf32>) -> (tensor<6xf32>, tensor<2x3xf32>) {
  %s = "tfl.pseudo_const"() {value = dense<[6]> : tensor<1xi32>} : () -> tensor<1xi32>
  %t = "tfl.pseudo_const"() {value = dense<[2, 3]> : tensor<2xi32>} : () -> tensor<2xi32>
  // CHECK: %[[A:.*]] = "tfl.reshape"(%arg0,
  // CHECK: %[[B:.*]] = "tfl.reshape"(%arg0,
  // CHECK: return %[[A]], %[[B]]
  %0 = "tfl.reshape"(%arg0, %s) {new_shape = array<i32>} : (tensor<1x6xf32>, tensor<1xi32>) -> tensor<6xf32>
  %1 = "tfl.reshape"(%0, %t) {new_shape = array<i32>} : (tensor<6xf32>, tensor<2xi32>) -> tensor<2x3xf32>
  return %0, %1 : tensor<6xf32>, tensor<2x3xf32>
}

// A transpose of a non-transpose stays.
// CHECK-LABEL: func.func @negative_single_transpose
func.func @negative_single_transpose(%arg0: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %p = "tfl.pseudo_const"() {value = dense<[1, 0]> : tensor<2xi32>} : () -> tensor<2xi32>
  // CHECK: "tfl.transpose"(%arg0
  %0 = "tfl.transpose"(%arg0, %p) : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}
