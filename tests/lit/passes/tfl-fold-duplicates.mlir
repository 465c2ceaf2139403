// RUN: tfl-opt %s -p 'tfl-fold-duplicates' | filecheck %s

// CHECK-LABEL: func.func @same_constants_and_ops
func.func @same_constants_and_ops(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: %[[C:.*]] = "tfl.pseudo_const"
  // CHECK-NEXT: %[[A:.*]] = "tfl.add"(%arg0, %[[C]])
  // CHECK-NEXT: "tfl.mul"(%[[A]], %[[A]])
  %0 = "tfl.pseudo_const"() {value = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %1 = "tfl.pseudo_const"() {value = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %2 = "tfl.add"(%arg0, %0) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %3 = "tfl.add"(%arg0, %1) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %4 = "tfl.mul"(%2, %3) {fused_activation_function = "NONE"} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %4 : tensor<4xf32>
}

// Different attributes, different constants and different types are different values.
// CHECK-LABEL: func.func @negative_differences
func.func @negative_differences(%arg0: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  // CHECK-COUNT-2: "tfl.pseudo_const"
  // CHECK-COUNT-3: "tfl.add"
  %0 = "tfl.pseudo_const"() {value = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %1 = "tfl.pseudo_const"() {value = dense<[1.0, 2.0, 3.0, 5.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %2 = "tfl.add"(%arg0, %0) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %3 = "tfl.add"(%arg0, %1) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %4 = "tfl.add"(%arg0, %0) {fused_activation_function = "RELU", pot_scale_int16 = true} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %2, %3, %4 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// A variable's reads before and after an assignment are different values.
// CHECK-LABEL: func.func @variable_reads
func.func @variable_reads(%arg0: tensor<f32>) -> (tensor<f32>, tensor<f32>) {
  // CHECK-COUNT-2: "tfl.read_variable"
  %h = "tfl.var_handle"() {container = "", shared_name = "v"} : () -> tensor<!tfl.resource>
  %0 = "tfl.read_variable"(%h) : (tensor<!tfl.resource>) -> tensor<f32>
  "tfl.assign_variable"(%h, %arg0) : (tensor<!tfl.resource>, tensor<f32>) -> ()
  %1 = "tfl.read_variable"(%h) : (tensor<!tfl.resource>) -> tensor<f32>
  return %0, %1 : tensor<f32>, tensor<f32>
}
