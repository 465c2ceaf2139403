/* float32 unary ops: the shared activation formulas (float_formulas.h, generated), and RSQRT.
   Needs C99 <math.h>. Safe in place. */
#include <math.h>

#include "float_formulas.h"
#include "float_ops.h"

void tflc_unary_f32(int32_t size, int32_t op, float alpha, const float *input, float *output) {
  int32_t i;
  for (i = 0; i < size; ++i) {
    const float x = input[i];
    float v;
    switch (op) {
      case TFLC_F32_TANH: v = tflc_formula_tanh(x); break;
      case TFLC_F32_LOGISTIC: v = tflc_formula_logistic(x); break;
      case TFLC_F32_HARD_SWISH: v = tflc_formula_hard_swish(x); break;
      case TFLC_F32_LEAKY_RELU: v = tflc_formula_leaky_relu(x, alpha); break;
      case TFLC_F32_GELU: v = tflc_formula_gelu(x); break;
      case TFLC_F32_GELU_TANH: v = tflc_formula_gelu_tanh(x); break;
      default: v = 1.0f / sqrtf(x); break; /* RSQRT */
    }
    output[i] = v;
  }
}
