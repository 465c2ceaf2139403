/* int8 AVERAGE_POOL_2D and MAX_POOL_2D, TFLite's reference_integer_ops::AveragePool / MaxPool
 * arithmetic (the window is clipped to the image; averages round half away from zero). */
#include "pool_s8.h"

#include "tflc_common.h"

static void pool(const tflc_pool_s8_params *p, const int8_t *input, int8_t *output, int average) {
  int32_t b, oy, ox, c, ky, kx;
  for (b = 0; b < p->batches; ++b) {
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = tflc_origin(oy, p->stride_h, p->pad_h);
      const int32_t ky0 = TFLC_MAX(0, -iy0);
      const int32_t ky1 = TFLC_MIN(p->k_h, p->in_h - iy0);
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t ix0 = tflc_origin(ox, p->stride_w, p->pad_w);
        const int32_t kx0 = TFLC_MAX(0, -ix0);
        const int32_t kx1 = TFLC_MIN(p->k_w, p->in_w - ix0);
        const int32_t count = (ky1 - ky0) * (kx1 - kx0);
        for (c = 0; c < p->channels; ++c) {
          int32_t acc = average ? 0 : -128;
          for (ky = ky0; ky < ky1; ++ky) {
            for (kx = kx0; kx < kx1; ++kx) {
              const int32_t v =
                  input[((b * p->in_h + iy0 + ky) * p->in_w + ix0 + kx) * p->channels + c];
              acc = average ? acc + v : TFLC_MAX(acc, v);
            }
          }
          if (average && count > 0) {
            acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          }
          output[((b * p->out_h + oy) * p->out_w + ox) * p->channels + c] =
              (int8_t)TFLC_CLAMP(acc, p->act_min, p->act_max);
        }
      }
    }
  }
}

void tflc_average_pool_s8(const tflc_pool_s8_params *p, const int8_t *input, int8_t *output) {
  pool(p, input, output, 1);
}

void tflc_max_pool_s8(const tflc_pool_s8_params *p, const int8_t *input, int8_t *output) {
  pool(p, input, output, 0);
}
