// RUN: tfl-opt %s -p 'tfl-legalize-to-tosa' --split-input-file --verify-diagnostics

// What tfl-legalize-to-tosa refuses, each an error at the op (the positive cases are in
// tfl-legalize-to-tosa.mlir).

func.func @no_lowering(%arg0: tensor<1x4xf32>) -> tensor<1x4xf32> {
  // expected-error@+1 {{'tfl.log_softmax' op has no lowering to TOSA}}
  %0 = "tfl.log_softmax"(%arg0) : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// -----

func.func @non_constant_indices(%arg0: tensor<4x2xf32>, %arg1: tensor<3xi32>) -> tensor<3x2xf32> {
  // expected-error@+1 {{'tfl.gather' op is not lowered to TOSA: gather indices must be constant}}
  %0 = "tfl.gather"(%arg0, %arg1) {axis = 0 : i32, batch_dims = 0 : i32} : (tensor<4x2xf32>, tensor<3xi32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @quantized(%arg0: tensor<1x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.5:-3>> {
  // expected-error@+1 {{'tfl.log_softmax' op on quantized tensors has no lowering to TOSA}}
  %0 = "tfl.log_softmax"(%arg0) : (tensor<1x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.5:-3>>
  return %0 : tensor<1x4x!quant.uniform<i8:f32, 0.5:-3>>
}

// -----

func.func @int16(%arg0: tensor<1x4x!quant.uniform<i16:f32, 0.5>>) -> tensor<1x4x!quant.uniform<i16:f32, 0.5>> {
  // expected-error@+1 {{'tfl.relu' op on tensor<1x4x!quant.uniform<i16:f32, 5.000000e-01>> is not lowered to TOSA: only int8 quantization}}
  %0 = "tfl.relu"(%arg0) : (tensor<1x4x!quant.uniform<i16:f32, 0.5>>) -> tensor<1x4x!quant.uniform<i16:f32, 0.5>>
  return %0 : tensor<1x4x!quant.uniform<i16:f32, 0.5>>
}

// -----

func.func @dynamic(%arg0: tensor<?x4xf32>) -> tensor<?x4xf32> {
  // expected-error@+1 {{'tfl.relu' op on tensor<?x4xf32> is not lowered to TOSA}}
  %0 = "tfl.relu"(%arg0) : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

func.func @non_constant_axes(%arg0: tensor<2x4xf32>, %axes: tensor<1xi32>) -> tensor<2xf32> {
  // expected-error@+1 {{'tfl.mean' op is not lowered to TOSA: reduction axes must be constant}}
  %0 = "tfl.mean"(%arg0, %axes) {keep_dims = false} : (tensor<2x4xf32>, tensor<1xi32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
