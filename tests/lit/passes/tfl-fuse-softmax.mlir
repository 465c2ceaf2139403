// RUN: tfl-opt %s -p 'tfl-fuse-softmax' | filecheck %s

// CHECK-LABEL: func.func @stable
func.func @stable(%arg0: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %axis = "tfl.pseudo_const"() {value = dense<[-1]> : tensor<1xi32>} : () -> tensor<1xi32>
  // CHECK: %[[S:.*]] = "tfl.softmax"(%arg0) {beta = 1.000000e+00 : f32}
  // CHECK-NEXT: return %[[S]]
  %0 = "tfl.reduce_max"(%arg0, %axis) {keep_dims = true} : (tensor<2x5xf32>, tensor<1xi32>) -> tensor<2x1xf32>
  %1 = "tfl.sub"(%arg0, %0) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<2x5xf32>, tensor<2x1xf32>) -> tensor<2x5xf32>
  %2 = "tfl.exp"(%1) : (tensor<2x5xf32>) -> tensor<2x5xf32>
  %3 = "tfl.sum"(%2, %axis) {keep_dims = true} : (tensor<2x5xf32>, tensor<1xi32>) -> tensor<2x1xf32>
  %4 = "tfl.div"(%2, %3) {fused_activation_function = "NONE"} : (tensor<2x5xf32>, tensor<2x1xf32>) -> tensor<2x5xf32>
  return %4 : tensor<2x5xf32>
}

// CHECK-LABEL: func.func @plain
func.func @plain(%arg0: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %axis = "tfl.pseudo_const"() {value = dense<1> : tensor<1xi32>} : () -> tensor<1xi32>
  // CHECK: %[[S:.*]] = "tfl.softmax"(%arg0)
  // CHECK-NEXT: return %[[S]]
  %0 = "tfl.exp"(%arg0) : (tensor<2x5xf32>) -> tensor<2x5xf32>
  %1 = "tfl.sum"(%0, %axis) {keep_dims = true} : (tensor<2x5xf32>, tensor<1xi32>) -> tensor<2x1xf32>
  %2 = "tfl.div"(%0, %1) {fused_activation_function = "NONE"} : (tensor<2x5xf32>, tensor<2x1xf32>) -> tensor<2x5xf32>
  return %2 : tensor<2x5xf32>
}

// A sum over the first axis normalizes columns: not tfl.softmax (which works on the last).
// CHECK-LABEL: func.func @negative_axis
func.func @negative_axis(%arg0: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %axis = "tfl.pseudo_const"() {value = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  // CHECK-NOT: tfl.softmax
  // CHECK: "tfl.div"
  %0 = "tfl.exp"(%arg0) : (tensor<2x5xf32>) -> tensor<2x5xf32>
  %1 = "tfl.sum"(%0, %axis) {keep_dims = true} : (tensor<2x5xf32>, tensor<1xi32>) -> tensor<1x5xf32>
  %2 = "tfl.div"(%0, %1) {fused_activation_function = "NONE"} : (tensor<2x5xf32>, tensor<1x5xf32>) -> tensor<2x5xf32>
  return %2 : tensor<2x5xf32>
}

// exp(x) is also returned: it must stay.
// CHECK-LABEL: func.func @negative_exp_used
func.func @negative_exp_used(%arg0: tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2x5xf32>) {
  %axis = "tfl.pseudo_const"() {value = dense<1> : tensor<1xi32>} : () -> tensor<1xi32>
  // CHECK-NOT: tfl.softmax
  // CHECK: "tfl.div"
  %0 = "tfl.exp"(%arg0) : (tensor<2x5xf32>) -> tensor<2x5xf32>
  %1 = "tfl.sum"(%0, %axis) {keep_dims = true} : (tensor<2x5xf32>, tensor<1xi32>) -> tensor<2x1xf32>
  %2 = "tfl.div"(%0, %1) {fused_activation_function = "NONE"} : (tensor<2x5xf32>, tensor<2x1xf32>) -> tensor<2x5xf32>
  return %2, %0 : tensor<2x5xf32>, tensor<2x5xf32>
}
