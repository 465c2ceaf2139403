/* float32 unary ops: the shared activation formulas (float_formulas.h, generated) and libm's
   functions. Needs C99 <math.h>. Safe in place. */
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
      case TFLC_F32_RSQRT: v = 1.0f / sqrtf(x); break;
      case TFLC_F32_SQRT: v = sqrtf(x); break;
      case TFLC_F32_EXP: v = expf(x); break;
      case TFLC_F32_LOG: v = logf(x); break;
      case TFLC_F32_ABS: v = fabsf(x); break;
      case TFLC_F32_NEG: v = -x; break;
      case TFLC_F32_SQUARE: v = x * x; break;
      case TFLC_F32_FLOOR: v = floorf(x); break;
      case TFLC_F32_CEIL: v = ceilf(x); break;
      case TFLC_F32_ROUND: v = rintf(x); break; /* half to even, as reference_ops::Round */
      case TFLC_F32_SIN: v = sinf(x); break;
      default: v = cosf(x); break; /* COS */
    }
    output[i] = v;
  }
}
