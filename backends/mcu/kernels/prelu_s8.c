/* int8 PRELU, TFLite's reference_ops::BroadcastPrelu4DSlow: in2 holds alpha; input1_multiplier
 * scales x >= 0, output_multiplier scales x * alpha. */
#include "binary_s8.h"

#include "tflc_common.h"

void tflc_prelu_s8(const tflc_binary_s8_params *p, const int8_t *in1, const int8_t *in2,
                   int8_t *out) {
  int32_t i0, i1, i2, i3;
  for (i0 = 0; i0 < p->out_shape[0]; ++i0) {
    for (i1 = 0; i1 < p->out_shape[1]; ++i1) {
      for (i2 = 0; i2 < p->out_shape[2]; ++i2) {
        const int8_t *a = in1 + i0 * p->in1_strides[0] + i1 * p->in1_strides[1] +
                          i2 * p->in1_strides[2];
        const int8_t *b = in2 + i0 * p->in2_strides[0] + i1 * p->in2_strides[1] +
                          i2 * p->in2_strides[2];
        for (i3 = 0; i3 < p->out_shape[3]; ++i3) {
          const int32_t x = (int32_t)a[i3 * p->in1_strides[3]] + p->input1_offset;
          int32_t v;
          if (x >= 0) {
            v = tflc_mul_by_quantized_multiplier(x, p->input1_multiplier, p->input1_shift);
          } else {
            const int32_t alpha = (int32_t)b[i3 * p->in2_strides[3]] + p->input2_offset;
            v = tflc_mul_by_quantized_multiplier(x * alpha, p->output_multiplier,
                                                 p->output_shift);
          }
          v += p->output_offset;
          *out++ = (int8_t)TFLC_CLAMP(v, p->act_min, p->act_max);
        }
      }
    }
  }
}
