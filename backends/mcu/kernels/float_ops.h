#ifndef TFLC_FLOAT_OPS_H
#define TFLC_FLOAT_OPS_H

#include <stdint.h>

/* float32 kernels (TFLite reference_ops arithmetic, float accumulation). */

typedef struct {
  int32_t batches, in_h, in_w, in_c;
  int32_t out_h, out_w, out_c;
  int32_t k_h, k_w, stride_h, stride_w, dilation_h, dilation_w, pad_h, pad_w;
  int32_t depth_multiplier;
  float act_min, act_max;
} tflc_conv_f32_params;
void tflc_conv_f32(const tflc_conv_f32_params *p, const float *input, const float *filter,
                   const float *bias, float *output);
void tflc_depthwise_conv_f32(const tflc_conv_f32_params *p, const float *input,
                             const float *filter, const float *bias, float *output);

typedef struct {
  int32_t batches, depth, units;
  float act_min, act_max;
} tflc_fully_connected_f32_params;
void tflc_fully_connected_f32(const tflc_fully_connected_f32_params *p, const float *input,
                              const float *filter, const float *bias, float *output);

typedef struct {
  int32_t out_shape[4];
  int32_t in1_strides[4], in2_strides[4];
  float act_min, act_max;
} tflc_binary_f32_params;
void tflc_add_f32(const tflc_binary_f32_params *p, const float *a, const float *b, float *out);
void tflc_mul_f32(const tflc_binary_f32_params *p, const float *a, const float *b, float *out);

typedef struct {
  int32_t size;
  float act_min, act_max;
} tflc_clamp_f32_params;
void tflc_clamp_f32(const tflc_clamp_f32_params *p, const float *input, float *output);

/* NEG: -x. */
void tflc_neg_f32(int32_t size, const float *input, float *output);

/* ELU: x < 0 ? expm1(x) : x (reference_ops::Elu). Needs C99 <math.h>. */
void tflc_elu_f32(int32_t size, const float *input, float *output);

typedef struct {
  int32_t batches, in_h, in_w, channels, out_h, out_w;
  int32_t k_h, k_w, stride_h, stride_w, pad_h, pad_w;
  float act_min, act_max;
} tflc_pool_f32_params;
void tflc_average_pool_f32(const tflc_pool_f32_params *p, const float *input, float *output);
void tflc_max_pool_f32(const tflc_pool_f32_params *p, const float *input, float *output);

typedef struct {
  int32_t outer, reduced, inner;
} tflc_reduce_f32_params;
void tflc_mean_f32(const tflc_reduce_f32_params *p, const float *input, float *output);

typedef struct {
  int32_t rows, depth;
  float beta;
} tflc_softmax_f32_params;
void tflc_softmax_f32(const tflc_softmax_f32_params *p, const float *input, float *output);

#endif /* TFLC_FLOAT_OPS_H */
