/* Float <-> int8 conversion at a model's edges (AffineQuantize / Dequantize). */
#include "quantize_io.h"

#include <string.h>

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

/* binary16 -> binary32 by moving the bits: sign, exponent rebiased from 15 to 127 and the
   10-bit mantissa shifted up 13; a subnormal half is normalised first. */
static float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1Fu;
  uint32_t mantissa = h & 0x3FFu;
  uint32_t bits;
  float f;
  if (exponent == 0x1Fu) { /* inf or NaN (payload kept) */
    bits = sign | 0x7F800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else { /* subnormal: shift until the hidden bit appears */
    exponent = 113u;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3FFu) << 13);
  }
  memcpy(&f, &bits, sizeof f);
  return f;
}

void tflc_dequantize_f16_f32(int32_t size, const uint16_t *input, float *output) {
  int32_t i;
  for (i = 0; i < size; ++i) {
    output[i] = half_to_float(input[i]);
  }
}
