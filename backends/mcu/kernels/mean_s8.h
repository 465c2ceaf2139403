#ifndef TFLC_MEAN_S8_H
#define TFLC_MEAN_S8_H

#include <stdint.h>

/* MEAN, SUM, REDUCE_MAX, REDUCE_MIN over the contiguous middle axes of an [outer, reduced, inner] view. */
typedef struct {
  int32_t outer, reduced, inner;
  /* 0: mean, same quantization in and out; 1: QuantizedMeanOrSum mean; 2: 4-D H,W keep_dims
   * mean; 3: max of raw values; 4: sum through `table`, indexed by sum + 128 * reduced;
   * 5: min of raw values */
  int32_t mode;
  int32_t input_zero_point, output_zero_point;
  int32_t multiplier, shift;
  const int8_t *table;
} tflc_mean_s8_params;

/* reference_ops::Mean / QuantizedMeanOrSum, reference_integer_ops::Mean */
void tflc_mean_s8(const tflc_mean_s8_params *p, const int8_t *input, int8_t *output);

#endif /* TFLC_MEAN_S8_H */
