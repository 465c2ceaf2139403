/* int8 fully connected, LiteRT's reference FULLY_CONNECTED arithmetic (single rounding). */
#include "fully_connected_s8.h"

#include "tflc_common.h"

void tflc_fully_connected_s8(const tflc_fully_connected_s8_params *p, const int8_t *input,
                             const int8_t *filter, const int32_t *bias, int8_t *output) {
  int32_t b, u, d;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->depth;
    for (u = 0; u < p->units; ++u) {
      const int8_t *f_u = filter + u * p->depth;
      const int32_t c = p->per_channel ? u : 0;
      int32_t acc = 0;
      for (d = 0; d < p->depth; ++d) {
        acc += (int32_t)f_u[d] * (int32_t)in_b[d];
      }
      acc += bias[u];
      acc = tflc_mul_by_quantized_multiplier_single(acc, p->multiplier[c], p->shift[c]);
      acc += p->output_offset;
      output[b * p->units + u] = (int8_t)TFLC_CLAMP(acc, p->act_min, p->act_max);
    }
  }
}
