// RUN: tfl-translate --mlir-to-tflite %s -o %t.tflite
// RUN: tfl-translate --tflite-to-mlir %t.tflite -o %t.mlir
// RUN: filecheck %s --input-file %t.mlir
// Exporting the re-imported text gives the same flatbuffer, and that prints the same text.
// RUN: tfl-translate --mlir-to-tflite %t.mlir -o %t2.tflite
// RUN: tfl-translate --tflite-to-mlir %t2.tflite -o %t2.mlir
// RUN: diff %t.mlir %t2.mlir

// CHECK: module attributes {tfl.description = "round trip", tfl.metadata = {{\[}}["min_runtime_version", dense<[49, 46, 53]> : tensor<3xui8>]], tfl.schema_version = 3 : i32, tfl.signature_defs = [{function = @main, inputs = {{\[}}["image", 0 : i32]], key = "serving_default", outputs = {{\[}}["scores", 0 : i32], ["count", 1 : i32]]}]}
module attributes {tfl.description = "round trip", tfl.metadata = [["min_runtime_version", dense<[49, 46, 53]> : tensor<3xui8>]], tfl.schema_version = 3 : i32, tfl.signature_defs = [{function = @main, inputs = [["image", 0 : i32]], key = "serving_default", outputs = [["scores", 0 : i32], ["count", 1 : i32]]}]} {
  // CHECK-LABEL: func.func @main(%arg0: tensor<1x4x4x2x!quant.uniform<i8:f32, 5.000000e-01:-3>> loc("image"))
  func.func @main(%arg0: tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-3>> loc("image")) -> (tensor<1x4x4x3x!quant.uniform<i8:f32, 2.500000e-01:1>>, tensor<i32>) {
    // Per-axis weights, an int32 bias and an absent optional input.
    // The flatbuffer has no narrow-range flag: storage comes back as the full i8 range. Scales are
    // float32 in the flatbuffer and print as the exact float32 value.
    // CHECK: "tfl.pseudo_qconst"() {qtype = tensor<3x1x1x2x!quant.uniform<i8:f32:0, {0.10000000149011612,0.20000000298023224,0.30000001192092896}>>, value = dense<{{\[}}{{\[}}{{\[}}[1, 2]]], {{\[}}{{\[}}[3, 4]]], {{\[}}{{\[}}[5, -127]]]]> : tensor<3x1x1x2xi8>}
    %w = "tfl.pseudo_qconst"() {qtype = tensor<3x1x1x2x!quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2, 0.3}>>, value = dense<[[[[1, 2]]], [[[3, 4]]], [[[5, -127]]]]> : tensor<3x1x1x2xi8>} : () -> tensor<3x1x1x2x!quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2, 0.3}>> loc("weights")
    // CHECK: "tfl.pseudo_qconst"() {qtype = tensor<3x!quant.uniform<i32:f32:0, {0.05000000074505806,0.10000000149011612,0.15000000596046448}>>
    %b = "tfl.pseudo_qconst"() {qtype = tensor<3x!quant.uniform<i32:f32:0, {0.05, 0.1, 0.15}>>, value = dense<[10, -20, 30]> : tensor<3xi32>} : () -> tensor<3x!quant.uniform<i32:f32:0, {0.05, 0.1, 0.15}>> loc("bias")
    // A version other than the one the versioning rules give (3 for int8) is kept as written.
    // CHECK: "tfl.conv_2d"(%arg0, %{{.*}}, %{{.*}}) {dilation_h_factor = 1 : i32, dilation_w_factor = 1 : i32, fused_activation_function = "RELU6", padding = "SAME", quantized_bias_type = "FLOAT32", stride_h = 1 : i32, stride_w = 1 : i32, tfl.version = 4 : i32}
    %0 = "tfl.conv_2d"(%arg0, %w, %b) {dilation_h_factor = 1 : i32, dilation_w_factor = 1 : i32, fused_activation_function = "RELU6", padding = "SAME", quantized_bias_type = "FLOAT32", stride_h = 1 : i32, stride_w = 1 : i32, tfl.version = 4 : i32} : (tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-3>>, tensor<3x1x1x2x!quant.uniform<i8<-127:127>:f32:0, {0.1, 0.2, 0.3}>>, tensor<3x!quant.uniform<i32:f32:0, {0.05, 0.1, 0.15}>>) -> tensor<1x4x4x3x!quant.uniform<i8:f32, 0.25:1>> loc("conv")
    // CHECK: %[[NONE:.*]] = "tfl.no_value"() {value} : () -> none
    %none = "tfl.no_value"() {value} : () -> none
    // CHECK: "tfl.custom"(%{{.*}}, %[[NONE]]) {custom_code = "MyCustomOp", custom_option = dense<[1, 2, 255]> : tensor<3xui8>}
    %1 = "tfl.custom"(%0, %none) {custom_code = "MyCustomOp", custom_option = dense<[1, 2, 255]> : tensor<3xui8>} : (tensor<1x4x4x3x!quant.uniform<i8:f32, 0.25:1>>, none) -> tensor<1x4x4x3x!quant.uniform<i8:f32, 0.25:1>> loc("custom")
    %zero = "tfl.pseudo_const"() {value = dense<0> : tensor<i32>} : () -> tensor<i32> loc("zero")
    // Control flow: bodies are functions referenced by symbol.
    // CHECK: "tfl.while"(%{{.*}}) {body_subgraph_index = @body, cond_subgraph_index = @cond} : (tensor<i32>) -> tensor<i32> loc([[LOOP:#loc[0-9]+]])
    %2 = "tfl.while"(%zero) {body_subgraph_index = @body, cond_subgraph_index = @cond} : (tensor<i32>) -> tensor<i32> loc("loop")
    // CHECK: return
    return %1, %2 : tensor<1x4x4x3x!quant.uniform<i8:f32, 0.25:1>>, tensor<i32>
  }
  // CHECK-LABEL: func.func @cond(%arg0: tensor<i32> loc("i")) -> tensor<i1>
  func.func @cond(%arg0: tensor<i32> loc("i")) -> tensor<i1> {
    %limit = "tfl.pseudo_const"() {value = dense<5> : tensor<i32>} : () -> tensor<i32> loc("limit")
    // CHECK: "tfl.less"
    %0 = "tfl.less"(%arg0, %limit) : (tensor<i32>, tensor<i32>) -> tensor<i1> loc("less")
    return %0 : tensor<i1>
  }
  // CHECK-LABEL: func.func @body(%arg0: tensor<i32> loc("j")) -> tensor<i32>
  func.func @body(%arg0: tensor<i32> loc("j")) -> tensor<i32> {
    // A float16 weight kept as float16 with its DEQUANTIZE.
    // CHECK: "tfl.pseudo_const"() {value = dense<1.500000e+00> : tensor<2xf16>}
    %h = "tfl.pseudo_const"() {value = dense<1.5> : tensor<2xf16>} : () -> tensor<2xf16> loc("half")
    %f = "tfl.dequantize"(%h) : (tensor<2xf16>) -> tensor<2xf32> loc("dequantized")
    %one = "tfl.pseudo_const"() {value = dense<1> : tensor<i32>} : () -> tensor<i32> loc("one")
    // CHECK: "tfl.add"
    %0 = "tfl.add"(%arg0, %one) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<i32>, tensor<i32>) -> tensor<i32> loc("next")
    return %0 : tensor<i32>
  }
}
// Tensor names survive as locations.
// CHECK: [[LOOP]] = loc("loop")
