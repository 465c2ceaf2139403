/* float32 TRANSPOSE_CONV (gathered per output element, like transpose_conv_s8.c). */
#include "float_ops.h"

#include "tflc_common.h"

void tflc_transpose_conv_f32(const tflc_transpose_conv_f32_params *p, const float *input,
                             const float *filter, const float *bias, float *output) {
  int32_t b, oy, ox, oc, ky, kx, ic;
  for (b = 0; b < p->batches; ++b) {
    const float *in_b = input + b * p->in_h * p->in_w * p->in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      for (ox = 0; ox < p->out_w; ++ox) {
        for (oc = 0; oc < p->out_c; ++oc) {
          float acc = 0.0f;
          for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t ty = oy + p->pad_h - ky;
            int32_t iy;
            if (ty < 0 || ty % p->stride_h != 0) {
              continue;
            }
            iy = ty / p->stride_h;
            if (iy >= p->in_h) {
              continue;
            }
            for (kx = 0; kx < p->k_w; ++kx) {
              const int32_t tx = ox + p->pad_w - kx;
              int32_t ix;
              if (tx < 0 || tx % p->stride_w != 0) {
                continue;
              }
              ix = tx / p->stride_w;
              if (ix >= p->in_w) {
                continue;
              }
              for (ic = 0; ic < p->in_c; ++ic) {
                acc += in_b[(iy * p->in_w + ix) * p->in_c + ic] *
                       filter[((oc * p->k_h + ky) * p->k_w + kx) * p->in_c + ic];
              }
            }
          }
          if (bias) {
            acc += bias[oc];
          }
          *output++ = tflc_activation_f32(acc, p->act_min, p->act_max);
        }
      }
    }
  }
}
