/* float32 MEAN over the middle axes of an [outer, reduced, inner] view. */
#include "float_ops.h"

void tflc_mean_f32(const tflc_reduce_f32_params *p, const float *input, float *output) {
  int32_t o, i, r;
  for (o = 0; o < p->outer; ++o) {
    for (i = 0; i < p->inner; ++i) {
      const float *in = input + o * p->reduced * p->inner + i;
      float sum = 0.0f;
      for (r = 0; r < p->reduced; ++r) {
        sum += in[r * p->inner];
      }
      output[o * p->inner + i] = sum / (float)p->reduced;
    }
  }
}
