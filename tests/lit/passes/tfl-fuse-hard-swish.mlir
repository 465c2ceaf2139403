// RUN: tfl-opt %s -p 'tfl-fuse-hard-swish' | filecheck %s

// (x * relu6(x + 3)) * (1/6), the add with a fused RELU6.
// CHECK-LABEL: func.func @mul_sixth
func.func @mul_sixth(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %three = "tfl.pseudo_const"() {value = dense<3.0> : tensor<f32>} : () -> tensor<f32>
  %sixth = "tfl.pseudo_const"() {value = dense<0.166666672> : tensor<f32>} : () -> tensor<f32>
  // CHECK: %[[H:.*]] = "tfl.hard_swish"(%arg0) : (tensor<4xf32>) -> tensor<4xf32>
  // CHECK-NEXT: return %[[H]]
  %0 = "tfl.add"(%arg0, %three) {fused_activation_function = "RELU6", pot_scale_int16 = true} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = "tfl.mul"(%arg0, %0) {fused_activation_function = "NONE"} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = "tfl.mul"(%1, %sixth) {fused_activation_function = "NONE"} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %2 : tensor<4xf32>
}

// x * (relu6(x + 3) / 6), with a separate relu6.
// CHECK-LABEL: func.func @div_six
func.func @div_six(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %three = "tfl.pseudo_const"() {value = dense<3.0> : tensor<f32>} : () -> tensor<f32>
  %six = "tfl.pseudo_const"() {value = dense<6.0> : tensor<f32>} : () -> tensor<f32>
  // CHECK: %[[H:.*]] = "tfl.hard_swish"(%arg0)
  // CHECK-NEXT: return %[[H]]
  %0 = "tfl.add"(%three, %arg0) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = "tfl.relu6"(%0) : (tensor<4xf32>) -> tensor<4xf32>
  %2 = "tfl.div"(%1, %six) {fused_activation_function = "NONE"} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %3 = "tfl.mul"(%2, %arg0) {fused_activation_function = "NONE"} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %3 : tensor<4xf32>
}

// x + 2, not x + 3: a different function.
// CHECK-LABEL: func.func @negative_offset
func.func @negative_offset(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %two = "tfl.pseudo_const"() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %sixth = "tfl.pseudo_const"() {value = dense<0.166666672> : tensor<f32>} : () -> tensor<f32>
  // CHECK-NOT: tfl.hard_swish
  // CHECK: return
  %0 = "tfl.add"(%arg0, %two) {fused_activation_function = "RELU6", pot_scale_int16 = true} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = "tfl.mul"(%arg0, %0) {fused_activation_function = "NONE"} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = "tfl.mul"(%1, %sixth) {fused_activation_function = "NONE"} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %2 : tensor<4xf32>
}

// relu6(y + 3) of another tensor y is not hard swish of x.
// CHECK-LABEL: func.func @negative_other_tensor
func.func @negative_other_tensor(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> tensor<4xf32> {
  %three = "tfl.pseudo_const"() {value = dense<3.0> : tensor<f32>} : () -> tensor<f32>
  %sixth = "tfl.pseudo_const"() {value = dense<0.166666672> : tensor<f32>} : () -> tensor<f32>
  // CHECK-NOT: tfl.hard_swish
  // CHECK: return
  %0 = "tfl.add"(%arg1, %three) {fused_activation_function = "RELU6", pot_scale_int16 = true} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = "tfl.mul"(%arg0, %0) {fused_activation_function = "NONE"} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = "tfl.mul"(%1, %sixth) {fused_activation_function = "NONE"} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %2 : tensor<4xf32>
}
