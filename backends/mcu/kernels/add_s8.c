/* int8 ADD, TFLite's reference_integer_ops::Add / BroadcastAdd4DSlow arithmetic. */
#include "binary_s8.h"

#include "tflc_common.h"

static int32_t add_one(const tflc_binary_s8_params *p, int32_t x1, int32_t x2) {
  const int32_t a = tflc_shift_left(x1 + p->input1_offset, p->left_shift);
  const int32_t b = tflc_shift_left(x2 + p->input2_offset, p->left_shift);
  const int32_t sa = tflc_mul_by_quantized_multiplier(a, p->input1_multiplier, p->input1_shift);
  const int32_t sb = tflc_mul_by_quantized_multiplier(b, p->input2_multiplier, p->input2_shift);
  const int32_t raw =
      tflc_mul_by_quantized_multiplier(sa + sb, p->output_multiplier, p->output_shift) +
      p->output_offset;
  return TFLC_CLAMP(raw, p->act_min, p->act_max);
}

void tflc_add_s8(const tflc_binary_s8_params *p, const int8_t *in1, const int8_t *in2,
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
          *out++ = (int8_t)add_one(p, a[i3 * p->in1_strides[3]], b[i3 * p->in2_strides[3]]);
        }
      }
    }
  }
}
