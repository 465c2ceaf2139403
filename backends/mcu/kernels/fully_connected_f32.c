/* float32 FULLY_CONNECTED (reference_ops::FullyConnected). */
#include "float_ops.h"

#include "tflc_common.h"

void tflc_fully_connected_f32(const tflc_fully_connected_f32_params *p, const float *input,
                              const float *filter, const float *bias, float *output) {
  int32_t b, u, d;
  for (b = 0; b < p->batches; ++b) {
    for (u = 0; u < p->units; ++u) {
      float acc = 0.0f;
      for (d = 0; d < p->depth; ++d) {
        acc += input[b * p->depth + d] * filter[u * p->depth + d];
      }
      if (bias) {
        acc += bias[u];
      }
      output[b * p->units + u] = tflc_activation_f32(acc, p->act_min, p->act_max);
    }
  }
}
