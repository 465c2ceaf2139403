/* int8 depthwise convolution, TFLite's reference_integer_ops::DepthwiseConvPerChannel. */
#include "conv_s8.h"

#include "tflc_common.h"

void tflc_depthwise_conv_s8(const tflc_conv_s8_params *p, const int8_t *input,
                            const int8_t *filter, const int32_t *bias, int8_t *output) {
  int32_t b, oy, ox, ic, m, ky, kx;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = tflc_origin(oy, p->stride_h, p->pad_h);
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t ix0 = tflc_origin(ox, p->stride_w, p->pad_w);
        for (ic = 0; ic < p->in_c; ++ic) {
          for (m = 0; m < p->depth_multiplier; ++m) {
            const int32_t oc = m + ic * p->depth_multiplier;
            int32_t acc = 0;
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
                acc += (int32_t)filter[(ky * p->k_w + kx) * p->out_c + oc] *
                       ((int32_t)in_b[(iy * p->in_w + ix) * p->in_c + ic] + p->input_offset);
              }
            }
            if (bias) {
              acc += bias[oc];
            }
            acc = tflc_mul_by_quantized_multiplier(acc, p->multiplier[oc], p->shift[oc]);
            acc += p->output_offset;
            output[((b * p->out_h + oy) * p->out_w + ox) * p->out_c + oc] =
                (int8_t)TFLC_CLAMP(acc, p->act_min, p->act_max);
          }
        }
      }
    }
  }
}
