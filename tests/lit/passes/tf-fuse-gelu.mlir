// RUN: tfl-opt %s -p 'tf-fuse-gelu,tf-prepare' | filecheck %s

// Keras' exact GELU, 0.5 * x * erfc(-x / sqrt(2)), becomes one op; the pattern's ops die.
// CHECK-LABEL: func.func @keras_exact
// CHECK: %[[G:.*]] = "tf.Gelu"(%arg0) {approximate = false}
// CHECK-NOT: tf.Erfc
// CHECK: return %[[G]]
func.func @keras_exact(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %half = "tf.Const"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %k = "tf.Const"() {value = dense<0.707106769> : tensor<f32>} : () -> tensor<f32>
  %0 = "tf.Neg"(%arg0) : (tensor<4xf32>) -> tensor<4xf32>
  %1 = "tf.Mul"(%half, %arg0) : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = "tf.Mul"(%0, %k) : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %3 = "tf.Erfc"(%2) : (tensor<4xf32>) -> tensor<4xf32>
  %4 = "tf.Mul"(%1, %3) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %4 : tensor<4xf32>
}

// A multiply by something else is left alone.
// CHECK-LABEL: func.func @not_gelu
// CHECK-NOT: tf.Gelu
// CHECK: tf.Erfc
func.func @not_gelu(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %third = "tf.Const"() {value = dense<0.3> : tensor<f32>} : () -> tensor<f32>
  %k = "tf.Const"() {value = dense<0.707106769> : tensor<f32>} : () -> tensor<f32>
  %0 = "tf.Neg"(%arg0) : (tensor<4xf32>) -> tensor<4xf32>
  %1 = "tf.Mul"(%third, %arg0) : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = "tf.Mul"(%0, %k) : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %3 = "tf.Erfc"(%2) : (tensor<4xf32>) -> tensor<4xf32>
  %4 = "tf.Mul"(%1, %3) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %4 : tensor<4xf32>
}
