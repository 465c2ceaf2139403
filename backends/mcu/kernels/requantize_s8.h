#ifndef TFLC_REQUANTIZE_S8_H
#define TFLC_REQUANTIZE_S8_H

#include <stdint.h>

/* out = clamp(out_zp + M * (in - in_zp)): QUANTIZE int8->int8, RELU, RELU6, RELU_N1_TO_1. */
typedef struct {
  int32_t size;
  int32_t input_zero_point, output_zero_point;
  int32_t multiplier, shift;
  int32_t act_min, act_max;
} tflc_requantize_s8_params;

void tflc_requantize_s8(const tflc_requantize_s8_params *p, const int8_t *input, int8_t *output);

#endif /* TFLC_REQUANTIZE_S8_H */
