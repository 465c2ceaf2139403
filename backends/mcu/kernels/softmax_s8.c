/* int8 SOFTMAX, TFLite's reference_ops::Softmax fixed-point arithmetic (gemmlowp). */
#include "softmax_s8.h"

#include "tflc_common.h"

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
    headroom_plus_one = tflc_count_leading_zeros((uint32_t)sum_of_exps);
    num_bits_over_unit = 12 - headroom_plus_one;
    shifted_scale = tflc_one_over_one_plus_x(
        (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31)));
    for (c = 0; c < p->depth; ++c) {
      const int32_t e = p->exp_table[in[c] - max_in_row + 255];
      const int32_t unsat =
          tflc_rounding_divide_by_pot(tflc_srdhm(shifted_scale, e), num_bits_over_unit + 31 - 8);
      out[c] = tflc_sat_s8(unsat - 128);
    }
  }
}
