// RUN: tfl-opt %s -p 'tfl-fuse-prelu' | filecheck %s

// Keras PReLU: relu(x) + (-alpha) * relu(-x).
// CHECK-LABEL: func.func @keras_prelu
func.func @keras_prelu(%arg0: tensor<1x4x3xf32>) -> tensor<1x4x3xf32> {
  %c = "tfl.pseudo_const"() {value = dense<[-0.25, -0.5, -0.125]> : tensor<3xf32>} : () -> tensor<3xf32>
  // CHECK: %[[A:.*]] = "tfl.pseudo_const"() {value = dense<[2.500000e-01, 5.000000e-01, 1.250000e-01]> : tensor<3xf32>}
  // CHECK-NEXT: %[[P:.*]] = "tfl.prelu"(%arg0, %[[A]])
  // CHECK-NEXT: return %[[P]]
  %0 = "tfl.relu"(%arg0) : (tensor<1x4x3xf32>) -> tensor<1x4x3xf32>
  %1 = "tfl.neg"(%arg0) : (tensor<1x4x3xf32>) -> tensor<1x4x3xf32>
  %2 = "tfl.relu"(%1) : (tensor<1x4x3xf32>) -> tensor<1x4x3xf32>
  %3 = "tfl.mul"(%c, %2) {fused_activation_function = "NONE"} : (tensor<3xf32>, tensor<1x4x3xf32>) -> tensor<1x4x3xf32>
  %4 = "tfl.add"(%0, %3) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<1x4x3xf32>, tensor<1x4x3xf32>) -> tensor<1x4x3xf32>
  return %4 : tensor<1x4x3xf32>
}

// relu(y) + c * relu(-x): two different tensors.
// CHECK-LABEL: func.func @negative_two_tensors
func.func @negative_two_tensors(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> tensor<4xf32> {
  %c = "tfl.pseudo_const"() {value = dense<-0.25> : tensor<f32>} : () -> tensor<f32>
  // CHECK-NOT: tfl.prelu
  // CHECK: "tfl.add"
  %0 = "tfl.relu"(%arg1) : (tensor<4xf32>) -> tensor<4xf32>
  %1 = "tfl.neg"(%arg0) : (tensor<4xf32>) -> tensor<4xf32>
  %2 = "tfl.relu"(%1) : (tensor<4xf32>) -> tensor<4xf32>
  %3 = "tfl.mul"(%c, %2) {fused_activation_function = "NONE"} : (tensor<f32>, tensor<4xf32>) -> tensor<4xf32>
  %4 = "tfl.add"(%0, %3) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %4 : tensor<4xf32>
}
