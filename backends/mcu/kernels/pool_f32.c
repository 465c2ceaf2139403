/* float32 AVERAGE_POOL_2D and MAX_POOL_2D (reference_ops). */
#include "float_ops.h"

#include "tflc_common.h"

static void pool(const tflc_pool_f32_params *p, const float *input, float *output, int average) {
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
        for (c = 0; c < p->channels; ++c) {
          float acc = average ? 0.0f : -3.40282347e+38f;
          int32_t count = 0;
          float v;
          for (ky = ky0; ky < ky1; ++ky) {
            for (kx = kx0; kx < kx1; ++kx) {
              const float x =
                  input[((b * p->in_h + iy0 + ky) * p->in_w + ix0 + kx) * p->channels + c];
              acc = average ? acc + x : TFLC_MAX(acc, x);
              ++count;
            }
          }
          v = average ? (count ? acc / (float)count : 0.0f) : acc;
          output[((b * p->out_h + oy) * p->out_w + ox) * p->channels + c] =
              tflc_activation_f32(v, p->act_min, p->act_max);
        }
      }
    }
  }
}

void tflc_average_pool_f32(const tflc_pool_f32_params *p, const float *input, float *output) {
  pool(p, input, output, 1);
}

void tflc_max_pool_f32(const tflc_pool_f32_params *p, const float *input, float *output) {
  pool(p, input, output, 0);
}
