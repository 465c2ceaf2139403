// RUN: tfl-opt %s -p 'tfl-fuse-gelu' | filecheck %s

// 0.5 * x * (1 + tanh(0.7978845608 * (x + 0.044715 * pow(x, 3)))).
// CHECK-LABEL: func.func @tanh_gelu_pow
func.func @tanh_gelu_pow(%arg0: tensor<8xf32>) -> tensor<8xf32> {
  %three = "tfl.pseudo_const"() {value = dense<3.0> : tensor<f32>} : () -> tensor<f32>
  %c = "tfl.pseudo_const"() {value = dense<0.044715> : tensor<f32>} : () -> tensor<f32>
  %k = "tfl.pseudo_const"() {value = dense<0.797884583> : tensor<f32>} : () -> tensor<f32>
  %one = "tfl.pseudo_const"() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %half = "tfl.pseudo_const"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  // CHECK: %[[G:.*]] = "tfl.gelu"(%arg0) {approximate = true}
  // CHECK-NEXT: return %[[G]]
  %0 = "tfl.pow"(%arg0, %three) : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %1 = "tfl.mul"(%0, %c) {fused_activation_function = "NONE"} : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %2 = "tfl.add"(%arg0, %1) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %3 = "tfl.mul"(%2, %k) {fused_activation_function = "NONE"} : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %4 = "tfl.tanh"(%3) : (tensor<8xf32>) -> tensor<8xf32>
  %5 = "tfl.add"(%4, %one) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %6 = "tfl.mul"(%arg0, %half) {fused_activation_function = "NONE"} : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %7 = "tfl.mul"(%6, %5) {fused_activation_function = "NONE"} : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %7 : tensor<8xf32>
}

// x * x * x, and the products grouped the other way.
// CHECK-LABEL: func.func @tanh_gelu_muls
func.func @tanh_gelu_muls(%arg0: tensor<8xf32>) -> tensor<8xf32> {
  %c = "tfl.pseudo_const"() {value = dense<0.044715> : tensor<f32>} : () -> tensor<f32>
  %k = "tfl.pseudo_const"() {value = dense<0.797884583> : tensor<f32>} : () -> tensor<f32>
  %one = "tfl.pseudo_const"() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %half = "tfl.pseudo_const"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  // CHECK: %[[G:.*]] = "tfl.gelu"(%arg0) {approximate = true}
  // CHECK-NEXT: return %[[G]]
  %0 = "tfl.mul"(%arg0, %arg0) {fused_activation_function = "NONE"} : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %1 = "tfl.mul"(%0, %arg0) {fused_activation_function = "NONE"} : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %2 = "tfl.mul"(%c, %1) {fused_activation_function = "NONE"} : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %3 = "tfl.add"(%2, %arg0) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %4 = "tfl.mul"(%k, %3) {fused_activation_function = "NONE"} : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %5 = "tfl.tanh"(%4) : (tensor<8xf32>) -> tensor<8xf32>
  %6 = "tfl.add"(%one, %5) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %7 = "tfl.mul"(%6, %half) {fused_activation_function = "NONE"} : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %8 = "tfl.mul"(%arg0, %7) {fused_activation_function = "NONE"} : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %8 : tensor<8xf32>
}

// A different cubic coefficient is another function.
// CHECK-LABEL: func.func @negative_coefficient
func.func @negative_coefficient(%arg0: tensor<8xf32>) -> tensor<8xf32> {
  %three = "tfl.pseudo_const"() {value = dense<3.0> : tensor<f32>} : () -> tensor<f32>
  %c = "tfl.pseudo_const"() {value = dense<0.1> : tensor<f32>} : () -> tensor<f32>
  %k = "tfl.pseudo_const"() {value = dense<0.797884583> : tensor<f32>} : () -> tensor<f32>
  %one = "tfl.pseudo_const"() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %half = "tfl.pseudo_const"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  // CHECK-NOT: tfl.gelu
  // CHECK: return
  %0 = "tfl.pow"(%arg0, %three) : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %1 = "tfl.mul"(%0, %c) {fused_activation_function = "NONE"} : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %2 = "tfl.add"(%arg0, %1) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %3 = "tfl.mul"(%2, %k) {fused_activation_function = "NONE"} : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %4 = "tfl.tanh"(%3) : (tensor<8xf32>) -> tensor<8xf32>
  %5 = "tfl.add"(%4, %one) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %6 = "tfl.mul"(%arg0, %half) {fused_activation_function = "NONE"} : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %7 = "tfl.mul"(%6, %5) {fused_activation_function = "NONE"} : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %7 : tensor<8xf32>
}

// tanh(...) also feeds a second output: it must stay.
// CHECK-LABEL: func.func @negative_shared_tanh
func.func @negative_shared_tanh(%arg0: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %three = "tfl.pseudo_const"() {value = dense<3.0> : tensor<f32>} : () -> tensor<f32>
  %c = "tfl.pseudo_const"() {value = dense<0.044715> : tensor<f32>} : () -> tensor<f32>
  %k = "tfl.pseudo_const"() {value = dense<0.797884583> : tensor<f32>} : () -> tensor<f32>
  %one = "tfl.pseudo_const"() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %half = "tfl.pseudo_const"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  // CHECK-NOT: tfl.gelu
  // CHECK: return
  %0 = "tfl.pow"(%arg0, %three) : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %1 = "tfl.mul"(%0, %c) {fused_activation_function = "NONE"} : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %2 = "tfl.add"(%arg0, %1) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %3 = "tfl.mul"(%2, %k) {fused_activation_function = "NONE"} : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %4 = "tfl.tanh"(%3) : (tensor<8xf32>) -> tensor<8xf32>
  %5 = "tfl.add"(%4, %one) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %6 = "tfl.mul"(%arg0, %half) {fused_activation_function = "NONE"} : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %7 = "tfl.mul"(%6, %5) {fused_activation_function = "NONE"} : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %7, %4 : tensor<8xf32>, tensor<8xf32>
}
