// RUN: tfl-opt %s -p 'tf-optimize-while' | filecheck %s

// The constant weight passed through the loop is sunk into the body; the dead accumulator that
// nobody reads goes away with the op computing it.
// CHECK-LABEL: func.func @loop
// CHECK: "tf.While"(%arg0, %arg1) {{.*}} : (tensor<i32>, tensor<2xf32>) -> (tensor<i32>, tensor<2xf32>)
// CHECK-LABEL: func.func private @body
// CHECK-SAME: (%arg0: tensor<i32>, %arg1: tensor<2xf32>)
// CHECK: "tf.Mul"(%arg1, %{{.*}})
// CHECK-NOT: tf.Sub
func.func @loop(%arg0: tensor<i32>, %arg1: tensor<2xf32>) -> tensor<2xf32> {
  %w = "tf.Const"() {value = dense<2.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %0:4 = "tf.While"(%arg0, %arg1, %w, %arg1) {body = @body, cond = @cond, T = [i32, f32, f32, f32]} : (tensor<i32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> (tensor<i32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>)
  return %0#1 : tensor<2xf32>
}
func.func private @cond(%arg0: tensor<i32>, %arg1: tensor<2xf32>, %arg2: tensor<2xf32>, %arg3: tensor<2xf32>) -> tensor<i1> {
  %c = "tf.Const"() {value = dense<0> : tensor<i32>} : () -> tensor<i32>
  %0 = "tf.Greater"(%arg0, %c) : (tensor<i32>, tensor<i32>) -> tensor<i1>
  return %0 : tensor<i1>
}
func.func private @body(%arg0: tensor<i32>, %arg1: tensor<2xf32>, %arg2: tensor<2xf32>, %arg3: tensor<2xf32>) -> (tensor<i32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
  %one = "tf.Const"() {value = dense<1> : tensor<i32>} : () -> tensor<i32>
  %0 = "tf.Sub"(%arg0, %one) : (tensor<i32>, tensor<i32>) -> tensor<i32>
  %1 = "tf.Mul"(%arg1, %arg2) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %2 = "tf.Sub"(%arg3, %arg1) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %0, %1, %arg2, %2 : tensor<i32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
}
