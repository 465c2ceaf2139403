/* float32 ADD, MUL (4-D broadcasting) and activation clamps. Safe in place. */
#include "float_ops.h"

#include "tflc_common.h"

static void binary(const tflc_binary_f32_params *p, const float *in1, const float *in2, float *out,
                   int multiply) {
  int32_t i0, i1, i2, i3;
  for (i0 = 0; i0 < p->out_shape[0]; ++i0) {
    for (i1 = 0; i1 < p->out_shape[1]; ++i1) {
      for (i2 = 0; i2 < p->out_shape[2]; ++i2) {
        const float *a = in1 + i0 * p->in1_strides[0] + i1 * p->in1_strides[1] +
                         i2 * p->in1_strides[2];
        const float *b = in2 + i0 * p->in2_strides[0] + i1 * p->in2_strides[1] +
                         i2 * p->in2_strides[2];
        for (i3 = 0; i3 < p->out_shape[3]; ++i3) {
          const float x = a[i3 * p->in1_strides[3]], y = b[i3 * p->in2_strides[3]];
          const float v = multiply ? x * y : x + y;
          *out++ = TFLC_CLAMP(v, p->act_min, p->act_max);
        }
      }
    }
  }
}

void tflc_add_f32(const tflc_binary_f32_params *p, const float *a, const float *b, float *out) {
  binary(p, a, b, out, 0);
}

void tflc_mul_f32(const tflc_binary_f32_params *p, const float *a, const float *b, float *out) {
  binary(p, a, b, out, 1);
}

void tflc_clamp_f32(const tflc_clamp_f32_params *p, const float *input, float *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) {
    output[i] = TFLC_CLAMP(input[i], p->act_min, p->act_max);
  }
}

void tflc_neg_f32(int32_t size, const float *input, float *output) {
  int32_t i;
  for (i = 0; i < size; ++i) {
    output[i] = -input[i];
  }
}
