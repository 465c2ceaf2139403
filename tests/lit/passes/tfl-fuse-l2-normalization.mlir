// RUN: tfl-opt %s -p 'tfl-fuse-l2-normalization' | filecheck %s

// tf.math.l2_normalize(x, axis=-1).
// CHECK-LABEL: func.func @l2_normalize
func.func @l2_normalize(%arg0: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %axis = "tfl.pseudo_const"() {value = dense<[-1]> : tensor<1xi32>} : () -> tensor<1xi32>
  %eps = "tfl.pseudo_const"() {value = dense<1.0e-12> : tensor<f32>} : () -> tensor<f32>
  // CHECK: %[[N:.*]] = "tfl.l2_normalization"(%arg0)
  // CHECK-NEXT: return %[[N]]
  %0 = "tfl.square"(%arg0) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %1 = "tfl.sum"(%0, %axis) {keep_dims = true} : (tensor<2x8xf32>, tensor<1xi32>) -> tensor<2x1xf32>
  %2 = "tfl.maximum"(%1, %eps) : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %3 = "tfl.rsqrt"(%2) : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %4 = "tfl.mul"(%arg0, %3) {fused_activation_function = "NONE"} : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  return %4 : tensor<2x8xf32>
}

// x / sqrt(sum(x * x)) without epsilon.
// CHECK-LABEL: func.func @div_sqrt
func.func @div_sqrt(%arg0: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %axis = "tfl.pseudo_const"() {value = dense<[1]> : tensor<1xi32>} : () -> tensor<1xi32>
  // CHECK: %[[N:.*]] = "tfl.l2_normalization"(%arg0)
  // CHECK-NEXT: return %[[N]]
  %0 = "tfl.mul"(%arg0, %arg0) {fused_activation_function = "NONE"} : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %1 = "tfl.sum"(%0, %axis) {keep_dims = true} : (tensor<2x8xf32>, tensor<1xi32>) -> tensor<2x1xf32>
  %2 = "tfl.sqrt"(%1) : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %3 = "tfl.div"(%arg0, %2) {fused_activation_function = "NONE"} : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  return %3 : tensor<2x8xf32>
}

// A large epsilon changes the function; so does a sum over the first axis.
// CHECK-LABEL: func.func @negative_eps_and_axis
func.func @negative_eps_and_axis(%arg0: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %last = "tfl.pseudo_const"() {value = dense<[-1]> : tensor<1xi32>} : () -> tensor<1xi32>
  %first = "tfl.pseudo_const"() {value = dense<[0]> : tensor<1xi32>} : () -> tensor<1xi32>
  %eps = "tfl.pseudo_const"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  // CHECK-NOT: tfl.l2_normalization
  // CHECK: return
  %0 = "tfl.square"(%arg0) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %1 = "tfl.sum"(%0, %last) {keep_dims = true} : (tensor<2x8xf32>, tensor<1xi32>) -> tensor<2x1xf32>
  %2 = "tfl.maximum"(%1, %eps) : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %3 = "tfl.rsqrt"(%2) : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %4 = "tfl.mul"(%arg0, %3) {fused_activation_function = "NONE"} : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  %5 = "tfl.square"(%arg0) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %6 = "tfl.sum"(%5, %first) {keep_dims = true} : (tensor<2x8xf32>, tensor<1xi32>) -> tensor<1x8xf32>
  %7 = "tfl.rsqrt"(%6) : (tensor<1x8xf32>) -> tensor<1x8xf32>
  %8 = "tfl.mul"(%arg0, %7) {fused_activation_function = "NONE"} : (tensor<2x8xf32>, tensor<1x8xf32>) -> tensor<2x8xf32>
  return %4, %8 : tensor<2x8xf32>, tensor<2x8xf32>
}
