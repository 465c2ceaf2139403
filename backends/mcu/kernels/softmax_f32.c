/* float32 SOFTMAX over the last axis (reference_ops::Softmax). Needs C99 <math.h> expf. */
#include <math.h>

#include "float_ops.h"

void tflc_softmax_f32(const tflc_softmax_f32_params *p, const float *input, float *output) {
  int32_t row, c;
  for (row = 0; row < p->rows; ++row) {
    const float *in = input + row * p->depth;
    float *out = output + row * p->depth;
    float max = in[0], sum = 0.0f;
    for (c = 1; c < p->depth; ++c) {
      max = in[c] > max ? in[c] : max;
    }
    for (c = 0; c < p->depth; ++c) {
      out[c] = expf((in[c] - max) * p->beta);
      sum += out[c];
    }
    for (c = 0; c < p->depth; ++c) {
      out[c] = out[c] / sum;
    }
  }
}
