// RUN: tfl-opt %s -p 'tf-lower-tensor-list' | filecheck %s

// A list of 3 elements of shape [2] becomes a 3x2 tensor, through the loop that fills it.
// CHECK-LABEL: func.func @fill
// CHECK: "tf.While"
// CHECK-SAME: (tensor<i32>, tensor<3x2xf32>) -> (tensor<i32>, tensor<3x2xf32>)
// CHECK-NOT: TensorListStack
// CHECK-LABEL: func.func private @body
// CHECK-SAME: %arg1: tensor<3x2xf32>
// CHECK: "tfl.dynamic_update_slice"(%arg1
func.func @fill(%arg0: tensor<2xf32>) -> tensor<3x2xf32> {
  %shape = "tf.Const"() {value = dense<2> : tensor<1xi32>} : () -> tensor<1xi32>
  %n = "tf.Const"() {value = dense<3> : tensor<i32>} : () -> tensor<i32>
  %zero = "tf.Const"() {value = dense<0> : tensor<i32>} : () -> tensor<i32>
  %l = "tf.TensorListReserve"(%shape, %n) {element_dtype = f32, shape_type = i32} : (tensor<1xi32>, tensor<i32>) -> tensor<!tf_type.variant>
  %w:2 = "tf.While"(%zero, %l) {body = @body, cond = @cond} : (tensor<i32>, tensor<!tf_type.variant>) -> (tensor<i32>, tensor<!tf_type.variant>)
  %s = "tf.TensorListStack"(%w#1, %shape) {element_dtype = f32, num_elements = 3 : i64} : (tensor<!tf_type.variant>, tensor<1xi32>) -> tensor<3x2xf32>
  return %s : tensor<3x2xf32>
}
func.func private @cond(%arg0: tensor<i32>, %arg1: tensor<!tf_type.variant>) -> tensor<i1> {
  %c = "tf.Const"() {value = dense<3> : tensor<i32>} : () -> tensor<i32>
  %0 = "tf.Less"(%arg0, %c) : (tensor<i32>, tensor<i32>) -> tensor<i1>
  return %0 : tensor<i1>
}
func.func private @body(%arg0: tensor<i32>, %arg1: tensor<!tf_type.variant>) -> (tensor<i32>, tensor<!tf_type.variant>) {
  %one = "tf.Const"() {value = dense<1> : tensor<i32>} : () -> tensor<i32>
  %x = "tf.Const"() {value = dense<5.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %0 = "tf.TensorListSetItem"(%arg1, %arg0, %x) {element_dtype = f32} : (tensor<!tf_type.variant>, tensor<i32>, tensor<2xf32>) -> tensor<!tf_type.variant>
  %1 = "tf.AddV2"(%arg0, %one) : (tensor<i32>, tensor<i32>) -> tensor<i32>
  return %1, %0 : tensor<i32>, tensor<!tf_type.variant>
}
