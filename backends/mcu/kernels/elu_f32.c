/* float32 ELU (reference_ops::Elu). Safe in place. */
#include <math.h>

#include "float_ops.h"

void tflc_elu_f32(int32_t size, const float *input, float *output) {
  int32_t i;
  for (i = 0; i < size; ++i) {
    output[i] = input[i] < 0.0f ? expm1f(input[i]) : input[i];
  }
}
