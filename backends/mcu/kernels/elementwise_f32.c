/* float32 binary ops (4-D broadcasting), activation clamps. Safe in place. */
#include <math.h>

#include "float_ops.h"

void tflc_binary_f32(const tflc_binary_f32_params *p, const float *in1, const float *in2,
                     float *out) {
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
          float v;
          switch (p->op) {
            case TFLC_F32_ADD: v = x + y; break;
            case TFLC_F32_MUL: v = x * y; break;
            case TFLC_F32_SUB: v = x - y; break;
            case TFLC_F32_MAXIMUM: v = x > y ? x : y; break;
            case TFLC_F32_MINIMUM: v = x < y ? x : y; break;
            case TFLC_F32_SQUARED_DIFFERENCE: v = (x - y) * (x - y); break;
            case TFLC_F32_PRELU: v = x >= 0.0f ? x : x * y; break;
            case TFLC_F32_DIV: v = x / y; break;
            case TFLC_F32_POW: v = powf(x, y); break;
            case TFLC_F32_FLOOR_DIV: v = floorf(x / y); break;
            default: { /* FLOOR_MOD: the sign of the divisor */
              const float r = fmodf(x, y);
              v = (r != 0.0f && (y < 0.0f) != (r < 0.0f)) ? r + y : r;
              break;
            }
          }
          *out++ = tflc_activation_f32(v, p->act_min, p->act_max);
        }
      }
    }
  }
}

void tflc_clamp_f32(const tflc_clamp_f32_params *p, const float *input, float *output) {
  int32_t i;
  for (i = 0; i < p->size; ++i) {
    output[i] = tflc_activation_f32(input[i], p->act_min, p->act_max);
  }
}
