/* float32 CONV_3D and CONV_3D_TRANSPOSE, TFLite's reference loop orders (conv3d_f32.h). */
#include "conv3d_f32.h"

#include "float_ops.h"

void tflc_conv3d_f32(const tflc_conv3d_f32_params *p, const float *input, const float *filter,
                     const float *bias, float *output) {
  const int32_t id = p->in_shape[0], ih = p->in_shape[1], iw = p->in_shape[2];
  int32_t b, od, oh, ow, oc, kd, kh, kw, ic;
  for (b = 0; b < p->batches; ++b) {
    for (od = 0; od < p->out_shape[0]; ++od) {
      for (oh = 0; oh < p->out_shape[1]; ++oh) {
        for (ow = 0; ow < p->out_shape[2]; ++ow) {
          for (oc = 0; oc < p->out_c; ++oc) {
            float total = 0.0f;
            for (kd = 0; kd < p->kernel[0]; ++kd) {
              const int32_t z = od * p->stride[0] - p->pad_before[0] + kd * p->dilation[0];
              for (kh = 0; kh < p->kernel[1]; ++kh) {
                const int32_t y = oh * p->stride[1] - p->pad_before[1] + kh * p->dilation[1];
                for (kw = 0; kw < p->kernel[2]; ++kw) {
                  const int32_t x = ow * p->stride[2] - p->pad_before[2] + kw * p->dilation[2];
                  const float *in;
                  const float *w;
                  if (z < 0 || z >= id || y < 0 || y >= ih || x < 0 || x >= iw) {
                    continue;
                  }
                  in = input + (((b * id + z) * ih + y) * iw + x) * p->in_c;
                  w = filter + ((kd * p->kernel[1] + kh) * p->kernel[2] + kw) * p->in_c * p->out_c;
                  for (ic = 0; ic < p->in_c; ++ic) {
                    total += in[ic] * w[ic * p->out_c + oc];
                  }
                }
              }
            }
            *output++ = tflc_activation_f32(total + (bias ? bias[oc] : 0.0f), p->act_min,
                                            p->act_max);
          }
        }
      }
    }
  }
}

void tflc_conv3d_transpose_f32(const tflc_conv3d_f32_params *p, const float *input,
                               const float *filter, const float *bias, float *output) {
  const int32_t od = p->out_shape[0], oh = p->out_shape[1], ow = p->out_shape[2];
  const int32_t out_size = p->batches * od * oh * ow * p->out_c;
  int32_t b, id, ih, iw, kd, kh, kw, ic, oc, i;
  for (i = 0; i < out_size; ++i) {
    output[i] = 0.0f;
  }
  for (b = 0; b < p->batches; ++b) {
    for (id = 0; id < p->in_shape[0]; ++id) {
      for (ih = 0; ih < p->in_shape[1]; ++ih) {
        for (iw = 0; iw < p->in_shape[2]; ++iw) {
          const float *in =
              input + (((b * p->in_shape[0] + id) * p->in_shape[1] + ih) * p->in_shape[2] + iw) *
                          p->in_c;
          for (kd = 0; kd < p->kernel[0]; ++kd) {
            const int32_t z = id * p->stride[0] - p->pad_before[0] + kd * p->dilation[0];
            for (kh = 0; kh < p->kernel[1]; ++kh) {
              const int32_t y = ih * p->stride[1] - p->pad_before[1] + kh * p->dilation[1];
              for (kw = 0; kw < p->kernel[2]; ++kw) {
                const int32_t x = iw * p->stride[2] - p->pad_before[2] + kw * p->dilation[2];
                const float *w =
                    filter + ((kd * p->kernel[1] + kh) * p->kernel[2] + kw) * p->out_c * p->in_c;
                float *out;
                if (z < 0 || z >= od || y < 0 || y >= oh || x < 0 || x >= ow) {
                  continue;
                }
                out = output + (((b * od + z) * oh + y) * ow + x) * p->out_c;
                for (oc = 0; oc < p->out_c; ++oc) {
                  for (ic = 0; ic < p->in_c; ++ic) {
                    out[oc] += in[ic] * w[oc * p->in_c + ic];
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  for (i = 0; i < out_size; ++i) {
    output[i] = tflc_activation_f32(output[i] + (bias ? bias[i % p->out_c] : 0.0f), p->act_min,
                                    p->act_max);
  }
}
