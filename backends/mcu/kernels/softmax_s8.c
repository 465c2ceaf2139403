/* int8 SOFTMAX, TFLite's reference_ops::Softmax fixed-point arithmetic (gemmlowp). */
#include "softmax_s8.h"

#include "tflc_common.h"

static int count_leading_zeros(uint32_t x) {
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

/* gemmlowp::SaturatingRoundingMultiplyByPOT with a positive exponent */
static int32_t saturating_shift_left(int32_t x, int exponent) {
  const int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
  if (x > threshold) {
    return INT32_MAX;
  }
  if (x < -threshold) {
    return INT32_MIN;
  }
  return tflc_shift_left(x, exponent);
}

/* gemmlowp::one_over_one_plus_x_for_x_in_0_1, Q0.31 in and out */
static int32_t one_over_one_plus_x(int32_t a) {
  const int64_t sum = (int64_t)a + INT32_MAX;
  const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int32_t one_q2 = 1 << 29;
  int32_t x = 1515870810 + tflc_srdhm(half_denominator, -1010580540); /* Q2.29 */
  int i;
  for (i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = tflc_srdhm(half_denominator, x);
    const int32_t one_minus = one_q2 - half_denominator_times_x;
    x = x + saturating_shift_left(tflc_srdhm(x, one_minus), 2);
  }
  return saturating_shift_left(x, 1);
}

void tflc_softmax_s8(const tflc_softmax_s8_params *p, const int8_t *input, int8_t *output) {
  int32_t row, c;
  for (row = 0; row < p->rows; ++row) {
    const int8_t *in = input + row * p->depth;
    int8_t *out = output + row * p->depth;
    int32_t max_in_row = -128;
    int32_t sum_of_exps = 0; /* Q12.19 */
    int headroom_plus_one, num_bits_over_unit;
    int32_t shifted_scale;
    for (c = 0; c < p->depth; ++c) {
      max_in_row = TFLC_MAX(max_in_row, in[c]);
    }
    for (c = 0; c < p->depth; ++c) {
      sum_of_exps += tflc_rounding_divide_by_pot(p->exp_table[in[c] - max_in_row + 255], 12);
    }
    /* GetReciprocal(sum_of_exps, 12, &num_bits_over_unit) */
    headroom_plus_one = count_leading_zeros((uint32_t)sum_of_exps);
    num_bits_over_unit = 12 - headroom_plus_one;
    shifted_scale = one_over_one_plus_x(
        (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31)));
    for (c = 0; c < p->depth; ++c) {
      const int32_t e = p->exp_table[in[c] - max_in_row + 255];
      const int32_t unsat =
          tflc_rounding_divide_by_pot(tflc_srdhm(shifted_scale, e), num_bits_over_unit + 31 - 8);
      out[c] = tflc_sat_s8(unsat - 128);
    }
  }
}
