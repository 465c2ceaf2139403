#ifndef TFLC_FLOAT_OPS_H
#define TFLC_FLOAT_OPS_H

#include <stdint.h>

/* float32 kernels (TFLite reference_ops arithmetic, float accumulation). */

/* IEEE binary16 bits -> float, exact for every value (subnormals, infinities, NaN payloads),
   without _Float16 (float16 weights stay 16-bit in flash). By moving the bits: the sign, the
   exponent rebiased from 15 to 127, the 10-bit mantissa shifted up 13; a subnormal half is
   normalised first. */
static inline float tflc_half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1Fu;
  uint32_t mantissa = h & 0x3FFu;
  union {
    uint32_t bits;
    float value;
  } f; /* C99 reads a union member as the bits of the last one stored */
  if (exponent == 0x1Fu) { /* inf or NaN (payload kept) */
    f.bits = sign | 0x7F800000u | (mantissa << 13);
  } else if (exponent != 0) {
    f.bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    f.bits = sign;
  } else { /* subnormal: shift until the hidden bit appears */
    exponent = 113u;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    f.bits = sign | (exponent << 23) | ((mantissa & 0x3FFu) << 13);
  }
  return f.value;
}

/* ActivationFunctionWithMinMax: std::min(std::max(v, lo), hi), which keeps a NaN. */
static inline float tflc_activation_f32(float v, float lo, float hi) {
  return v < lo ? lo : (hi < v ? hi : v);
}

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
/* The same with float16 filters as IEEE binary16 bits (conv_f16w.c). */
void tflc_conv_f16w(const tflc_conv_f32_params *p, const float *input, const uint16_t *filter,
                    const float *bias, float *output);
void tflc_depthwise_conv_f16w(const tflc_conv_f32_params *p, const float *input,
                              const uint16_t *filter, const float *bias, float *output);

typedef struct {
  int32_t batches, depth, units;
  float act_min, act_max;
} tflc_fully_connected_f32_params;
void tflc_fully_connected_f32(const tflc_fully_connected_f32_params *p, const float *input,
                              const float *filter, const float *bias, float *output);
void tflc_fully_connected_f16w(const tflc_fully_connected_f32_params *p, const float *input,
                               const uint16_t *filter, const float *bias, float *output);

enum {
  TFLC_F32_ADD,
  TFLC_F32_MUL,
  TFLC_F32_SUB,
  TFLC_F32_MAXIMUM,
  TFLC_F32_MINIMUM,
  TFLC_F32_SQUARED_DIFFERENCE,
  TFLC_F32_PRELU,
  TFLC_F32_DIV,
  TFLC_F32_POW,
  TFLC_F32_FLOOR_DIV,
  TFLC_F32_FLOOR_MOD
};
typedef struct {
  int32_t out_shape[4];
  int32_t in1_strides[4], in2_strides[4];
  float act_min, act_max;
  int32_t op; /* TFLC_F32_* */
} tflc_binary_f32_params;
/* Needs C99 <math.h> (POW, FLOOR_DIV, FLOOR_MOD). */
void tflc_binary_f32(const tflc_binary_f32_params *p, const float *a, const float *b, float *out);

enum {
  TFLC_F32_TANH,
  TFLC_F32_LOGISTIC,
  TFLC_F32_HARD_SWISH,
  TFLC_F32_LEAKY_RELU,
  TFLC_F32_GELU,
  TFLC_F32_GELU_TANH,
  TFLC_F32_RSQRT,
  TFLC_F32_SQRT,
  TFLC_F32_EXP,
  TFLC_F32_LOG,
  TFLC_F32_ABS,
  TFLC_F32_NEG,
  TFLC_F32_SQUARE,
  TFLC_F32_FLOOR,
  TFLC_F32_CEIL,
  TFLC_F32_ROUND,
  TFLC_F32_SIN,
  TFLC_F32_COS
};
/* Unary float ops (reference_ops formulas); `alpha` for LEAKY_RELU. Needs C99 <math.h>. */
void tflc_unary_f32(int32_t size, int32_t op, float alpha, const float *input, float *output);

typedef struct {
  int32_t batches, in_h, in_w, in_c, out_h, out_w, out_c;
  int32_t k_h, k_w, stride_h, stride_w, pad_h, pad_w;
  float act_min, act_max;
} tflc_transpose_conv_f32_params;
void tflc_transpose_conv_f32(const tflc_transpose_conv_f32_params *p, const float *input,
                             const float *filter, const float *bias, float *output);

typedef struct {
  int32_t batches, in_h, in_w, channels, out_h, out_w;
  float height_scale, width_scale;
  int32_t half_pixel_centers;
} tflc_resize_bilinear_f32_params;
void tflc_resize_bilinear_f32(const tflc_resize_bilinear_f32_params *p, const float *input,
                              float *output);

typedef struct {
  int32_t batches, rows, depth, cols;
  int32_t lhs_batch_stride, lhs_row_stride, lhs_depth_stride;
  int32_t rhs_batch_stride, rhs_depth_stride, rhs_col_stride;
} tflc_batch_matmul_f32_params;
void tflc_batch_matmul_f32(const tflc_batch_matmul_f32_params *p, const float *lhs,
                           const float *rhs, float *output);

typedef struct {
  int32_t size;
  float act_min, act_max;
} tflc_clamp_f32_params;
void tflc_clamp_f32(const tflc_clamp_f32_params *p, const float *input, float *output);

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
  int32_t mode; /* 0: mean, 1: sum, 2: max, 3: min */
} tflc_reduce_f32_params;
void tflc_reduce_f32(const tflc_reduce_f32_params *p, const float *input, float *output);

typedef struct {
  int32_t rows, depth;
  float beta;
} tflc_softmax_f32_params;
void tflc_softmax_f32(const tflc_softmax_f32_params *p, const float *input, float *output);

#endif /* TFLC_FLOAT_OPS_H */
