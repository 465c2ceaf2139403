/* int8 convolution with TFLite's reference_integer_ops::ConvPerChannel arithmetic:
 * sum(filter * (input + input_offset)) + bias == sum(filter * input) + folded_bias, with padding
 * taps reading the input zero point. Identical integer sums, one add per tap fewer. */
#include "conv_s8.h"

#include "tflc_common.h"

/* A window that crosses the border: padding taps read the input zero point, which is what
 * makes them contribute nothing in the reference form sum(filter * (input + input_offset)). */
static int32_t border_sum(const tflc_conv_s8_params *p, const int8_t *in_b, const int8_t *f_oc,
                          int32_t iy0, int32_t ix0) {
  const int32_t zero_point = -p->input_offset;
  int32_t acc = 0, ky, kx, ic;
  for (ky = 0; ky < p->k_h; ++ky) {
    const int32_t iy = iy0 + p->dilation_h * ky;
    for (kx = 0; kx < p->k_w; ++kx) {
      const int32_t ix = ix0 + p->dilation_w * kx;
      const int8_t *f_px = f_oc + (ky * p->k_w + kx) * p->in_c;
      if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
        for (ic = 0; ic < p->in_c; ++ic) {
          acc += (int32_t)f_px[ic] * zero_point;
        }
      } else {
        const int8_t *in_px = in_b + (iy * p->in_w + ix) * p->in_c;
        for (ic = 0; ic < p->in_c; ++ic) {
          acc += (int32_t)f_px[ic] * (int32_t)in_px[ic];
        }
      }
    }
  }
  return acc;
}

void tflc_conv_s8(const tflc_conv_s8_params *p, const int8_t *input, const int8_t *filter,
                  int8_t *output) {
  /* locals: int8 stores may alias *p, so the compiler would reload every field */
  const int32_t in_c = p->in_c, k_h = p->k_h, k_w = p->k_w, row = p->in_w * in_c;
  const int32_t dil_h = p->dilation_h, dil_w = p->dilation_w, out_c = p->out_c;
  const int32_t window = k_h * k_w * in_c, out_offset = p->output_offset;
  const int32_t act_min = p->act_min, act_max = p->act_max;
  const int32_t *folded_bias = p->folded_bias, *multiplier = p->multiplier;
  const int8_t *shift = p->shift;
  int32_t b, oy, ox, oc, ky, kx, ic;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * row;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = tflc_origin(oy, p->stride_h, p->pad_h);
      const int inside_y = iy0 >= 0 && iy0 + dil_h * (k_h - 1) < p->in_h;
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t ix0 = tflc_origin(ox, p->stride_w, p->pad_w);
        const int inside = inside_y && ix0 >= 0 && ix0 + dil_w * (k_w - 1) < p->in_w;
        const int8_t *origin = in_b + iy0 * row + ix0 * in_c;
        for (oc = 0; oc < out_c; ++oc) {
          const int8_t *f_oc = filter + oc * window;
          int32_t acc = folded_bias[oc];
          if (inside) {
            for (ky = 0; ky < k_h; ++ky) {
              const int8_t *in_row = origin + dil_h * ky * row;
              const int8_t *f_row = f_oc + ky * k_w * in_c;
              for (kx = 0; kx < k_w; ++kx) {
                const int8_t *in_px = in_row + dil_w * kx * in_c;
                const int8_t *f_px = f_row + kx * in_c;
                for (ic = 0; ic < in_c; ++ic) {
                  acc += (int32_t)f_px[ic] * (int32_t)in_px[ic];
                }
              }
            }
          } else {
            acc += border_sum(p, in_b, f_oc, iy0, ix0);
          }
          acc = tflc_mul_by_quantized_multiplier(acc, multiplier[oc], shift[oc]);
          acc += out_offset;
          *output++ = (int8_t)TFLC_CLAMP(acc, act_min, act_max);
        }
      }
    }
  }
}
