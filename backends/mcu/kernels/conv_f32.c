/* float32 CONV_2D and DEPTHWISE_CONV_2D (reference_ops::Conv / DepthwiseConv). */
#include "float_ops.h"

#include "tflc_common.h"

void tflc_conv_f32(const tflc_conv_f32_params *p, const float *input, const float *filter,
                   const float *bias, float *output) {
  int32_t b, oy, ox, oc, ky, kx, ic;
  for (b = 0; b < p->batches; ++b) {
    const float *in_b = input + b * p->in_h * p->in_w * p->in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = tflc_origin(oy, p->stride_h, p->pad_h);
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t ix0 = tflc_origin(ox, p->stride_w, p->pad_w);
        for (oc = 0; oc < p->out_c; ++oc) {
          const float *f_oc = filter + oc * p->k_h * p->k_w * p->in_c;
          float acc = 0.0f;
          for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t iy = iy0 + p->dilation_h * ky;
            if (iy < 0 || iy >= p->in_h) {
              continue;
            }
            for (kx = 0; kx < p->k_w; ++kx) {
              const int32_t ix = ix0 + p->dilation_w * kx;
              const float *in_px;
              const float *f_px;
              if (ix < 0 || ix >= p->in_w) {
                continue;
              }
              in_px = in_b + (iy * p->in_w + ix) * p->in_c;
              f_px = f_oc + (ky * p->k_w + kx) * p->in_c;
              for (ic = 0; ic < p->in_c; ++ic) {
                acc += in_px[ic] * f_px[ic];
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

void tflc_depthwise_conv_f32(const tflc_conv_f32_params *p, const float *input,
                             const float *filter, const float *bias, float *output) {
  int32_t b, oy, ox, ic, m, ky, kx;
  for (b = 0; b < p->batches; ++b) {
    const float *in_b = input + b * p->in_h * p->in_w * p->in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = tflc_origin(oy, p->stride_h, p->pad_h);
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t ix0 = tflc_origin(ox, p->stride_w, p->pad_w);
        for (ic = 0; ic < p->in_c; ++ic) {
          for (m = 0; m < p->depth_multiplier; ++m) {
            const int32_t oc = m + ic * p->depth_multiplier;
            float acc = 0.0f;
            for (ky = 0; ky < p->k_h; ++ky) {
              const int32_t iy = iy0 + p->dilation_h * ky;
              if (iy < 0 || iy >= p->in_h) {
                continue;
              }
              for (kx = 0; kx < p->k_w; ++kx) {
                const int32_t ix = ix0 + p->dilation_w * kx;
                if (ix < 0 || ix >= p->in_w) {
                  continue;
                }
                acc += in_b[(iy * p->in_w + ix) * p->in_c + ic] *
                       filter[(ky * p->k_w + kx) * p->out_c + oc];
              }
            }
            if (bias) {
              acc += bias[oc];
            }
            output[((b * p->out_h + oy) * p->out_w + ox) * p->out_c + oc] =
                tflc_activation_f32(acc, p->act_min, p->act_max);
          }
        }
      }
    }
  }
}
