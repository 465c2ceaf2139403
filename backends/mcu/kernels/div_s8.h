#ifndef TFLC_DIV_S8_H
#define TFLC_DIV_S8_H

#include <stdint.h>

/* int8 DIV (reference_ops DivElementwise) with 4-D broadcasting. The fixed-point reciprocal of
 * each divisor value (GetReciprocal) comes from the compiler: 256 entries, indexed by the raw
 * divisor + 128. */
typedef struct {
  int32_t out_shape[4], in1_strides[4], in2_strides[4];
  int32_t input1_offset, input2_offset, output_offset;
  int32_t output_multiplier, output_shift;
  int32_t act_min, act_max;
  const int32_t *reciprocal;
  const int8_t *reciprocal_shift;
} tflc_div_s8_params;
void tflc_div_s8(const tflc_div_s8_params *p, const int8_t *in1, const int8_t *in2,
                 int8_t *output);

#endif /* TFLC_DIV_S8_H */
