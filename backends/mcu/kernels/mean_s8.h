#ifndef TFLC_MEAN_S8_H
#define TFLC_MEAN_S8_H

#include <stdint.h>

/* MEAN over the contiguous middle axes of an [outer, reduced, inner] view. */
typedef struct {
  int32_t outer, reduced, inner;
  int32_t mode; /* 0: same quantization in and out; 1: QuantizedMeanOrSum; 2: 4-D H,W keep_dims */
  int32_t input_zero_point, output_zero_point;
  int32_t multiplier, shift;
} tflc_mean_s8_params;

/* reference_ops::Mean / QuantizedMeanOrSum, reference_integer_ops::Mean */
void tflc_mean_s8(const tflc_mean_s8_params *p, const int8_t *input, int8_t *output);

#endif /* TFLC_MEAN_S8_H */
