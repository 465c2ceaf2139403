#ifndef TFLC_NORMALIZATION_F32_H
#define TFLC_NORMALIZATION_F32_H

#include <stdint.h>

/* float32 normalizations over the last axis and L2 pooling (TFLite's reference_ops). */

/* L2_NORMALIZATION: x / max(sqrt(sum x^2), 1e-6) per row of `depth`, then the clamp. */
void tflc_l2_normalization_f32(int32_t rows, int32_t depth, float act_min, float act_max,
                               const float *input, float *output);

/* LOG_SOFTMAX: x - max - log(sum exp(x - max)) per row of `depth`. */
void tflc_log_softmax_f32(int32_t rows, int32_t depth, const float *input, float *output);

/* LOCAL_RESPONSE_NORMALIZATION: x / (bias + alpha * sum of x^2 over +-radius)^beta. */
typedef struct {
  int32_t rows, depth, radius;
  float bias, alpha, beta;
} tflc_lrn_f32_params;
void tflc_lrn_f32(const tflc_lrn_f32_params *p, const float *input, float *output);

/* L2_POOL_2D: sqrt(mean of x^2 over the window's cells inside the input), then the clamp. */
typedef struct {
  int32_t batches, in_h, in_w, channels, out_h, out_w;
  int32_t k_h, k_w, stride_h, stride_w, pad_h, pad_w;
  float act_min, act_max;
} tflc_l2_pool_f32_params;
void tflc_l2_pool_f32(const tflc_l2_pool_f32_params *p, const float *input, float *output);

#endif /* TFLC_NORMALIZATION_F32_H */
