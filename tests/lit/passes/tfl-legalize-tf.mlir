// RUN: tfl-opt %s -p 'tfl-legalize-tf' --split-input-file | filecheck %s

// Conv2D + BiasAdd + Relu6 -> one conv_2d with the filter in OHWI, bias and activation fused.
// CHECK-LABEL: func.func @conv_bias_relu6
// CHECK-DAG: %[[W:.*]] = "tfl.pseudo_const"() {value = dense<1.000000e+00> : tensor<3x3x3x2xf32>}
// CHECK-DAG: %[[B:.*]] = "tfl.pseudo_const"() {value = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>}
// CHECK: "tfl.conv_2d"(%arg0, %[[W]], %[[B]])
// CHECK-SAME: fused_activation_function = "RELU6"
// CHECK-SAME: padding = "SAME"
// CHECK-SAME: stride_h = 2 : i32, stride_w = 2 : i32
// CHECK-NOT: tfl.add
// CHECK-NOT: tfl.relu6
func.func @conv_bias_relu6(%arg0: tensor<1x8x8x2xf32>) -> tensor<1x4x4x3xf32> {
  %w = "tf.Const"() {value = dense<1.0> : tensor<3x3x2x3xf32>} : () -> tensor<3x3x2x3xf32>
  %b = "tf.Const"() {value = dense<[1.0, 2.0, 3.0]> : tensor<3xf32>} : () -> tensor<3xf32>
  %0 = "tf.Conv2D"(%arg0, %w) {T = f32, data_format = "NHWC", dilations = [1, 1, 1, 1], padding = "SAME", strides = [1, 2, 2, 1]} : (tensor<1x8x8x2xf32>, tensor<3x3x2x3xf32>) -> tensor<1x4x4x3xf32>
  %1 = "tf.BiasAdd"(%0, %b) {T = f32, data_format = "NHWC"} : (tensor<1x4x4x3xf32>, tensor<3xf32>) -> tensor<1x4x4x3xf32>
  %2 = "tf.Relu6"(%1) {T = f32} : (tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32>
  return %2 : tensor<1x4x4x3xf32>
}

// -----

// MatMul with a constant right operand is a fully connected layer.
// CHECK-LABEL: func.func @dense
// CHECK: "tfl.fully_connected"(%arg0, %{{[0-9]+}}, %{{[0-9]+}})
// CHECK-SAME: fused_activation_function = "RELU"
func.func @dense(%arg0: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %w = "tf.Const"() {value = dense<0.5> : tensor<4x2xf32>} : () -> tensor<4x2xf32>
  %b = "tf.Const"() {value = dense<[1.0, -1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %0 = "tf.MatMul"(%arg0, %w) {T = f32, transpose_a = false, transpose_b = false} : (tensor<1x4xf32>, tensor<4x2xf32>) -> tensor<1x2xf32>
  %1 = "tf.BiasAdd"(%0, %b) {T = f32, data_format = "NHWC"} : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %2 = "tf.Relu"(%1) {T = f32} : (tensor<1x2xf32>) -> tensor<1x2xf32>
  return %2 : tensor<1x2xf32>
}

// -----

// Functional control flow keeps its bodies as functions referenced by symbol.
// CHECK-LABEL: func.func @loop
// CHECK: "tfl.while"(%arg0, %arg1) {body_subgraph_index = @body, cond_subgraph_index = @cond}
// CHECK-LABEL: func.func private @cond
// CHECK: "tfl.less"
// CHECK-LABEL: func.func private @body
// CHECK: "tfl.if"(%{{[0-9]+}}, %arg1) {else_subgraph_index = @twice, then_subgraph_index = @plus_one}
func.func @loop(%arg0: tensor<i32>, %arg1: tensor<2xf32>) -> tensor<2xf32> {
  %0:2 = "tf.StatelessWhile"(%arg0, %arg1) {body = @body, cond = @cond, T = [i32, f32]} : (tensor<i32>, tensor<2xf32>) -> (tensor<i32>, tensor<2xf32>)
  return %0#1 : tensor<2xf32>
}
func.func private @cond(%arg0: tensor<i32>, %arg1: tensor<2xf32>) -> tensor<i1> {
  %c = "tf.Const"() {value = dense<4> : tensor<i32>} : () -> tensor<i32>
  %0 = "tf.Less"(%arg0, %c) {T = i32} : (tensor<i32>, tensor<i32>) -> tensor<i1>
  return %0 : tensor<i1>
}
func.func private @body(%arg0: tensor<i32>, %arg1: tensor<2xf32>) -> (tensor<i32>, tensor<2xf32>) {
  %one = "tf.Const"() {value = dense<1> : tensor<i32>} : () -> tensor<i32>
  %two = "tf.Const"() {value = dense<2> : tensor<i32>} : () -> tensor<i32>
  %0 = "tf.AddV2"(%arg0, %one) {T = i32} : (tensor<i32>, tensor<i32>) -> tensor<i32>
  %1 = "tf.Greater"(%arg0, %two) {T = i32} : (tensor<i32>, tensor<i32>) -> tensor<i1>
  %2 = "tf.StatelessIf"(%1, %arg1) {then_branch = @plus_one, else_branch = @twice} : (tensor<i1>, tensor<2xf32>) -> tensor<2xf32>
  return %0, %2 : tensor<i32>, tensor<2xf32>
}
func.func private @plus_one(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  %c = "tf.Const"() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %0 = "tf.AddV2"(%arg0, %c) {T = f32} : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
func.func private @twice(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  %c = "tf.Const"() {value = dense<2.0> : tensor<f32>} : () -> tensor<f32>
  %0 = "tf.Mul"(%arg0, %c) {T = f32} : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// QAT: fake quantization of an activation becomes tfl.fake_quant with the trained range; of
// constant weights, it is applied to the values (narrow range: steps of 1/127, 1.5 -> 1.0;
// transposed for the fully connected layer).
// CHECK-LABEL: func.func @fake_quant
// CHECK: %[[X:.*]] = "tfl.fake_quant"(%arg0) {max = 1.000000e+00 : f32, min = -1.000000e+00 : f32, narrow_range = false, num_bits = 8 : i32}
// CHECK: "tfl.pseudo_const"() {value = dense<{{\[\[}}0.299212575, 1.000000e+00], [-0.259842515, 0.000000e+00]]> : tensor<2x2xf32>}
// CHECK: %[[Y:.*]] = "tfl.fully_connected"(%[[X]], {{.*}})
// CHECK: "tfl.fake_quant"(%[[Y]]) {max = 2.000000e+00 : f32, min = -3.000000e+00 : f32, narrow_range = false, num_bits = 8 : i32}
// CHECK-NOT: tf.FakeQuant
func.func @fake_quant(%arg0: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %lo = "tf.Const"() {value = dense<-1.0> : tensor<f32>} : () -> tensor<f32>
  %hi = "tf.Const"() {value = dense<1.0> : tensor<f32>} : () -> tensor<f32>
  %w = "tf.Const"() {value = dense<[[0.3, -0.26], [1.5, 0.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %0 = "tf.FakeQuantWithMinMaxVars"(%arg0, %lo, %hi) {narrow_range = false, num_bits = 8 : i64} : (tensor<1x2xf32>, tensor<f32>, tensor<f32>) -> tensor<1x2xf32>
  %1 = "tf.FakeQuantWithMinMaxVars"(%w, %lo, %hi) {narrow_range = true, num_bits = 8 : i64} : (tensor<2x2xf32>, tensor<f32>, tensor<f32>) -> tensor<2x2xf32>
  %2 = "tf.MatMul"(%0, %1) {T = f32, transpose_a = false, transpose_b = false} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  %3 = "tf.FakeQuantWithMinMaxArgs"(%2) {max = 2.0 : f32, min = -3.0 : f32, narrow_range = false, num_bits = 8 : i64} : (tensor<1x2xf32>) -> tensor<1x2xf32>
  return %3 : tensor<1x2xf32>
}

// -----

// Kept state: a variable's handle, reads and assignments become the resource builtins, and every
// signature calls the importer's initializer once first (the module attribute goes).
// CHECK-NOT: tf.initializer
// CHECK-LABEL: func.func @counter
// CHECK-NEXT: "tfl.call_once"() {init_subgraph_index = @init}
// CHECK-NEXT: %[[H:.*]] = "tfl.var_handle"() {container = "", shared_name = "count"} : () -> tensor<!tfl.resource>
// CHECK: %[[R:.*]] = "tfl.read_variable"(%[[H]])
// CHECK: %[[S:.*]] = "tfl.add"(%[[R]], %{{.*}})
// CHECK: "tfl.assign_variable"(%[[H]], %[[S]])
// CHECK: "tfl.read_variable"(%[[H]])
// CHECK-LABEL: func.func private @init
// CHECK-NOT: tfl.call_once
// CHECK: "tfl.assign_variable"
module attributes {tf.initializer = @init, tfl.signature_defs = [{function = @counter, inputs = [], key = "serving_default", outputs = [["output_0", 0 : i32]]}]} {
  func.func @counter() -> tensor<i32> {
    %h = "tf.VarHandleOp"() {container = "", dtype = i32, shape = array<i64>, shared_name = "count"} : () -> tensor<!tf_type.resource>
    %one = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<i32>
    "tf.AssignAddVariableOp"(%h, %one) {dtype = i32} : (tensor<!tf_type.resource>, tensor<i32>) -> ()
    %0 = "tf.ReadVariableOp"(%h) {dtype = i32} : (tensor<!tf_type.resource>) -> tensor<i32>
    return %0 : tensor<i32>
  }
  func.func private @init() {
    %h = "tf.VarHandleOp"() {container = "", dtype = i32, shape = array<i64>, shared_name = "count"} : () -> tensor<!tf_type.resource>
    %zero = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<i32>
    "tf.AssignVariableOp"(%h, %zero) : (tensor<!tf_type.resource>, tensor<i32>) -> ()
    return
  }
}

// -----

// A string -> int64 lookup table: strings take the tfl spelling (arguments, constants holding
// TFLite's string buffer, function types), and a lookup has the shape of its keys.
// CHECK-LABEL: func.func @lookup(%arg0: tensor<?x!tfl.string>) -> (tensor<?xi64>, tensor<i64>)
// CHECK: %[[T:.*]] = "tfl.hashtable"() {key_dtype = "STRING", table_id = {{[0-9]+}} : i32, value_dtype = "INT64"} : () -> tensor<1x!tfl.resource>
// CHECK: "tfl.hashtable_find"(%[[T]], %arg0, %{{.*}}) : (tensor<1x!tfl.resource>, tensor<?x!tfl.string>, tensor<i64>) -> tensor<?xi64>
// CHECK: "tfl.hashtable_size"(%[[T]])
// CHECK-LABEL: func.func private @fill
// CHECK: %[[K:.*]] = "tfl.pseudo_raw_const"() {value = dense<{{.*}}> : tensor<19xui8>} : () -> tensor<2x!tfl.string>
// CHECK: "tfl.hashtable_import"(%{{.*}}, %[[K]], %{{.*}})
module attributes {tf.initializer = @fill, tfl.signature_defs = [{function = @lookup, inputs = [["words", 0 : i32]], key = "serving_default", outputs = [["ids", 0 : i32], ["size", 1 : i32]]}]} {
  func.func @lookup(%arg0: tensor<?x!tf_type.string>) -> (tensor<*xi64>, tensor<i64>) {
    %t = "tf.HashTableV2"() {container = "", key_dtype = !tf_type.string, shared_name = "hash_table", value_dtype = i64} : () -> tensor<!tf_type.resource>
    %d = "tf.Const"() {dtype = i64, value = dense<-1> : tensor<i64>} : () -> tensor<i64>
    %0 = "tf.LookupTableFindV2"(%t, %arg0, %d) : (tensor<!tf_type.resource>, tensor<?x!tf_type.string>, tensor<i64>) -> tensor<*xi64>
    %1 = "tf.LookupTableSizeV2"(%t) : (tensor<!tf_type.resource>) -> tensor<i64>
    return %0, %1 : tensor<*xi64>, tensor<i64>
  }
  func.func private @fill() {
    %t = "tf.HashTableV2"() {container = "", key_dtype = !tf_type.string, shared_name = "hash_table", value_dtype = i64} : () -> tensor<!tf_type.resource>
    // "a" and "bc": count 2, offsets 16, 17, 19, then the bytes
    %k = "tf.Const"() {dtype = !tf_type.string, value = dense<[2, 0, 0, 0, 16, 0, 0, 0, 17, 0, 0, 0, 19, 0, 0, 0, 97, 98, 99]> : tensor<19xui8>} : () -> tensor<2x!tf_type.string>
    %v = "tf.Const"() {dtype = i64, value = dense<[1, 2]> : tensor<2xi64>} : () -> tensor<2xi64>
    "tf.LookupTableImportV2"(%t, %k, %v) : (tensor<!tf_type.resource>, tensor<2x!tf_type.string>, tensor<2xi64>) -> ()
    return
  }
}

// -----

// MatrixBandPart with constant bands: a select against a constant mask (num_upper = -1 keeps
// every element above the diagonal).
// CHECK-LABEL: func.func @band_part
// CHECK: %[[MASK:.*]] = "tfl.pseudo_const"() {value = dense<{{\[\[}}true, true, true], [true, true, true], [false, true, true]]> : tensor<3x3xi1>}
// CHECK: "tfl.select_v2"(%[[MASK]], %arg0, %{{.*}})
func.func @band_part(%arg0: tensor<2x3x3xf32>) -> tensor<2x3x3xf32> {
  %lower = "tf.Const"() {value = dense<1> : tensor<i64>} : () -> tensor<i64>
  %upper = "tf.Const"() {value = dense<-1> : tensor<i64>} : () -> tensor<i64>
  %0 = "tf.MatrixBandPart"(%arg0, %lower, %upper) {T = f32, Tindex = i64} : (tensor<2x3x3xf32>, tensor<i64>, tensor<i64>) -> tensor<2x3x3xf32>
  return %0 : tensor<2x3x3xf32>
}

// -----

// NonMaxSuppressionV3 selects a data-dependent count: TFLite's V4 pads to max_output_size, so
// the indices are sliced to the valid count.
// CHECK-LABEL: func.func @nms_v3
// CHECK: %[[NMS:.*]]:2 = "tfl.non_max_suppression_v4"(%arg0, %arg1, {{.*}}) : ({{.*}}) -> (tensor<4xi32>, tensor<i32>)
// CHECK: %[[SIZE:.*]] = "tfl.reshape"(%[[NMS]]#1, {{.*}}) {{.*}} -> tensor<1xi32>
// CHECK: "tfl.slice"(%[[NMS]]#0, {{.*}}, %[[SIZE]]) : ({{.*}}) -> tensor<?xi32>
func.func @nms_v3(%arg0: tensor<6x4xf32>, %arg1: tensor<6xf32>) -> tensor<?xi32> {
  %max = "tf.Const"() {value = dense<4> : tensor<i32>} : () -> tensor<i32>
  %iou = "tf.Const"() {value = dense<0.5> : tensor<f32>} : () -> tensor<f32>
  %score = "tf.Const"() {value = dense<0.1> : tensor<f32>} : () -> tensor<f32>
  %0 = "tf.NonMaxSuppressionV3"(%arg0, %arg1, %max, %iou, %score) {T = f32, T_threshold = f32} : (tensor<6x4xf32>, tensor<6xf32>, tensor<i32>, tensor<f32>, tensor<f32>) -> tensor<?xi32>
  return %0 : tensor<?xi32>
}

// -----

// Complex tensors pass through the tfl dialect as complex<f32>; random ops keep their seeds.
// CHECK-LABEL: func.func @rfft_abs
// CHECK: %[[F:.*]] = "tfl.rfft2d"(%arg0, {{.*}}) : ({{.*}}) -> tensor<2x4x5xcomplex<f32>>
// CHECK: "tfl.complex_abs"(%[[F]]) : (tensor<2x4x5xcomplex<f32>>) -> tensor<2x4x5xf32>
// CHECK: "tfl.random_uniform"({{.*}}) {seed = 87654321 : i64, seed2 = 7 : i64}
func.func @rfft_abs(%arg0: tensor<2x4x8xf32>) -> (tensor<2x4x5xf32>, tensor<3xf32>) {
  %len = "tf.Const"() {value = dense<[4, 8]> : tensor<2xi32>} : () -> tensor<2xi32>
  %0 = "tf.RFFT2D"(%arg0, %len) {Tcomplex = complex<f32>, Treal = f32} : (tensor<2x4x8xf32>, tensor<2xi32>) -> tensor<2x4x5xcomplex<f32>>
  %1 = "tf.ComplexAbs"(%0) {T = complex<f32>, Tout = f32} : (tensor<2x4x5xcomplex<f32>>) -> tensor<2x4x5xf32>
  %shape = "tf.Const"() {value = dense<3> : tensor<1xi32>} : () -> tensor<1xi32>
  %2 = "tf.RandomUniform"(%shape) {T = i32, dtype = f32, seed = 87654321 : i64, seed2 = 7 : i64} : (tensor<1xi32>) -> tensor<3xf32>
  return %1, %2 : tensor<2x4x5xf32>, tensor<3xf32>
}
