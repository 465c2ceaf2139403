/* float32 ELU: the shared formula (float_formulas.h, generated). Safe in place. */
#include "float_formulas.h"
#include "float_ops.h"

void tflc_elu_f32(int32_t size, const float *input, float *output) {
  int32_t i;
  for (i = 0; i < size; ++i) {
    output[i] = tflc_formula_elu(input[i]);
  }
}
