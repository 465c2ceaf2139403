/* int8 TRANSPOSE_CONV with TFLite's reference_integer_ops::TransposeConv arithmetic, computed
 * per output element (gathering the inputs that scatter to it) so no int32 scratch buffer is
 * needed: integer sums are exact in any order. */
#include "transpose_conv_s8.h"

#include "tflc_common.h"

void tflc_transpose_conv_s8(const tflc_transpose_conv_s8_params *p, const int8_t *input,
                            const int8_t *filter, const int32_t *bias, int8_t *output) {
  int32_t b, oy, ox, oc, ky, kx, ic;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      for (ox = 0; ox < p->out_w; ++ox) {
        for (oc = 0; oc < p->out_c; ++oc) {
          int32_t acc = 0;
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
              const int8_t *in_px;
              const int8_t *f_px;
              int32_t ix;
              if (tx < 0 || tx % p->stride_w != 0) {
                continue;
              }
              ix = tx / p->stride_w;
              if (ix >= p->in_w) {
                continue;
              }
              in_px = in_b + (iy * p->in_w + ix) * p->in_c;
              f_px = filter + ((oc * p->k_h + ky) * p->k_w + kx) * p->in_c;
              for (ic = 0; ic < p->in_c; ++ic) {
                acc += ((int32_t)in_px[ic] + p->input_offset) * f_px[ic];
              }
            }
          }
          if (bias) {
            acc += bias[oc];
          }
          acc = tflc_mul_by_quantized_multiplier(acc, p->multiplier[oc], p->shift[oc]);
          acc += p->output_offset;
          *output++ = (int8_t)TFLC_CLAMP(acc, p->act_min, p->act_max);
        }
      }
    }
  }
}
