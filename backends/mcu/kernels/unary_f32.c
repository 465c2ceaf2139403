/* float32 unary ops with TFLite's reference formulas. Needs C99 <math.h>. Safe in place. */
#include <math.h>

#include "float_ops.h"

void tflc_unary_f32(int32_t size, int32_t op, float alpha, const float *input, float *output) {
  int32_t i;
  for (i = 0; i < size; ++i) {
    const float x = input[i];
    float v;
    switch (op) {
      case TFLC_F32_TANH: v = tanhf(x); break;
      case TFLC_F32_LOGISTIC: v = 1.0f / (1.0f + expf(-x)); break;
      case TFLC_F32_HARD_SWISH: {
        const float r = x + 3.0f;
        v = x * (r < 0.0f ? 0.0f : (r > 6.0f ? 6.0f : r)) / 6.0f;
        break;
      }
      case TFLC_F32_LEAKY_RELU: v = x > 0.0f ? x : x * alpha; break;
      case TFLC_F32_GELU: v = 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); break;
      case TFLC_F32_GELU_TANH:
        v = 0.5f * x * (1.0f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
        break;
      default: v = 1.0f / sqrtf(x); break; /* RSQRT */
    }
    output[i] = v;
  }
}
