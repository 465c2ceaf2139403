/* Table lookup for int8 elementwise ops (TANH, LOGISTIC, GELU, HARD_SWISH, LEAKY_RELU, ...). */
#include "lut_s8.h"

void tflc_lut_s8(int32_t size, const int8_t *table, const int8_t *input, int8_t *output) {
  int32_t i;
  for (i = 0; i < size; ++i) {
    output[i] = table[input[i] + 128];
  }
}
