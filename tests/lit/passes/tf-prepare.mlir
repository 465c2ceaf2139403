// RUN: tfl-opt %s -p 'tf-prepare' | filecheck %s

// Identities go, static shapes fold, and constant shape arithmetic folds to one constant.
// CHECK-LABEL: func.func @flatten
// CHECK-NOT: tf.Identity
// CHECK-NOT: tf.Shape
// CHECK-NOT: tf.StridedSlice
// CHECK-NOT: tf.Pack
// CHECK: %[[S:.*]] = "tf.Const"() {dtype = i32, value = dense<[1, 12]> : tensor<2xi32>}
// CHECK: "tf.Reshape"(%arg0, %[[S]])
func.func @flatten(%arg0: tensor<1x3x4xf32>) -> tensor<1x12xf32> {
  %0 = "tf.Identity"(%arg0) {T = f32} : (tensor<1x3x4xf32>) -> tensor<1x3x4xf32>
  %1 = "tf.Shape"(%0) {T = f32, out_type = i32} : (tensor<1x3x4xf32>) -> tensor<3xi32>
  %b = "tf.Const"() {value = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %e = "tf.Const"() {value = dense<1> : tensor<1xi32>} : () -> tensor<1xi32>
  %2 = "tf.StridedSlice"(%1, %b, %e, %e) {begin_mask = 0 : i64, ellipsis_mask = 0 : i64, end_mask = 0 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 1 : i64} : (tensor<3xi32>, tensor<1xi32>, tensor<1xi32>, tensor<1xi32>) -> tensor<i32>
  %m = "tf.Const"() {value = dense<12> : tensor<i32>} : () -> tensor<i32>
  %3 = "tf.Pack"(%2, %m) {axis = 0 : i64} : (tensor<i32>, tensor<i32>) -> tensor<2xi32>
  %4 = "tf.Reshape"(%0, %3) : (tensor<1x3x4xf32>, tensor<2xi32>) -> tensor<1x12xf32>
  return %4 : tensor<1x12xf32>
}

// Writes of kept state stay although nothing reads their (absent) results, and so does a
// tf.If handed a variable, whose branches may assign it.
// CHECK-LABEL: func.func @assignments
// CHECK: "tf.AssignVariableOp"
// CHECK: "tf.If"
func.func @assignments(%arg0: tensor<f32>, %arg1: tensor<i1>) {
  %h = "tf.VarHandleOp"() {container = "", dtype = f32, shape = array<i64>, shared_name = "v"} : () -> tensor<!tf_type.resource>
  "tf.AssignVariableOp"(%h, %arg0) {dtype = f32} : (tensor<!tf_type.resource>, tensor<f32>) -> ()
  %0 = "tf.If"(%arg1, %h) {else_branch = @keep, then_branch = @keep} : (tensor<i1>, tensor<!tf_type.resource>) -> tensor<i32>
  return
}
func.func private @keep(%arg0: tensor<!tf_type.resource>) -> tensor<i32> {
  %0 = "tf.Const"() {value = dense<0> : tensor<i32>} : () -> tensor<i32>
  return %0 : tensor<i32>
}
