/* tflc MCU kernels: fixed-point helpers shared by every int8 kernel.
 *
 * These follow TensorFlow Lite's reference arithmetic bit for bit
 * (tensorflow/lite/kernels/internal/common.h, gemmlowp fixedpoint.h):
 * a real multiplier M is stored as (multiplier, shift) with M = multiplier * 2^(shift - 31),
 * computed by the compiler, so no float math runs in the int8 path. C99, no libc.
 */
#ifndef TFLC_COMMON_H
#define TFLC_COMMON_H

#include <stdint.h>

#define TFLC_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TFLC_MAX(a, b) ((a) > (b) ? (a) : (b))
#define TFLC_CLAMP(x, lo, hi) TFLC_MIN(TFLC_MAX((x), (lo)), (hi))

/* gemmlowp::SaturatingRoundingDoublingHighMul */
static inline int32_t tflc_srdhm(int32_t a, int32_t b) {
  int64_t ab;
  int32_t nudge;
  if (a == b && a == INT32_MIN) {
    return INT32_MAX;
  }
  ab = (int64_t)a * (int64_t)b;
  nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* gemmlowp::RoundingDivideByPOT: round half away from zero. */
static inline int32_t tflc_rounding_divide_by_pot(int32_t x, int exponent) {
  if (exponent > 31) {
    /* |x| <= 2^31, so x / 2^exponent rounds to 0, or to -1 for exactly -1/2. Softmax divides
     * by 2^(num_bits_over_unit + 23), past 31 over ~1000 near-equal classes; an int32 shift
     * that far is undefined in C (it gave 127 for every class). */
    return (exponent == 32 && x == INT32_MIN) ? -1 : 0;
  }
  {
    const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
  }
}

/* x * 2^shift, wrapping like the reference's int32 multiply (without C's signed-overflow UB). */
static inline int32_t tflc_shift_left(int32_t x, int shift) {
  return (int32_t)((uint32_t)x << shift);
}

/* tflite::MultiplyByQuantizedMultiplier (double rounding, TFLite's default build). */
static inline int32_t tflc_mul_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  return tflc_rounding_divide_by_pot(tflc_srdhm(tflc_shift_left(x, left_shift), multiplier),
                                     right_shift);
}

/* The single-rounding form (TFLite's TFLITE_SINGLE_ROUNDING, ruy's): one rounding of
 * x * multiplier at bit 31 - shift. LiteRT 2.3's reference int8 FULLY_CONNECTED rounds this way
 * (found by testing bit-exactness; its CONV_2D and the other ops round twice, as above). */
static inline int32_t tflc_mul_by_quantized_multiplier_single(int32_t x, int32_t multiplier,
                                                              int shift) {
  const int total_shift = 31 - shift;
  const int64_t round = (int64_t)1 << (total_shift - 1);
  return (int32_t)(((int64_t)x * (int64_t)multiplier + round) >> total_shift);
}

/* gemmlowp::SaturatingRoundingMultiplyByPOT: x * 2^exponent, saturated to int32 for
 * exponent > 0, a rounding division for exponent <= 0. */
static inline int32_t tflc_saturating_multiply_by_pot(int32_t x, int exponent) {
  int32_t threshold;
  if (exponent <= 0) {
    return tflc_rounding_divide_by_pot(x, -exponent);
  }
  threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
  if (x > threshold) {
    return INT32_MAX;
  }
  if (x < -threshold) {
    return INT32_MIN;
  }
  return tflc_shift_left(x, exponent);
}

static inline int tflc_count_leading_zeros(uint32_t x) {
  int n = 0;
  if (x == 0) {
    return 32;
  }
  while (!(x & 0x80000000u)) {
    x <<= 1;
    ++n;
  }
  return n;
}

/* gemmlowp::one_over_one_plus_x_for_x_in_0_1, Q0.31 in and out: Newton-Raphson in Q2.29. */
static inline int32_t tflc_one_over_one_plus_x(int32_t a) {
  const int64_t sum = (int64_t)a + INT32_MAX;
  const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int32_t one_q2 = 1 << 29;
  int32_t x = 1515870810 + tflc_srdhm(half_denominator, -1010580540); /* 48/17 - 32/17 d */
  int i;
  for (i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = tflc_srdhm(half_denominator, x);
    const int32_t one_minus = one_q2 - half_denominator_times_x;
    x = x + tflc_saturating_multiply_by_pot(tflc_srdhm(x, one_minus), 2);
  }
  return tflc_saturating_multiply_by_pot(x, 1);
}

static inline int8_t tflc_sat_s8(int32_t x) {
  return (int8_t)TFLC_CLAMP(x, -128, 127);
}

/* 0-based output position -> first input index for SAME/VALID padding with `pad` on the left. */
static inline int32_t tflc_origin(int32_t out, int32_t stride, int32_t pad) {
  return out * stride - pad;
}

#endif /* TFLC_COMMON_H */
