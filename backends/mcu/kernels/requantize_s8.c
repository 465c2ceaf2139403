/* int8 -> int8 rescale and clamp: reference_ops::Requantize and ReluX. Safe in place. */
#include "requantize_s8.h"

#include "tflc_common.h"

void tflc_requantize_s8(const tflc_requantize_s8_params *p, const int8_t *input, int8_t *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) {
    const int32_t v = p->output_zero_point +
                      tflc_mul_by_quantized_multiplier((int32_t)input[i] - p->input_zero_point,
                                                       p->multiplier, p->shift);
    output[i] = (int8_t)TFLC_CLAMP(v, p->act_min, p->act_max);
  }
}
