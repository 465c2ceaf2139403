/* int8 SQUARED_DIFFERENCE, TFLite's squared_difference.cc arithmetic (left_shift 7). */
#include "binary_s8.h"

#include "tflc_common.h"

void tflc_squared_difference_s8(const tflc_binary_s8_params *p, const int8_t *in1,
                                const int8_t *in2, int8_t *out) {
  int32_t i0, i1, i2, i3;
  for (i0 = 0; i0 < p->out_shape[0]; ++i0) {
    for (i1 = 0; i1 < p->out_shape[1]; ++i1) {
      for (i2 = 0; i2 < p->out_shape[2]; ++i2) {
        const int8_t *a = in1 + i0 * p->in1_strides[0] + i1 * p->in1_strides[1] +
                          i2 * p->in1_strides[2];
        const int8_t *b = in2 + i0 * p->in2_strides[0] + i1 * p->in2_strides[1] +
                          i2 * p->in2_strides[2];
        for (i3 = 0; i3 < p->out_shape[3]; ++i3) {
          const int32_t x = tflc_shift_left(a[i3 * p->in1_strides[3]] + p->input1_offset,
                                            p->left_shift);
          const int32_t y = tflc_shift_left(b[i3 * p->in2_strides[3]] + p->input2_offset,
                                            p->left_shift);
          const int32_t diff =
              tflc_mul_by_quantized_multiplier(x, p->input1_multiplier, p->input1_shift) -
              tflc_mul_by_quantized_multiplier(y, p->input2_multiplier, p->input2_shift);
          const int32_t v =
              tflc_mul_by_quantized_multiplier(diff * diff, p->output_multiplier,
                                               p->output_shift) +
              p->output_offset;
          *out++ = (int8_t)TFLC_CLAMP(v, p->act_min, p->act_max);
        }
      }
    }
  }
}
