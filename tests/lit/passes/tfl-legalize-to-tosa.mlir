// RUN: tfl-opt %s -p 'tfl-legalize-to-tosa' --split-input-file | filecheck %s

// SAME padding with stride 2 on 8 pads (0, 1) per axis; RELU6 becomes a clamp; the filter stays
// OHWI and the bias is the third operand.
// CHECK-LABEL: func.func @conv_same_stride2
// CHECK-NOT: tfl.
// CHECK: %[[W:.*]] = "tosa.const"() <{values = dense<1.000000e+00> : tensor<2x3x3x3xf32>}>
// CHECK: %[[B:.*]] = "tosa.const"() <{values = dense<5.000000e-01> : tensor<2xf32>}>
// CHECK: %[[C:.*]] = tosa.conv2d %arg0, %[[W]], %[[B]], %{{.*}}, %{{.*}} {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 1, 0, 1>, stride = array<i64: 2, 2>}
// CHECK-SAME: -> tensor<1x4x4x2xf32>
// CHECK: %[[R:.*]] = tosa.clamp %[[C]] {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32}
// CHECK: return %[[R]]
func.func @conv_same_stride2(%arg0: tensor<1x8x8x3xf32>) -> tensor<1x4x4x2xf32> {
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2x3x3x3xf32>} : () -> tensor<2x3x3x3xf32>
  %b = "tfl.pseudo_const"() {value = dense<0.5> : tensor<2xf32>} : () -> tensor<2xf32>
  %0 = "tfl.conv_2d"(%arg0, %w, %b) {dilation_h_factor = 1 : i32, dilation_w_factor = 1 : i32, fused_activation_function = "RELU6", padding = "SAME", quantized_bias_type = "FLOAT32", stride_h = 2 : i32, stride_w = 2 : i32} : (tensor<1x8x8x3xf32>, tensor<2x3x3x3xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  return %0 : tensor<1x4x4x2xf32>
}

// -----

// A 1x1 stride-2 conv on 7 rows reads rows 0, 2, 4, 6; VALID on 8 rows never reads row 7, and
// TOSA wants the input to end at the last window: slice it off.
// CHECK-LABEL: func.func @conv_valid_drops_rows
// CHECK: %[[S:.*]] = tosa.slice %arg0
// CHECK-SAME: -> tensor<1x7x7x4xf32>
// CHECK: tosa.conv2d %[[S]], {{.*}} pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>
func.func @conv_valid_drops_rows(%arg0: tensor<1x8x8x4xf32>) -> tensor<1x4x4x2xf32> {
  %w = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2x1x1x4xf32>} : () -> tensor<2x1x1x4xf32>
  %b = "tfl.pseudo_const"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %0 = "tfl.conv_2d"(%arg0, %w, %b) {dilation_h_factor = 1 : i32, dilation_w_factor = 1 : i32, fused_activation_function = "NONE", padding = "VALID", quantized_bias_type = "FLOAT32", stride_h = 2 : i32, stride_w = 2 : i32} : (tensor<1x8x8x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  return %0 : tensor<1x4x4x2xf32>
}

// -----

