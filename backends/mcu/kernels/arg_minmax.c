/* ARG_MAX / ARG_MIN over the middle axis of an [outer, reduced, inner] view: the first index of
 * the extreme value wins (reference_ops::ArgMinMax compares strictly). */
#include "arg_minmax.h"

/* Whether element i is strictly beyond element best (greater for ARG_MAX, less for ARG_MIN). */
static int beyond(int32_t type, int32_t is_min, const void *data, int32_t i, int32_t best) {
  if (type == TFLC_TYPE_F32) {
    const float x = ((const float *)data)[i], y = ((const float *)data)[best];
    return is_min ? x < y : x > y;
  }
  {
    const int32_t x = type == TFLC_TYPE_S32 ? ((const int32_t *)data)[i] : ((const int8_t *)data)[i];
    const int32_t y =
        type == TFLC_TYPE_S32 ? ((const int32_t *)data)[best] : ((const int8_t *)data)[best];
    return is_min ? x < y : x > y;
  }
}

void tflc_arg_minmax(const tflc_arg_minmax_params *p, const void *input, void *output) {
  int32_t o, i, r;
  for (o = 0; o < p->outer; ++o) {
    for (i = 0; i < p->inner; ++i) {
      const int32_t first = o * p->reduced * p->inner + i;
      int32_t best = 0;
      for (r = 1; r < p->reduced; ++r) {
        if (beyond(p->type, p->is_min, input, first + r * p->inner, first + best * p->inner)) {
          best = r;
        }
      }
      if (p->out_type == TFLC_TYPE_S64) {
        ((int64_t *)output)[o * p->inner + i] = best;
      } else {
        ((int32_t *)output)[o * p->inner + i] = best;
      }
    }
  }
}
