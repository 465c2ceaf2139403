/* int8 PRELU, TFLite's reference_ops::BroadcastPrelu4DSlow: in2 holds alpha; input1_multiplier
 * scales x >= 0, output_multiplier scales x * alpha. */
#include "binary_s8.h"

#include "tflc_common.h"

static int8_t prelu_one(const tflc_binary_s8_params *p, int8_t in, int8_t alpha_q) {
  const int32_t x = (int32_t)in + p->input1_offset;
  int32_t v;
  if (x >= 0) {
    v = tflc_mul_by_quantized_multiplier(x, p->input1_multiplier, p->input1_shift);
  } else {
    const int32_t alpha = (int32_t)alpha_q + p->input2_offset;
    v = tflc_mul_by_quantized_multiplier(x * alpha, p->output_multiplier, p->output_shift);
  }
  v += p->output_offset;
  return (int8_t)TFLC_CLAMP(v, p->act_min, p->act_max);
}

void tflc_prelu_s8(const tflc_binary_s8_params *p, const int8_t *in1, const int8_t *in2,
                   int8_t *out) {
  TFLC_BINARY_S8_LOOP(p, in1, in2, out, prelu_one);
}
