/* float32 MEAN, SUM, REDUCE_MAX, REDUCE_MIN over the middle axes of an [outer, reduced, inner] view. */
#include "float_ops.h"

void tflc_reduce_f32(const tflc_reduce_f32_params *p, const float *input, float *output) {
  int32_t o, i, r;
  for (o = 0; o < p->outer; ++o) {
    for (i = 0; i < p->inner; ++i) {
      const float *in = input + o * p->reduced * p->inner + i;
      float sum = 0.0f, max = in[0], min = in[0];
      for (r = 0; r < p->reduced; ++r) {
        sum += in[r * p->inner];
        max = in[r * p->inner] > max ? in[r * p->inner] : max;
        min = in[r * p->inner] < min ? in[r * p->inner] : min;
      }
      output[o * p->inner + i] = p->mode == 0   ? sum / (float)p->reduced
                                 : p->mode == 1 ? sum
                                 : p->mode == 2 ? max
                                                : min;
    }
  }
}
