/* float32 CONV_3D, TFLite's reference_ops::Conv3D loop order (conv3d_f32.h). */
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
