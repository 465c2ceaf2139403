#ifndef TFLC_SOFTMAX_S8_H
#define TFLC_SOFTMAX_S8_H

#include <stdint.h>

typedef struct {
  int32_t rows, depth;
  /* exp(beta * scale * d) in Q0.31 for d = -255..0 (index d + 255), computed by the compiler
   * with gemmlowp's exp_on_negative_values; 0 where d < diff_min. */
  const int32_t *exp_table;
} tflc_softmax_s8_params;

/* reference_ops::Softmax (int8 in, int8 out, gemmlowp fixed point) */
void tflc_softmax_s8(const tflc_softmax_s8_params *p, const int8_t *input, int8_t *output);

#endif /* TFLC_SOFTMAX_S8_H */
