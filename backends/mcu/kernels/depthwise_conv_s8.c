/* int8 depthwise convolution, TFLite's reference_integer_ops::DepthwiseConvPerChannel
 * arithmetic in the folded-bias form (see conv_s8.c). */
#include "conv_s8.h"

#include "tflc_common.h"

void tflc_depthwise_conv_s8(const tflc_conv_s8_params *p, const int8_t *input,
                            const int8_t *filter, int8_t *output) {
  /* locals: int8 stores may alias *p, so the compiler would reload every field */
  const int32_t in_c = p->in_c, out_c = p->out_c, row = p->in_w * in_c;
  const int32_t k_h = p->k_h, k_w = p->k_w, dil_h = p->dilation_h, dil_w = p->dilation_w;
  const int32_t depth_multiplier = p->depth_multiplier, out_offset = p->output_offset;
  const int32_t act_min = p->act_min, act_max = p->act_max;
  const int32_t *folded_bias = p->folded_bias, *multiplier = p->multiplier;
  const int8_t *shift = p->shift;
  const int32_t zero_point = -p->input_offset;
  int32_t b, oy, ox, ic, m, ky, kx;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * row;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = tflc_origin(oy, p->stride_h, p->pad_h);
      const int inside_y = iy0 >= 0 && iy0 + dil_h * (k_h - 1) < p->in_h;
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t ix0 = tflc_origin(ox, p->stride_w, p->pad_w);
        const int inside = inside_y && ix0 >= 0 && ix0 + dil_w * (k_w - 1) < p->in_w;
        int8_t *out_px = output + ((b * p->out_h + oy) * p->out_w + ox) * out_c;
        for (ic = 0; ic < in_c; ++ic) {
          for (m = 0; m < depth_multiplier; ++m) {
            const int32_t oc = m + ic * depth_multiplier;
            int32_t acc = folded_bias[oc];
            if (inside) {
              const int8_t *origin = in_b + iy0 * row + ix0 * in_c + ic;
              for (ky = 0; ky < k_h; ++ky) {
                const int8_t *in_row = origin + dil_h * ky * row;
                const int8_t *f_row = filter + ky * k_w * out_c + oc;
                for (kx = 0; kx < k_w; ++kx) {
                  acc += (int32_t)f_row[kx * out_c] * (int32_t)in_row[dil_w * kx * in_c];
                }
              }
            } else {
              for (ky = 0; ky < k_h; ++ky) {
                const int32_t iy = iy0 + dil_h * ky;
                for (kx = 0; kx < k_w; ++kx) {
                  const int32_t ix = ix0 + dil_w * kx;
                  const int outside = iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w;
                  const int32_t x = outside ? zero_point : in_b[iy * row + ix * in_c + ic];
                  acc += (int32_t)filter[(ky * k_w + kx) * out_c + oc] * x;
                }
              }
            }
            acc = tflc_mul_by_quantized_multiplier(acc, multiplier[oc], shift[oc]);
            acc += out_offset;
            out_px[oc] = (int8_t)TFLC_CLAMP(acc, act_min, act_max);
          }
        }
      }
    }
  }
}
