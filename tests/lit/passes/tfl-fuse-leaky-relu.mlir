// RUN: tfl-opt %s -p 'tfl-fuse-leaky-relu' | filecheck %s

// CHECK-LABEL: func.func @leaky
func.func @leaky(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %a = "tfl.pseudo_const"() {value = dense<0.2> : tensor<f32>} : () -> tensor<f32>
  // CHECK: %[[L:.*]] = "tfl.leaky_relu"(%arg0) {alpha = 2.000000e-01 : f32}
  // CHECK-NEXT: return %[[L]]
  %0 = "tfl.mul"(%arg0, %a) {fused_activation_function = "NONE"} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = "tfl.maximum"(%0, %arg0) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// CHECK-LABEL: func.func @relu6_from_max_min
func.func @relu6_from_max_min(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %zero = "tfl.pseudo_const"() {value = dense<0.0> : tensor<f32>} : () -> tensor<f32>
  %six = "tfl.pseudo_const"() {value = dense<6.0> : tensor<f32>} : () -> tensor<f32>
  // CHECK: %[[R:.*]] = "tfl.relu6"(%arg0)
  // CHECK-NEXT: return %[[R]]
  %0 = "tfl.maximum"(%arg0, %zero) : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = "tfl.minimum"(%0, %six) : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// CHECK-LABEL: func.func @relu_n1_to_1
func.func @relu_n1_to_1(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %m1 = "tfl.pseudo_const"() {value = dense<-1.0> : tensor<f32>} : () -> tensor<f32>
  %p1 = "tfl.pseudo_const"() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  // CHECK: %[[R:.*]] = "tfl.relu_n1_to_1"(%arg0)
  // CHECK-NEXT: return %[[R]]
  %0 = "tfl.maximum"(%arg0, %m1) : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = "tfl.minimum"(%0, %p1) : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// A slope above 1 makes max(x, a*x) something else; a product of another tensor too.
// CHECK-LABEL: func.func @negative_slope_and_tensor
func.func @negative_slope_and_tensor(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %a = "tfl.pseudo_const"() {value = dense<1.5> : tensor<f32>} : () -> tensor<f32>
  %b = "tfl.pseudo_const"() {value = dense<0.1> : tensor<f32>} : () -> tensor<f32>
  // CHECK-NOT: tfl.leaky_relu
  // CHECK: return
  %0 = "tfl.mul"(%arg0, %a) {fused_activation_function = "NONE"} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = "tfl.maximum"(%arg0, %0) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = "tfl.mul"(%arg1, %b) {fused_activation_function = "NONE"} : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %3 = "tfl.maximum"(%arg0, %2) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %1, %3 : tensor<4xf32>, tensor<4xf32>
}

// min(x, 6) without a lower bound is not relu6.
// CHECK-LABEL: func.func @negative_min_only
func.func @negative_min_only(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %six = "tfl.pseudo_const"() {value = dense<6.0> : tensor<f32>} : () -> tensor<f32>
  // CHECK: "tfl.minimum"
  %0 = "tfl.minimum"(%arg0, %six) : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
