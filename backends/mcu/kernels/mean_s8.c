/* int8 MEAN (the three arithmetic variants of TFLite's reduce.cc), SUM, REDUCE_MAX and
   REDUCE_MIN. */
#include "mean_s8.h"

#include "tflc_common.h"

void tflc_mean_s8(const tflc_mean_s8_params *p, const int8_t *input, int8_t *output) {
  const int32_t n = p->reduced;
  int32_t o, i, r;
  for (o = 0; o < p->outer; ++o) {
    for (i = 0; i < p->inner; ++i) {
      const int8_t *in = input + o * n * p->inner + i;
      int32_t sum = 0, max = -128, min = 127;
      int32_t out;
      for (r = 0; r < n; ++r) {
        sum += in[r * p->inner];
        max = TFLC_MAX(max, in[r * p->inner]);
        min = TFLC_MIN(min, in[r * p->inner]);
      }
      if (p->mode == 3) {
        out = max;
      } else if (p->mode == 5) {
        out = min;
      } else if (p->mode == 4) {
        out = p->table[sum + 128 * n];
      } else if (p->mode == 0) {
        out = sum / n; /* raw values, truncating: reference_ops::Mean */
      } else if (p->mode == 1) {
        out = tflc_mul_by_quantized_multiplier(sum - p->input_zero_point * n, p->multiplier,
                                               p->shift) +
              p->output_zero_point;
      } else {
        out = tflc_mul_by_quantized_multiplier(sum - p->input_zero_point * n, p->multiplier,
                                               p->shift);
        out = out > 0 ? (out + n / 2) / n : (out - n / 2) / n;
        out += p->output_zero_point;
      }
      output[o * p->inner + i] = tflc_sat_s8(out);
    }
  }
}
