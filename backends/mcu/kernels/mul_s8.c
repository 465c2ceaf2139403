/* int8 MUL, TFLite's reference_integer_ops::Mul / BroadcastMul4DSlow arithmetic. */
#include "binary_s8.h"

#include "tflc_common.h"

static int8_t mul_one(const tflc_binary_s8_params *p, int8_t a, int8_t b) {
  const int32_t x1 = (int32_t)a + p->input1_offset;
  const int32_t x2 = (int32_t)b + p->input2_offset;
  const int32_t raw = p->output_offset + tflc_mul_by_quantized_multiplier(
                                             x1 * x2, p->output_multiplier, p->output_shift);
  return (int8_t)TFLC_CLAMP(raw, p->act_min, p->act_max);
}

void tflc_mul_s8(const tflc_binary_s8_params *p, const int8_t *in1, const int8_t *in2,
                 int8_t *out) {
  TFLC_BINARY_S8_LOOP(p, in1, in2, out, mul_one);
}
