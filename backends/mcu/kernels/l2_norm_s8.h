#ifndef TFLC_L2_NORM_S8_H
#define TFLC_L2_NORM_S8_H

#include <stdint.h>

/* reference_integer_ops::L2Normalization: each row of `depth` int8 values times the fixed-point
 * 1/sqrt of its sum of squares (GetInvSqrtQuantizedMultiplierExp), output scale 1/128, zero
 * point 0. */
void tflc_l2_normalization_s8(int32_t rows, int32_t depth, int32_t input_zero_point,
                              const int8_t *input, int8_t *output);

#endif /* TFLC_L2_NORM_S8_H */
