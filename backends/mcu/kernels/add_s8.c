/* int8 ADD, TFLite's reference_integer_ops::Add / BroadcastAdd4DSlow arithmetic. */
#include "binary_s8.h"

#include "tflc_common.h"

static int8_t add_one(const tflc_binary_s8_params *p, int32_t x1, int32_t x2) {
  const int32_t a = tflc_shift_left(x1 + p->input1_offset, p->left_shift);
  const int32_t b = tflc_shift_left(x2 + p->input2_offset, p->left_shift);
  const int32_t sa = tflc_mul_by_quantized_multiplier(a, p->input1_multiplier, p->input1_shift);
  const int32_t sb = tflc_mul_by_quantized_multiplier(b, p->input2_multiplier, p->input2_shift);
  const int32_t raw =
      tflc_mul_by_quantized_multiplier(sa + sb, p->output_multiplier, p->output_shift) +
      p->output_offset;
  return (int8_t)TFLC_CLAMP(raw, p->act_min, p->act_max);
}

void tflc_add_s8(const tflc_binary_s8_params *p, const int8_t *in1, const int8_t *in2,
                 int8_t *out) {
  TFLC_BINARY_S8_LOOP(p, in1, in2, out, add_one);
}
