/* Float <-> int8 conversion at a model's edges (AffineQuantize / Dequantize). */
#include "quantize_io.h"

#include "float_ops.h" /* tflc_half_to_float */
#include "tflc_common.h"

/* TfLiteRound: half away from zero, without libm. */
static int32_t round_to_int(float x) {
  int32_t t;
  float frac;
  if (x >= 2147483520.0f) {
    return INT32_MAX;
  }
  if (x <= -2147483520.0f) {
    return INT32_MIN;
  }
  t = (int32_t)x;
  frac = x - (float)t;
  if (frac >= 0.5f) {
    return t + 1;
  }
  if (frac <= -0.5f) {
    return t - 1;
  }
  return t;
}

void tflc_quantize_f32_s8(int32_t size, float scale, int32_t zero_point, const float *input,
                          int8_t *output) {
  int32_t i;
  for (i = 0; i < size; ++i) {
    int32_t v = round_to_int(input[i] / scale);
    v = v > INT32_MAX - 128 ? INT32_MAX - 128 : v;
    v += zero_point;
    output[i] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
  }
}

void tflc_dequantize_s8_f32(int32_t size, float scale, int32_t zero_point, const int8_t *input,
                            float *output) {
  int32_t i;
  for (i = 0; i < size; ++i) {
    output[i] = (float)((double)scale * (double)((int32_t)input[i] - zero_point));
  }
}

void tflc_dequantize_f16_f32(int32_t size, const uint16_t *input, float *output) {
  int32_t i;
  for (i = 0; i < size; ++i) {
    output[i] = tflc_half_to_float(input[i]);
  }
}
