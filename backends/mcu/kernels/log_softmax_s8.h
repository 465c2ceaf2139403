#ifndef TFLC_LOG_SOFTMAX_S8_H
#define TFLC_LOG_SOFTMAX_S8_H

#include <stdint.h>

typedef struct {
  int32_t rows, depth, diff_min;
  int32_t reverse_multiplier, reverse_shift; /* MultiplyByQuantizedMultiplier's shift (<= 0) */
  /* For d = x - max(row) in -255..0 (index d + 255), computed by the compiler: d in Q5.26,
   * and exp(d) in Q0.31 (0 where d < diff_min). */
  const int32_t *diff_q5, *exp_table;
} tflc_log_softmax_s8_params;

/* reference_integer_ops::LogSoftmax (int8 in, int8 out with scale 16/256 and zero point 127,
 * gemmlowp fixed point, log by log_x_for_x_greater_than_or_equal_to_1). */
void tflc_log_softmax_s8(const tflc_log_softmax_s8_params *p, const int8_t *input,
                         int8_t *output);

#endif /* TFLC_LOG_SOFTMAX_S8_H */