// The 1x3x3x2 depthwise filter becomes TOSA's HWCM 3x3x2x1 at compile time.
// CHECK-LABEL: func.func @depthwise
// CHECK: %[[W:.*]] = "tosa.const"() <{values = dense<{{.*}}> : tensor<3x3x2x1xf32>}>
// CHECK: tosa.depthwise_conv2d %arg0, %[[W]], {{.*}} pad = array<i64: 1, 1, 1, 1>
// CHECK-NOT: tosa.clamp
func.func @depthwise(%arg0: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %w = "tfl.pseudo_const"() {value = dense<2.0> : tensor<1x3x3x2xf32>} : () -> tensor<1x3x3x2xf32>
  %b = "tfl.pseudo_const"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %0 = "tfl.depthwise_conv_2d"(%arg0, %w, %b) {depth_multiplier = 1 : i32, dilation_h_factor = 1 : i32, dilation_w_factor = 1 : i32, fused_activation_function = "NONE", padding = "SAME", stride_h = 1 : i32, stride_w = 1 : i32} : (tensor<1x4x4x2xf32>, tensor<1x3x3x2xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  return %0 : tensor<1x4x4x2xf32>
}

// -----

// fully_connected: weights transposed to 1xIxO at compile time, a matmul, the bias added.
// CHECK-LABEL: func.func @fully_connected_softmax
// CHECK: %[[X:.*]] = tosa.reshape %arg0, {{.*}} -> tensor<1x1x4xf32>
// CHECK: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[}}1.000000e+00, 5.000000e+00], [2.000000e+00, 6.000000e+00], [3.000000e+00, 7.000000e+00], [4.000000e+00, 8.000000e+00]]]> : tensor<1x4x2xf32>}>
// CHECK: %[[M:.*]] = tosa.matmul %[[X]], %[[W]], {{.*}} -> tensor<1x1x2xf32>
// CHECK: %[[A:.*]] = tosa.add %[[M]], %{{.*}} : (tensor<1x1x2xf32>, tensor<1x1x2xf32>)
// CHECK: %[[Y:.*]] = tosa.reshape %[[A]], {{.*}} -> tensor<1x2xf32>
// CHECK: %[[MAX:.*]] = tosa.reduce_max %[[Y]] {axis = 1 : i32}
// CHECK: %[[D:.*]] = tosa.sub %[[Y]], %[[MAX]]
// CHECK: %[[E:.*]] = tosa.exp %[[D]]
// CHECK: %[[S:.*]] = tosa.reduce_sum %[[E]] {axis = 1 : i32}
// CHECK: %[[I:.*]] = tosa.reciprocal %[[S]]
// CHECK: tosa.mul %[[E]], %[[I]], %{{.*}} : (tensor<1x2xf32>, tensor<1x1xf32>, tensor<1xi8>)
func.func @fully_connected_softmax(%arg0: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %w = "tfl.pseudo_const"() {value = dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>} : () -> tensor<2x4xf32>
  %b = "tfl.pseudo_const"() {value = dense<[1.0, 2.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %0 = "tfl.fully_connected"(%arg0, %w, %b) {asymmetric_quantize_inputs = false, fused_activation_function = "NONE", keep_num_dims = false, quantized_bias_type = "FLOAT32", weights_format = "DEFAULT"} : (tensor<1x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %1 = "tfl.softmax"(%0) {beta = 1.0 : f32} : (tensor<1x2xf32>) -> tensor<1x2xf32>
  return %1 : tensor<1x2xf32>
}

// -----

// mean over H and W: two reduce_sums, a multiply by 1/count, a reshape dropping the axes.
// CHECK-LABEL: func.func @mean_add_relu
// CHECK: %[[S1:.*]] = tosa.reduce_sum %arg0 {axis = 1 : i32} {{.*}} -> tensor<1x1x5x3xf32>
// CHECK: %[[S2:.*]] = tosa.reduce_sum %[[S1]] {axis = 2 : i32} {{.*}} -> tensor<1x1x1x3xf32>
// CHECK: "tosa.const"() <{values = dense<5.000000e-02> : tensor<1x1x1x1xf32>}>
// CHECK: %[[M:.*]] = tosa.mul %[[S2]]
// CHECK: %[[R:.*]] = tosa.reshape %[[M]], {{.*}} -> tensor<1x3xf32>
// CHECK: %[[C:.*]] = tosa.reshape %{{.*}} : (tensor<3xf32>, !tosa.shape<2>) -> tensor<1x3xf32>
// CHECK: %[[A:.*]] = tosa.add %[[R]], %[[C]]
// CHECK: tosa.clamp %[[A]] {max_val = 3.40282347E+38 : f32, min_val = 0.000000e+00 : f32}
func.func @mean_add_relu(%arg0: tensor<1x4x5x3xf32>) -> tensor<1x3xf32> {
  %axes = "tfl.pseudo_const"() {value = dense<[1, 2]> : tensor<2xi32>} : () -> tensor<2xi32>
  %c = "tfl.pseudo_const"() {value = dense<[1.0, 2.0, 3.0]> : tensor<3xf32>} : () -> tensor<3xf32>
  %0 = "tfl.mean"(%arg0, %axes) {keep_dims = false} : (tensor<1x4x5x3xf32>, tensor<2xi32>) -> tensor<1x3xf32>
  %1 = "tfl.add"(%0, %c) {fused_activation_function = "RELU", pot_scale_int16 = true} : (tensor<1x3xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  return %1 : tensor<1x3xf32>
}

// -----

// CHECK-LABEL: func.func @pool_pad_concat_transpose
// CHECK: tosa.avg_pool2d %arg0, {{.*}} {acc_type = f32, kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>}
// CHECK: tosa.max_pool2d %arg0 {kernel = array<i64: 3, 3>, pad = array<i64: 0, 1, 0, 1>, stride = array<i64: 2, 2>}
// CHECK: tosa.concat {{.*}} {axis = 3 : i32}
// CHECK: tosa.pad {{.*}} -> tensor<1x4x2x4xf32>
// CHECK: tosa.transpose {{.*}} {perms = array<i32: 0, 3, 1, 2>}
// CHECK-NOT: tfl.
func.func @pool_pad_concat_transpose(%arg0: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %0 = "tfl.average_pool_2d"(%arg0) {filter_height = 2 : i32, filter_width = 2 : i32, fused_activation_function = "NONE", padding = "VALID", stride_h = 2 : i32, stride_w = 2 : i32} : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  %1 = "tfl.max_pool_2d"(%arg0) {filter_height = 3 : i32, filter_width = 3 : i32, fused_activation_function = "NONE", padding = "SAME", stride_h = 2 : i32, stride_w = 2 : i32} : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  %2 = "tfl.concatenation"(%0, %1) {axis = 3 : i32, fused_activation_function = "NONE"} : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x4xf32>
  %p = "tfl.pseudo_const"() {value = dense<[[0, 0], [1, 1], [0, 0], [0, 0]]> : tensor<4x2xi32>} : () -> tensor<4x2xi32>
  %3 = "tfl.pad"(%2, %p) : (tensor<1x2x2x4xf32>, tensor<4x2xi32>) -> tensor<1x4x2x4xf32>
  %perm = "tfl.pseudo_const"() {value = dense<[0, 3, 1, 2]> : tensor<4xi32>} : () -> tensor<4xi32>
  %4 = "tfl.transpose"(%3, %perm) : (tensor<1x4x2x4xf32>, tensor<4xi32>) -> tensor<1x4x4x2xf32>
  return %4 : tensor<1x4x4x2xf32>
}

// -----

// float16 weights widen at compile time; SAME transpose conv 4 -> 8 crops one row and column at
// the end of the full 9x9 result.
// CHECK-LABEL: func.func @f16_weights_transpose_conv
// CHECK-NOT: tfl.
// CHECK: %[[W:.*]] = "tosa.const"() <{values = dense<1.000000e+00> : tensor<2x3x3x3xf32>}>
// CHECK: tosa.transpose_conv2d %arg0, %[[W]], {{.*}} {acc_type = f32, out_pad = array<i64: 0, -1, 0, -1>, stride = array<i64: 2, 2>}
// CHECK-SAME: -> tensor<1x8x8x2xf32>
func.func @f16_weights_transpose_conv(%arg0: tensor<1x4x4x3xf32>) -> tensor<1x8x8x2xf32> {
  %s = "tfl.pseudo_const"() {value = dense<[1, 8, 8, 2]> : tensor<4xi32>} : () -> tensor<4xi32>
  %h = "tfl.pseudo_const"() {value = dense<1.0> : tensor<2x3x3x3xf16>} : () -> tensor<2x3x3x3xf16>
  %w = "tfl.dequantize"(%h) : (tensor<2x3x3x3xf16>) -> tensor<2x3x3x3xf32>
  %b = "tfl.pseudo_const"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %0 = "tfl.transpose_conv"(%s, %w, %arg0, %b) {fused_activation_function = "NONE", padding = "SAME", quantized_bias_type = "FLOAT32", stride_h = 2 : i32, stride_w = 2 : i32} : (tensor<4xi32>, tensor<2x3x3x3xf32>, tensor<1x4x4x3xf32>, tensor<2xf32>) -> tensor<1x8x8x2xf32>
  return %0 : tensor<1x8x8x2xf32>
}

// -----

// Stride 2 on 5 rows: pad to 6, view as 3x2, keep phase 0. Half-pixel bilinear resize 3 -> 6:
// input y = (6·out − 3) / 12 (scale 12/6, offset −3), border 3 makes the output 6 rows.
// CHECK-LABEL: func.func @strided_slice_resize
// CHECK: %[[P:.*]] = tosa.pad %arg0, {{.*}} -> tensor<1x6x6x2xf32>
// CHECK: %[[R:.*]] = tosa.reshape %[[P]], {{.*}} -> tensor<1x3x2x6x2xf32>
// CHECK: tosa.slice %[[R]], {{.*}} -> tensor<1x3x1x6x2xf32>
// CHECK: tosa.reshape {{.*}} -> tensor<1x3x2x3x2xf32>
// CHECK: %[[S:.*]] = tosa.const_shape {{.*}}values = dense<[12, 6, 8, 4]> : tensor<4xindex>
// CHECK: %[[O:.*]] = tosa.const_shape {{.*}}values = dense<[-3, -2]> : tensor<2xindex>
// CHECK: %[[B:.*]] = tosa.const_shape {{.*}}values = dense<[3, 2]> : tensor<2xindex>
// CHECK: tosa.resize %{{.*}}, %[[S]], %[[O]], %[[B]] {mode = BILINEAR} : (tensor<1x3x2x2xf32>
func.func @strided_slice_resize(%arg0: tensor<1x5x6x2xf32>) -> tensor<1x6x4x2xf32> {
  %b = "tfl.pseudo_const"() {value = dense<[0, 0, 0, 0]> : tensor<4xi32>} : () -> tensor<4xi32>
  %e = "tfl.pseudo_const"() {value = dense<[1, 5, 6, 2]> : tensor<4xi32>} : () -> tensor<4xi32>
  %s = "tfl.pseudo_const"() {value = dense<[1, 2, 3, 1]> : tensor<4xi32>} : () -> tensor<4xi32>
  %0 = "tfl.strided_slice"(%arg0, %b, %e, %s) {begin_mask = 0 : i32, ellipsis_mask = 0 : i32, end_mask = 0 : i32, new_axis_mask = 0 : i32, offset = false, shrink_axis_mask = 0 : i32} : (tensor<1x5x6x2xf32>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>) -> tensor<1x3x2x2xf32>
  %size = "tfl.pseudo_const"() {value = dense<[6, 4]> : tensor<2xi32>} : () -> tensor<2xi32>
  %1 = "tfl.resize_bilinear"(%0, %size) {align_corners = false, half_pixel_centers = true} : (tensor<1x3x2x2xf32>, tensor<2xi32>) -> tensor<1x6x4x2xf32>
  return %1 : tensor<1x6x4x2xf32>
}

// -----

// int8: the function takes and returns the stored i8; the conv accumulates in i32 with the
// input zero point as an operand and requantizes per channel by 0.5·{0.01, 0.02}/0.125 =
// {0.64, 0.64}·2^{-4, -3} (multiplier 0.64·2^31, shifts 35 and 34); RELU6 clamps to
// [-128, -128 + 6/0.125]. The add lifts both inputs to i32 · 2^20, scales them by 0.125 and 0.5
// of twice the larger input scale, and requantizes the sum by 2^-18 (0.5·2^31 >> 48).
// CHECK-LABEL: func.func @int8_conv_add(%arg0: tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi8>
// CHECK-NOT: quant.uniform
// CHECK: %[[IZP:.*]] = "tosa.const"() <{values = dense<-1> : tensor<1xi8>}>
// CHECK: %[[C:.*]] = tosa.conv2d %arg0, %{{.*}}, %{{.*}}, %[[IZP]], %{{.*}} {acc_type = i32
// CHECK-SAME: -> tensor<1x4x4x2xi32>
// CHECK: "tosa.const"() <{values = dense<1374389535> : tensor<2xi32>}>
// CHECK: "tosa.const"() <{values = dense<[35, 34]> : tensor<2xi8>}>
// CHECK: %[[Q:.*]] = tosa.rescale %[[C]], {{.*}} per_channel = true, rounding_mode = DOUBLE_ROUND, scale32 = true} : {{.*}} -> tensor<1x4x4x2xi8>
// CHECK: %[[R:.*]] = tosa.clamp %[[Q]] {max_val = -80 : i8, min_val = -128 : i8}
// CHECK: %[[L1:.*]] = tosa.rescale %[[R]], {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: "tosa.const"() <{values = dense<33> : tensor<1xi8>}>
// CHECK: %[[S1:.*]] = tosa.rescale %[[L1]]
// CHECK: %[[L2:.*]] = tosa.rescale %arg0, {{.*}} -> tensor<1x4x4x2xi32>
// CHECK: "tosa.const"() <{values = dense<31> : tensor<1xi8>}>
// CHECK: %[[S2:.*]] = tosa.rescale %[[L2]]
// CHECK: %[[SUM:.*]] = tosa.add %[[S1]], %[[S2]]
// CHECK: "tosa.const"() <{values = dense<48> : tensor<1xi8>}>
// CHECK: %[[OUT:.*]] = tosa.rescale %[[SUM]], {{.*}} -> tensor<1x4x4x2xi8>
// CHECK: return %[[OUT]] : tensor<1x4x4x2xi8>
func.func @int8_conv_add(%arg0: tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-1>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.25:3>> {
  %w = "tfl.pseudo_qconst"() {qtype = tensor<2x1x1x2x!quant.uniform<i8:f32:0, {0.01,0.02}>>, value = dense<[[[[10, -20]]], [[[30, 40]]]]> : tensor<2x1x1x2xi8>} : () -> tensor<2x1x1x2x!quant.uniform<i8:f32:0, {0.01,0.02}>>
  %b = "tfl.pseudo_qconst"() {qtype = tensor<2x!quant.uniform<i32:f32:0, {0.005,0.01}>>, value = dense<[100, -50]> : tensor<2xi32>} : () -> tensor<2x!quant.uniform<i32:f32:0, {0.005,0.01}>>
  %0 = "tfl.conv_2d"(%arg0, %w, %b) {dilation_h_factor = 1 : i32, dilation_w_factor = 1 : i32, fused_activation_function = "RELU6", padding = "SAME", quantized_bias_type = "FLOAT32", stride_h = 1 : i32, stride_w = 1 : i32} : (tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-1>>, tensor<2x1x1x2x!quant.uniform<i8:f32:0, {0.01,0.02}>>, tensor<2x!quant.uniform<i32:f32:0, {0.005,0.01}>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.125:-128>>
  %1 = "tfl.add"(%0, %arg0) {fused_activation_function = "NONE", pot_scale_int16 = true} : (tensor<1x4x4x2x!quant.uniform<i8:f32, 0.125:-128>>, tensor<1x4x4x2x!quant.uniform<i8:f32, 0.5:-1>>) -> tensor<1x4x4x2x!quant.uniform<i8:f32, 0.25:3>>
  return %1 : tensor<1x4x4x2x!quant.uniform<i8:f32, 0.25:3>>
}

// -----

// float -> int8 -> float: x/0.1 − 10 cast to i8; relu6 clamps to [−10, −10 + 6/0.1]; back by
// (q + 10)·0.1.
// CHECK-LABEL: func.func @quantize_relu6_dequantize(%arg0: tensor<1x4xf32>) -> tensor<1x4xf32>
// CHECK: %[[Q:.*]] = tosa.cast %{{.*}} : (tensor<1x4xf32>) -> tensor<1x4xi8>
// CHECK: %[[R:.*]] = tosa.clamp %[[Q]] {max_val = 50 : i8, min_val = -10 : i8}
// CHECK: tosa.cast %[[R]] : (tensor<1x4xi8>) -> tensor<1x4xf32>
// CHECK-NOT: unrealized_conversion_cast
func.func @quantize_relu6_dequantize(%arg0: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %0 = "tfl.quantize"(%arg0) {qtype = tensor<1x4x!quant.uniform<i8:f32, 0.1:-10>>} : (tensor<1x4xf32>) -> tensor<1x4x!quant.uniform<i8:f32, 0.1:-10>>
  %1 = "tfl.relu6"(%0) : (tensor<1x4x!quant.uniform<i8:f32, 0.1:-10>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.1:-10>>
  %2 = "tfl.dequantize"(%1) : (tensor<1x4x!quant.uniform<i8:f32, 0.1:-10>>) -> tensor<1x4xf32>
  return %2 : tensor<1x4xf32>
}

// -----

// An int8 op without an integer lowering runs its float lowering between a dequantize and a
// quantize: (q + 3)·0.5, x·relu6(x + 3)/6, x/0.25 − 1 rounded to i8.
// CHECK-LABEL: func.func @int8_hard_swish_through_float(%arg0: tensor<1x4xi8>) -> tensor<1x4xi8>
// CHECK: %[[F:.*]] = tosa.cast %arg0 : (tensor<1x4xi8>) -> tensor<1x4xf32>
// CHECK: tosa.clamp {{.*}} {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32}
// CHECK: %[[Q:.*]] = tosa.cast %{{.*}} : (tensor<1x4xf32>) -> tensor<1x4xi8>
// CHECK: return %[[Q]]
func.func @int8_hard_swish_through_float(%arg0: tensor<1x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.25:-1>> {
  %0 = "tfl.hard_swish"(%arg0) : (tensor<1x4x!quant.uniform<i8:f32, 0.5:-3>>) -> tensor<1x4x!quant.uniform<i8:f32, 0.25:-1>>
  return %0 : tensor<1x4x!quant.uniform<i8:f32, 0.25:-1>>
}

// -----

// depth_to_space with block 2: channels split as [by, bx, c], interleaved into rows and columns.
// CHECK-LABEL: func.func @depth_to_space
// CHECK: %[[S:.*]] = tosa.reshape %arg0, {{.*}} -> tensor<1x2x3x2x2x3xf32>
// CHECK: %[[T:.*]] = tosa.transpose %[[S]] {perms = array<i32: 0, 1, 3, 2, 4, 5>} {{.*}} -> tensor<1x2x2x3x2x3xf32>
// CHECK: tosa.reshape %[[T]], {{.*}} -> tensor<1x4x6x3xf32>
func.func @depth_to_space(%arg0: tensor<1x2x3x12xf32>) -> tensor<1x4x6x3xf32> {
  %0 = "tfl.depth_to_space"(%arg0) {block_size = 2 : i32} : (tensor<1x2x3x12xf32>) -> tensor<1x4x6x3xf32>
  return %0 : tensor<1x4x6x3xf32>
}
