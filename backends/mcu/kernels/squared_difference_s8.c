/* int8 SQUARED_DIFFERENCE, TFLite's squared_difference.cc arithmetic (left_shift 7). */
#include "binary_s8.h"

#include "tflc_common.h"

static int8_t squared_difference_one(const tflc_binary_s8_params *p, int8_t a, int8_t b) {
  const int32_t x = tflc_shift_left(a + p->input1_offset, p->left_shift);
  const int32_t y = tflc_shift_left(b + p->input2_offset, p->left_shift);
  const int32_t diff = tflc_mul_by_quantized_multiplier(x, p->input1_multiplier, p->input1_shift) -
                       tflc_mul_by_quantized_multiplier(y, p->input2_multiplier, p->input2_shift);
  const int32_t v =
      tflc_mul_by_quantized_multiplier(diff * diff, p->output_multiplier, p->output_shift) +
      p->output_offset;
  return (int8_t)TFLC_CLAMP(v, p->act_min, p->act_max);
}

void tflc_squared_difference_s8(const tflc_binary_s8_params *p, const int8_t *in1,
                                const int8_t *in2, int8_t *out) {
  TFLC_BINARY_S8_LOOP(p, in1, in2, out, squared_difference_one);
}
