/* int8 MAXIMUM / MINIMUM with 4-D broadcasting, on raw values (reference maximum_minimum). */
#include "binary_s8.h"

#include "tflc_common.h"

static void minmax(const tflc_binary_s8_params *p, const int8_t *in1, const int8_t *in2,
                   int8_t *out, int maximum) {
  int32_t i0, i1, i2, i3;
  for (i0 = 0; i0 < p->out_shape[0]; ++i0) {
    for (i1 = 0; i1 < p->out_shape[1]; ++i1) {
      for (i2 = 0; i2 < p->out_shape[2]; ++i2) {
        const int8_t *a = in1 + i0 * p->in1_strides[0] + i1 * p->in1_strides[1] +
                          i2 * p->in1_strides[2];
        const int8_t *b = in2 + i0 * p->in2_strides[0] + i1 * p->in2_strides[1] +
                          i2 * p->in2_strides[2];
        for (i3 = 0; i3 < p->out_shape[3]; ++i3) {
          const int8_t x = a[i3 * p->in1_strides[3]], y = b[i3 * p->in2_strides[3]];
          *out++ = maximum ? TFLC_MAX(x, y) : TFLC_MIN(x, y);
        }
      }
    }
  }
}

void tflc_maximum_s8(const tflc_binary_s8_params *p, const int8_t *in1, const int8_t *in2,
                     int8_t *out) {
  minmax(p, in1, in2, out, 1);
}

void tflc_minimum_s8(const tflc_binary_s8_params *p, const int8_t *in1, const int8_t *in2,
                     int8_t *out) {
  minmax(p, in1, in2, out, 0);
}
