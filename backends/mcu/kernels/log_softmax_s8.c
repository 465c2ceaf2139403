/* int8 LOG_SOFTMAX, TFLite's reference_integer_ops::LogSoftmax fixed-point arithmetic. */
#include "log_softmax_s8.h"

#include "tflc_common.h"

static int32_t saturating_add(int32_t a, int32_t b) {
  const int64_t sum = (int64_t)a + b;
  return (int32_t)(sum > INT32_MAX ? INT32_MAX : sum < INT32_MIN ? INT32_MIN : sum);
}

static int32_t wrapping_add(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* log_x_for_x_greater_than_or_equal_to_1_impl<5, 12>: log of a Q12.19 value as Q5.26, the
 * accumulation in Q6.25. */
static int32_t log_q12_to_q5(int32_t z_a) {
  const int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250;
  const int32_t alpha_n = 117049297, alpha_d = 127690142;
  const int32_t alpha_i = 1057819769, alpha_f = 638450708;
  const int32_t shifted_quarter = tflc_rounding_divide_by_pot(536870912, 6); /* 1/4 in Q6.25 */
  const int z_a_headroom_plus_1 = tflc_count_leading_zeros((uint32_t)z_a);
  const int32_t r_a_tmp = tflc_saturating_multiply_by_pot(z_a, z_a_headroom_plus_1 - 1);
  const int32_t r_a_raw = tflc_saturating_multiply_by_pot(tflc_srdhm(r_a_tmp, sqrt_half), 1);
  const int32_t z_a_pow_2_adj = saturating_add(
      tflc_saturating_multiply_by_pot(12 - z_a_headroom_plus_1, 31 - 6), shifted_quarter);
  const int32_t z_b = tflc_srdhm(z_a, sqrt_half);
  const int z_b_headroom = tflc_count_leading_zeros((uint32_t)z_b) - 1;
  const int32_t r_b_raw = tflc_saturating_multiply_by_pot(z_a, z_b_headroom);
  const int32_t z_b_pow_2_adj = saturating_add(
      tflc_saturating_multiply_by_pot(12 - z_b_headroom, 31 - 6), -shifted_quarter);
  const int32_t r = TFLC_MIN(r_a_raw, r_b_raw);
  const int32_t z_pow_2_adj = TFLC_MAX(z_a_pow_2_adj, z_b_pow_2_adj);
  const int64_t half_sum = (int64_t)r + sqrt_sqrt_half;
  const int32_t p = (int32_t)((half_sum + (half_sum >= 0 ? 1 : -1)) / 2); /* RoundingHalfSum */
  const int32_t q_half = wrapping_add(r, -sqrt_sqrt_half);
  const int32_t q = wrapping_add(q_half, q_half);
  const int32_t common_sq = tflc_srdhm(q, q);
  const int32_t num =
      wrapping_add(tflc_srdhm(q, r), tflc_srdhm(tflc_srdhm(q, common_sq), alpha_n));
  const int32_t denom_minus_one = wrapping_add(
      tflc_srdhm(p, wrapping_add(wrapping_add(alpha_i, q), tflc_srdhm(alpha_d, common_sq))),
      tflc_srdhm(alpha_f, q));
  const int32_t recip_denom = tflc_one_over_one_plus_x(denom_minus_one);
  const int32_t num_scaled = tflc_rounding_divide_by_pot(num, 6); /* Rescale<6> of Q0.31 */
  const int32_t sum_q6 =
      wrapping_add(tflc_srdhm(z_pow_2_adj, log_2), tflc_srdhm(num_scaled, recip_denom));
  return tflc_saturating_multiply_by_pot(sum_q6, 1); /* Rescale<5> of Q6.25 */
}

void tflc_log_softmax_s8(const tflc_log_softmax_s8_params *p, const int8_t *input,
                         int8_t *output) {
  int32_t row, c;
  for (row = 0; row < p->rows; ++row) {
    const int8_t *in = input + row * p->depth;
    int8_t *out = output + row * p->depth;
    int32_t max_in_row = -128, sum_of_exps = 0; /* Q12.19 */
    int32_t log_sum, adjusted_diff_min;
    for (c = 0; c < p->depth; ++c) {
      max_in_row = TFLC_MAX(max_in_row, in[c]);
    }
    for (c = 0; c < p->depth; ++c) {
      sum_of_exps = wrapping_add(
          sum_of_exps, tflc_rounding_divide_by_pot(p->exp_table[in[c] - max_in_row + 255], 12));
    }
    log_sum = log_q12_to_q5(sum_of_exps);
    adjusted_diff_min = TFLC_MAX(
        p->diff_min - 1, tflc_mul_by_quantized_multiplier(wrapping_add(log_sum, INT32_MIN),
                                                          p->reverse_multiplier,
                                                          p->reverse_shift));
    for (c = 0; c < p->depth; ++c) {
      const int32_t diff = in[c] - max_in_row;
      if (diff > adjusted_diff_min) {
        const int32_t q5 = p->diff_q5[diff + 255];
        /* Q5.26 -> Q4.27 int8 steps of 1/16, zero point 127 */
        out[c] = tflc_sat_s8(tflc_rounding_divide_by_pot(wrapping_add(q5, -log_sum), 31 - 5 - 4) +
                             127);
      } else {
        out[c] = -128;
      }
    }
  }
}
