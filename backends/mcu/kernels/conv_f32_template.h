/* The float CONV_2D and DEPTHWISE_CONV_2D loops (reference_ops::Conv / DepthwiseConv), written
 * once for float32 filters (conv_f32.c) and float16 ones read as their bits (conv_f16w.c): the
 * including file defines TFLC_FILTER_T, TFLC_LOAD_FILTER(v) (-> float), TFLC_CONV_NAME and
 * TFLC_DEPTHWISE_NAME. Included anywhere else (model.c includes every kernel header), it is
 * empty. */
#ifdef TFLC_LOAD_FILTER

void TFLC_CONV_NAME(const tflc_conv_f32_params *p, const float *input,
                    const TFLC_FILTER_T *filter, const float *bias, float *output) {
  int32_t b, oy, ox, oc, ky, kx, ic;
  for (b = 0; b < p->batches; ++b) {
    const float *in_b = input + b * p->in_h * p->in_w * p->in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = tflc_origin(oy, p->stride_h, p->pad_h);
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t ix0 = tflc_origin(ox, p->stride_w, p->pad_w);
        for (oc = 0; oc < p->out_c; ++oc) {
          const TFLC_FILTER_T *f_oc = filter + oc * p->k_h * p->k_w * p->in_c;
          float acc = 0.0f;
          for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t iy = iy0 + p->dilation_h * ky;
            if (iy < 0 || iy >= p->in_h) {
              continue;
            }
            for (kx = 0; kx < p->k_w; ++kx) {
              const int32_t ix = ix0 + p->dilation_w * kx;
              const float *in_px;
              const TFLC_FILTER_T *f_px;
              if (ix < 0 || ix >= p->in_w) {
                continue;
              }
              in_px = in_b + (iy * p->in_w + ix) * p->in_c;
              f_px = f_oc + (ky * p->k_w + kx) * p->in_c;
              for (ic = 0; ic < p->in_c; ++ic) {
                acc += in_px[ic] * TFLC_LOAD_FILTER(f_px[ic]);
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

void TFLC_DEPTHWISE_NAME(const tflc_conv_f32_params *p, const float *input,
                         const TFLC_FILTER_T *filter, const float *bias, float *output) {
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
                       TFLC_LOAD_FILTER(filter[(ky * p->k_w + kx) * p->out_c + oc]);
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

#endif /* TFLC_LOAD_FILTER */
